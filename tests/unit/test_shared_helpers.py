"""The shared helpers (issue 15, "shared helpers once"): one safe image reader, one
device/precision helper, one model registry convention, one rule for the web model; and that
every caller goes through them."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from django.core.files.base import ContentFile
from PIL import Image, ImageFile

from exhibits.collection.models import pick_web_model
from exhibits.collection.serializers import pick_lods
from exhibits.intake.errors import IntakeError
from exhibits.intake.glb_document import GltfDocument
from exhibits.intake.limits import IntakeLimits
from exhibits.intake.sources import _check_textures
from exhibits.models import Artifact, Asset
from museum.common import devices, images, registry
from tests.unit.factories import glb_bytes, make_artifact, make_source
from tests.unit.intake_fixtures import QUAD_INDICES, QUAD_POSITIONS, GltfBuilder, png_header_only

ROOT = Path(__file__).resolve().parents[2]


def png(width: int = 32, height: int = 24, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, format="PNG")
    return buffer.getvalue()


def noisy_png(side: int = 64) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 255, (side, side, 3), np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (4, 4), 1).save(buffer, format="GIF")
    return buffer.getvalue()


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any pixel decoding fails the test: refusals must come from the header alone."""

    def load(self: ImageFile.ImageFile) -> Any:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    yield


# --------------------------------------------------------------------------- image reader
def refusal(source: images.Source, **caps: Any) -> images.ImageReadError:
    with pytest.raises(images.ImageReadError) as caught:
        images.read_image(source, **caps)
    assert str(caught.value)  # a sentence
    assert caught.value.code in images.ImageReadError.CODES
    return caught.value


def test_the_reader_names_its_formats() -> None:
    assert {"PNG", "JPEG", "WEBP"} == images.TEXTURE_FORMATS
    assert images.TEXTURE_FORMATS < images.PICTURE_FORMATS


def test_too_many_pixels_refused_from_the_header(no_decoding: None) -> None:
    error = refusal(png_header_only(10_000, 10_000))
    assert error.code == "too_many_pixels"
    assert (error.width, error.height, error.format) == (10_000, 10_000, "PNG")
    assert "100,000,000 pixels" in str(error)
    # Past Pillow's own bomb limit too (Pillow refuses while reading the header).
    assert refusal(png_header_only(100_000, 100_000), max_pixels=None).code == "too_many_pixels"


def test_caps_are_checked_in_order_before_decoding(no_decoding: None) -> None:
    data = png(32, 24)
    assert refusal(b"").code == "empty"
    assert refusal(data, max_bytes=len(data) - 1).code == "too_many_bytes"
    assert refusal(b"\x00not an image" * 10).code == "not_an_image"
    error = refusal(gif(), formats=images.TEXTURE_FORMATS)
    assert (error.code, error.format) == ("wrong_format", "GIF")
    assert refusal(data, max_pixels=32 * 24 - 1).code == "too_many_pixels"
    assert refusal(data, max_side=31).code == "side_too_long"
    # the byte cap comes first: a header-only bomb over the byte cap never reaches Pillow
    assert refusal(png_header_only(10_000, 10_000), max_bytes=10).code == "too_many_bytes"


def test_missing_file_and_wrong_format(tmp_path: Path) -> None:
    assert refusal(tmp_path / "absent.png").code == "missing"
    text = tmp_path / "notes.png"
    text.write_text("condition notes, not pixels")
    assert refusal(text).code == "not_an_image"


def test_truncated_file_is_corrupt_at_decoding() -> None:
    data = noisy_png()
    with images.open_image(data[: len(data) // 2]) as image:  # the header is intact
        assert image.size == (64, 64)
        with pytest.raises(images.ImageReadError) as caught:
            images.decode(image)
    assert caught.value.code == "corrupt"
    assert refusal(data[: len(data) // 2]).code == "corrupt"


def test_good_images_decode_from_bytes_paths_and_streams(tmp_path: Path) -> None:
    data = noisy_png()
    path = tmp_path / "scan.jpg"  # PNG bytes under a JPEG name: the format is sniffed
    path.write_bytes(data)
    for source in (data, path, str(path), io.BytesIO(data)):
        image = images.read_image(source, formats=images.TEXTURE_FORMATS)
        assert image.format == "PNG" and np.asarray(image).shape == (64, 64, 3)


def texture_document(image: bytes) -> GltfDocument:
    builder = GltfBuilder()
    material = builder.add_textured_material(image, "image/png")
    builder.add_mesh(QUAD_POSITIONS, QUAD_INDICES, uvs=np.zeros((4, 2)), material=material)
    return GltfDocument.from_glb(builder.glb())


def every_reader() -> dict[str, Callable[[bytes, Path], Any]]:
    """Each image-reading entry point of the house, fed bytes (written to a file if it reads
    paths)."""
    from restoration.condition.images import read_mask
    from restoration.damage import load_image
    from restoration.inpaint import imageio as inpaint_io
    from restoration.restore import files

    def write(data: bytes, tmp: Path) -> Path:
        tmp.write_bytes(data)
        return tmp

    return {
        "intake": lambda data, tmp: _check_textures(texture_document(data), IntakeLimits()),
        "damage": lambda data, tmp: load_image(data),
        "inpaint image": lambda data, tmp: inpaint_io.read_image(write(data, tmp)),
        "inpaint mask": lambda data, tmp: inpaint_io.read_mask(write(data, tmp)),
        "condition mask": lambda data, tmp: read_mask(data, width=10_000, height=10_000),
        "restore texture": lambda data, tmp: files.decode_texture(data),
        "restore mask": lambda data, tmp: files.read_binary_mask(data, width=1, height=1),
    }


@pytest.mark.parametrize(
    ("reader", "error", "code"),
    [
        ("intake", IntakeError, "texture_bomb"),
        ("damage", ValueError, "too_large"),
        ("inpaint image", ValueError, "too_large"),
        ("inpaint mask", ValueError, "too_large"),
        ("condition mask", ValueError, "too_many_pixels"),
        ("restore texture", ValueError, "too_large"),
        ("restore mask", ValueError, "too_large"),
    ],
)
def test_every_reader_refuses_a_bomb_from_its_header(
    reader: str, error: type[Exception], code: str, tmp_path: Path, no_decoding: None
) -> None:
    """A header declaring 100 million pixels: each caller refuses it with its own error type
    and code (kept for its tests and clients), and none decodes a pixel."""
    with pytest.raises(error) as caught:
        every_reader()[reader](png_header_only(10_000, 10_000), tmp_path / "bomb.png")
    assert getattr(caught.value, "code", None) == code
    raised_from = caught.value.__cause__ or caught.value.__context__
    assert isinstance(raised_from, images.ImageReadError)


def test_intake_keeps_its_texture_codes(no_decoding: None) -> None:
    def code(data: bytes) -> str:
        with pytest.raises(IntakeError) as caught:
            _check_textures(texture_document(data), IntakeLimits())
        return caught.value.code

    assert code(gif()) == "texture_format"
    assert code(png_header_only(20_000, 16)) == "texture_too_large"
    assert code(b"\x00notanimage" * 10) == "bad_texture"


def test_no_module_of_the_house_opens_images_itself() -> None:
    """Image.open, cv2.imread and cv2.imdecode appear only in the shared reader."""
    offenders = []
    for folder in ("museum", "exhibits", "restoration"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if any(call in text for call in ("Image.open(", "cv2.imread(", "cv2.imdecode(")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == ["museum/common/images.py"]


# --------------------------------------------------------------------------- devices
def test_resolve_device(monkeypatch: pytest.MonkeyPatch) -> None:
    assert devices.resolve_device("cpu") == "cpu"
    assert devices.resolve_device("cuda:1") == "cuda:1"
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert {devices.resolve_device(x) for x in (None, "", "auto")} == {expected}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert devices.resolve_device("auto") == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert devices.resolve_device(None) == "cpu"


def test_restoration_jobs_record_the_device_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    from restoration.restore.services import _device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert _device() == "cuda:0"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert _device() == "cpu"


def test_bf16_autocast_is_a_no_op_where_unsupported() -> None:
    assert devices.bf16_autocast("cpu", enabled=False) is __import__("contextlib").nullcontext
    with devices.bf16_autocast("cpu")():
        x = torch.ones(2, 2) @ torch.ones(2, 2)
    expected = torch.bfloat16 if devices.bf16_supported("cpu") else torch.float32
    assert x.dtype == expected


def test_every_device_choice_is_the_shared_one() -> None:
    from museum.planning import learned, train
    from restoration.damage import model
    from restoration.inpaint import learned as inpaint_learned
    from restoration.mesh import fairing

    assert fairing.resolve_device is devices.resolve_device
    assert inpaint_learned.resolve_device is devices.resolve_device
    assert inpaint_learned.bf16_autocast is devices.bf16_autocast
    expected = devices.resolve_device("auto")
    assert model.default_device() == expected
    assert str(learned.default_device()) == str(train.default_device()) == expected


def test_shared_helpers_import_without_django_or_torch() -> None:
    code = (
        "import sys, museum.common.images, museum.common.devices, museum.common.registry;"
        "heavy = {'django', 'torch', 'celery'} & set(sys.modules);"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# --------------------------------------------------------------------------- registry
def test_registry_builds_by_name_and_refuses_unknown_names() -> None:
    models = registry.ModelRegistry("test model")

    @models.register("tiny")
    class Tiny(torch.nn.Module):
        def __init__(self, width: int = 2) -> None:
            super().__init__()
            self.linear = torch.nn.Linear(width, 1)

    assert models.names() == ["tiny"] and "tiny" in models
    assert models.create("tiny", width=3).linear.in_features == 3
    with pytest.raises(KeyError, match="unknown test model 'nope'; known: tiny"):
        models.create("nope")
    with pytest.raises(ValueError, match="unknown test model"):  # also a ValueError
        models.create("nope")
    with pytest.raises(ValueError, match="registered twice"):
        models.register("tiny")(torch.nn.Identity)


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    models = registry.ModelRegistry("test model")
    models.register("linear")(torch.nn.Linear)
    source = models.create("linear", in_features=3, out_features=2)
    state = {k: v.half() for k, v in source.state_dict().items()}  # saved in half precision
    payload = {"name": "linear", "config": {"in_features": 3, "out_features": 2}, "state": state}
    path = registry.write_checkpoint(payload, tmp_path / "w" / "linear.pt")
    checkpoint = registry.read_checkpoint(path)
    assert checkpoint.digest == registry.file_digest(path)
    assert checkpoint.version("linear-v1") == f"linear-v1+{checkpoint.digest[:8]}"
    loaded = registry.load_module(
        models, checkpoint.payload["name"], checkpoint.payload["config"], state, frozen=True
    )
    assert not loaded.training and not any(p.requires_grad for p in loaded.parameters())
    assert loaded.weight.dtype == torch.float32
    assert torch.equal(loaded.weight, source.weight.half().float())
    with pytest.raises(FileNotFoundError):
        registry.read_checkpoint(tmp_path / "absent.pt")


def test_every_learned_model_is_in_a_registry_and_committed_weights_load() -> None:
    from museum.planning.learned import DEFAULT_WEIGHTS, load_policy
    from museum.planning.policy import POLICIES
    from restoration.damage.model import DAMAGE_MODELS, load_model, model_version
    from restoration.inpaint.learned import THIN_WEIGHTS, WEIGHTS, load_inpainter
    from restoration.inpaint.model import INPAINT_MODELS

    assert POLICIES.names() == ["op_attention"]
    assert DAMAGE_MODELS.names() == ["damage_unet", "damage_unet_m", "damage_unet_tiny"]
    assert INPAINT_MODELS.names() == ["inpaint_gated", "inpaint_patchgan", "inpaint_thin"]
    assert load_policy(device="cpu").__class__.__name__ == "AttentionOP"
    damage = load_model(device="cpu")
    assert damage.version == model_version() and damage.version.startswith("damage-unet-v1+")
    inpainter = load_inpainter(device="cpu")
    digest = registry.file_digest(WEIGHTS)
    version = f"inpaint-gated@{digest[:10]}"
    if THIN_WEIGHTS.is_file():
        version += f"+thin@{registry.file_digest(THIN_WEIGHTS)[:10]}"
    assert inpainter.version == version
    assert inpainter.discriminator is not None
    assert DEFAULT_WEIGHTS.is_file()


# --------------------------------------------------------------------------- web model
def web_lod(source: Asset, **fields: Any) -> Asset:
    asset = Asset(
        artifact=source.artifact,
        kind=Asset.Kind.LOD,
        label="web",
        sha256="0" * 64,
        byte_size=1,
        format="glb",
        derived_from=source,
        **fields,
    )
    asset.file.save("web.glb", ContentFile(glb_bytes()), save=False)
    asset.save()
    return asset


def assets_of(artifact: Artifact) -> list[Asset]:
    return list(artifact.assets.all())


@pytest.mark.django_db
def test_one_rule_for_the_web_model() -> None:
    artifact = make_artifact()
    assert artifact.web_model() is None and pick_web_model([]) is None
    source = make_source(artifact)
    # without a web LOD the newest GLB source is the web model
    assert artifact.web_model() == pick_web_model(assets_of(artifact)) == source
    assert pick_lods(assets_of(artifact))["web"] is None
    first, newest = web_lod(source), web_lod(source)
    Asset.objects.filter(pk__in=[first.pk, newest.pk]).update(created_at=first.created_at)
    # a web LOD wins over the source; equal times are broken by id, the same way everywhere
    assert artifact.web_model() == pick_web_model(assets_of(artifact)) == newest
    assert pick_lods(assets_of(artifact))["web"] == newest
