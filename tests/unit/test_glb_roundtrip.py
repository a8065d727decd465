"""GltfDocument.to_glb() round-trips meshopt-compressed input (EXT_meshopt_compression views keep
their compressed bytes, with correct byteOffset / byteLength in the view and its extension), and
every GLB Mouseion writes passes the Khronos glTF validator: intake LODs, a surface restoration
whose texture source is a meshopt web LOD, and a shape restoration."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
import pytest
import trimesh
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from exhibits.collection import services as exhibit_services
from exhibits.intake.errors import IntakeError
from exhibits.intake.glb_document import MESHOPT, GltfDocument
from exhibits.intake.limits import IntakeLimits
from exhibits.intake.lod import LadderSettings
from exhibits.intake.pipeline import run_intake
from exhibits.models import Asset, Job
from restoration.models import ConditionRecord, DamageFinding, RestorationJob
from tests.unit.factories import make_artifact, upload
from tests.unit.gltf_validation import assert_valid_glb, needs_node
from tests.unit.intake_fixtures import grid_positions
from tests.unit.test_restoration_jobs import (
    SIZE,
    crack_mask,
    cracked_texture,
    holed_sphere_artifact,
    png,
    run,
    texture,
    textured_quad_glb,
)

pytestmark = needs_node


def gltfpack(data: bytes, folder: Path, *options: str) -> bytes:
    source, target = folder / "in.glb", folder / "out.glb"
    source.write_bytes(data)
    subprocess.run(
        ["node", str(settings.MOUSEION_GLTFPACK), "-i", str(source), "-o", str(target), *options],
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    return target.read_bytes()


def textured_grid_glb() -> bytes:
    positions, faces = grid_positions(6, 6)
    uv = positions[:, :2] / positions[:, :2].max()
    visual = trimesh.visual.TextureVisuals(uv=uv, image=cracked_texture())
    return trimesh.Trimesh(positions, faces, visual=visual, process=False).export(file_type="glb")


def decoded_positions(data: bytes, folder: Path) -> np.ndarray:
    plain = gltfpack(data, folder, "-noq")
    mesh = trimesh.load(io.BytesIO(plain), file_type="glb", force="mesh")
    return np.asarray(sorted(map(tuple, np.round(mesh.vertices, 4))))


@pytest.fixture
def meshopt_glb(tmp_path: Path) -> bytes:
    return gltfpack(textured_grid_glb(), tmp_path, "-cc")


def test_to_glb_round_trips_meshopt_views(meshopt_glb: bytes, tmp_path: Path) -> None:
    before = GltfDocument.from_glb(meshopt_glb)
    compressed = [
        i for i, v in enumerate(before.json["bufferViews"]) if MESHOPT in v.get("extensions", {})
    ]
    assert compressed, "gltfpack -cc wrote no meshopt view"
    out = before.to_glb()
    after = GltfDocument.from_glb(out)
    assert_valid_glb(out, "roundtrip.glb")
    assert MESHOPT in after.json["extensionsUsed"]
    assert after.json["buffers"][1]["extensions"][MESHOPT]["fallback"] is True
    assert len(after.json["bufferViews"]) == len(before.json["bufferViews"])
    for index in compressed:
        old, new = before.json["bufferViews"][index], after.json["bufferViews"][index]
        extension = new["extensions"][MESHOPT]
        assert new["byteLength"] == old["byteLength"] > 0
        assert new["buffer"] == 1 and new["byteOffset"] % 4 == 0
        assert extension["buffer"] == 0 and extension["byteOffset"] % 4 == 0
        assert extension["byteLength"] == old["extensions"][MESHOPT]["byteLength"] > 0
        assert after.meshopt[index] == before.meshopt[index]
        assert new["byteOffset"] + new["byteLength"] <= after.json["buffers"][1]["byteLength"]
    # Decoded geometry is the same; a second pass changes nothing.
    assert np.allclose(decoded_positions(out, tmp_path), decoded_positions(meshopt_glb, tmp_path))
    assert GltfDocument.from_glb(out).to_glb() == out


def test_a_meshopt_document_with_a_new_texture_stays_valid(meshopt_glb: bytes) -> None:
    document = GltfDocument.from_glb(meshopt_glb)
    buffer = io.BytesIO()
    texture().save(buffer, format="PNG")
    document.replace_image(0, buffer.getvalue(), "image/png")
    out = document.to_glb()
    assert_valid_glb(out, "retextured.glb")
    assert GltfDocument.from_glb(out).image_bytes(0) == buffer.getvalue()


def test_reading_a_compressed_accessor_says_meshopt(meshopt_glb: bytes) -> None:
    document = GltfDocument.from_glb(meshopt_glb)
    with pytest.raises(IntakeError) as caught:
        document.read_accessor(0)
    assert caught.value.code == "meshopt"


def test_intake_lods_pass_the_validator() -> None:
    steps = LadderSettings(gltfpack_cli=str(settings.MOUSEION_GLTFPACK))
    result = run_intake(textured_grid_glb(), "grid.glb", IntakeLimits(), steps)
    assert result.lods
    for lod in result.lods:
        assert_valid_glb(lod.data, f"{lod.label}.glb")


@pytest.mark.django_db
def test_surface_restoration_of_a_meshopt_web_lod_passes_the_validator(
    media_root, tmp_path: Path
) -> None:
    artifact = make_artifact()
    source = exhibit_services.store_source_asset(
        artifact=artifact, upload=upload("quad.glb", textured_quad_glb(cracked_texture())),
        filename="quad.glb",
    )  # fmt: skip
    web_bytes = gltfpack(textured_quad_glb(cracked_texture()), tmp_path, "-cc")
    assert MESHOPT in GltfDocument.from_glb(web_bytes).json["extensionsUsed"]
    web = exhibit_services.derived_asset(
        source=source, kind=Asset.Kind.LOD, label="web", content=ContentFile(web_bytes),
        file_format="glb",
    )  # fmt: skip
    web.file.save("web.glb", ContentFile(web_bytes), save=False)
    web.save()
    check = Job.objects.create(
        kind="condition", artifact=artifact, status=Job.Status.DONE, finished_at=timezone.now()
    )
    image = Image.open(io.BytesIO(GltfDocument.from_glb(web_bytes).image_bytes(0)))
    assert image.size == (SIZE, SIZE)
    record = ConditionRecord.objects.create(
        artifact=artifact, job=check, source_asset=web, origin=ConditionRecord.Origin.WEB,
        image_index=0, width_px=SIZE, height_px=SIZE, model_version="test",
        texture=ContentFile(png(crack_mask()), name="t0.png"),
    )  # fmt: skip
    DamageFinding.objects.create(
        record=record, damage_class="crack", pixel_share=float(crack_mask().mean()),
        mask=ContentFile(png(crack_mask()), name="t0-crack.png"),
    )  # fmt: skip
    job = run(artifact)
    assert job.status == RestorationJob.Status.DONE, job.error
    assert job.source_asset == web
    with job.restored_model.file.open("rb") as handle:
        restored = handle.read()
    assert_valid_glb(restored, "restored-surface.glb")
    document = GltfDocument.from_glb(restored)
    views = document.json["bufferViews"]
    assert all(v["byteLength"] > 0 for v in views)
    assert any(MESHOPT in v.get("extensions", {}) for v in views)


@pytest.mark.django_db
def test_shape_restoration_passes_the_validator(media_root) -> None:
    job = run(holed_sphere_artifact(textured=True), "shape")
    assert job.status == RestorationJob.Status.DONE, job.error
    with job.restored_model.file.open("rb") as handle:
        assert_valid_glb(handle.read(), "restored-shape.glb")
