"""The inpainting commands on small files: inpaint, eval_inpaint, train_inpaint (with resume)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from django.core.management import CommandError, call_command
from PIL import Image

from restoration.inpaint.model import InpaintGenerator, PatchDiscriminator
from restoration.inpaint.train import export


def painting(seed: int, size: tuple[int, int] = (200, 160)) -> Image.Image:
    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([xx / w, yy / h, (xx + yy) / (w + h)], axis=2) * 200
    noise = rng.normal(0, 6, (h, w, 3))
    return Image.fromarray(np.clip(base + noise + 20, 0, 255).astype(np.uint8), "RGB")


def mask_image(size: tuple[int, int] = (200, 160)) -> Image.Image:
    mask = np.zeros(size[::-1], np.uint8)
    mask[40:70, 50:110] = 255
    return Image.fromarray(mask, "L")


@pytest.fixture
def files(tmp_path: Path) -> Path:
    painting(0).save(tmp_path / "a.png")
    mask_image().save(tmp_path / "mask.png")
    return tmp_path


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_inpaint_command_fills_only_the_mask(files: Path) -> None:
    out = run(
        "inpaint",
        str(files / "a.png"),
        str(files / "mask.png"),
        str(files / "out.png"),
        "--method",
        "telea",
    )
    assert '"method": "telea"' in out and "1 regions" in out
    before = np.asarray(Image.open(files / "a.png"))
    after = np.asarray(Image.open(files / "out.png"))
    mask = np.asarray(Image.open(files / "mask.png")) > 0
    assert np.array_equal(before[~mask], after[~mask])


def test_inpaint_keeps_alpha_of_rgba(files: Path) -> None:
    rgba = painting(1).convert("RGBA")
    alpha = np.full((160, 200), 255, np.uint8)
    alpha[:10] = 7
    rgba.putalpha(Image.fromarray(alpha))
    rgba.save(files / "rgba.png")
    run(
        "inpaint",
        str(files / "rgba.png"),
        str(files / "mask.png"),
        str(files / "o.png"),
        "--method",
        "ns",
    )
    out = Image.open(files / "o.png")
    assert out.mode == "RGBA"
    assert np.array_equal(np.asarray(out.getchannel("A")), alpha)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: painting(0).convert("P").save(p), "palette"),
        (lambda p: Image.fromarray(np.full((160, 200), 40000, np.uint16)).save(p), "16/32-bit"),
        (lambda p: p.write_bytes(b"not an image at all"), "not an image"),
    ],
)
def test_inpaint_refuses_bad_images_clearly(
    files: Path, make: Callable[[Path], object], message: str
) -> None:
    target = files / "bad.png"
    make(target)
    with pytest.raises(CommandError, match=message):
        run(
            "inpaint",
            str(target),
            str(files / "mask.png"),
            str(files / "o.png"),
            "--method",
            "telea",
        )
    assert not (files / "o.png").exists()


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (Image.new("L", (50, 50), 255), "must match"),
        (Image.new("L", (200, 160), 0), "nothing to inpaint"),
        (Image.new("L", (200, 160), 255), "whole image"),
    ],
)
def test_inpaint_refuses_bad_masks_clearly(files: Path, mask: Image.Image, message: str) -> None:
    mask.save(files / "m.png")
    with pytest.raises(CommandError, match=message):
        run(
            "inpaint",
            str(files / "a.png"),
            str(files / "m.png"),
            str(files / "o.png"),
            "--method",
            "telea",
        )


def tiny_weights(path: Path) -> Path:
    torch.manual_seed(0)
    export(InpaintGenerator(width=4, dilations=(1, 2)), PatchDiscriminator(width=4), path)
    return path


def test_eval_inpaint_compares_every_method_on_given_masks(tmp_path: Path) -> None:
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    for i in range(2):
        painting(i).save(images / f"p{i}.png")
        mask_image().save(masks / f"p{i}.png")
    painting(5).save(images / "unmasked.png")  # no mask file: skipped
    out = run(
        "eval_inpaint",
        "--images",
        str(images),
        "--masks",
        str(masks),
        "--weights",
        str(tiny_weights(tmp_path / "w.pt")),
        "--per-image",
        "--split",
        "all",
    )
    for method in ("gated", "telea", "ns", "biharmonic"):
        assert method in out
    assert "2 images, mask share mean 5.6%" in out
    assert "(best classical)" in out
    assert "unmasked.png" not in out


def test_eval_inpaint_generates_masks_with_a_fixed_seed(tmp_path: Path) -> None:
    painting(0, (256, 256)).save(tmp_path / "p.png")
    args = ["eval_inpaint", "--images", str(tmp_path), "--mask-kind", "thin", "--methods", "telea"]
    args += ["--split", "all"]
    first, second = run(*args), run(*args)

    def psnr_columns(text: str) -> list[list[str]]:
        return [line.split()[:3] for line in text.splitlines() if line.startswith("telea")]

    assert psnr_columns(first) and psnr_columns(first) == psnr_columns(second)
    with pytest.raises(CommandError, match="unknown methods"):
        run("eval_inpaint", "--images", str(tmp_path), "--methods", "telea,lama")


def test_train_inpaint_runs_saves_and_resumes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "images").mkdir(parents=True)
    for i in range(4):
        painting(i, (220, 220)).save(data / "images" / f"art{i}.png")
    out = tmp_path / "w" / "inpaint.pt"
    common = [
        "--data",
        str(data),
        "--out",
        str(out),
        "--batch",
        "2",
        "--crop",
        "64",
        "--width",
        "4",
    ]
    first = run(
        "train_inpaint", *common, "--iterations", "2", "--save-every", "1", "--val-every", "2"
    )
    assert "iteration 2" in first and out.is_file()
    resumed = run(
        "train_inpaint",
        *common,
        "--iterations",
        "3",
        "--save-every",
        "1",
        "--val-every",
        "3",
        "--resume",
    )
    assert "resumed at iteration 2" in resumed and "iteration 3" in resumed
    state = torch.load(out, weights_only=True)
    assert state["config"]["width"] == 4
    with pytest.raises(CommandError, match="not a folder"):
        run("train_inpaint", "--data", str(tmp_path / "missing"), "--out", str(out))
