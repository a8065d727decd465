"""train_damage, detect_damage and eval_damage end to end on tiny folders made here."""

from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from restoration.damage import build_model, load_model, save_weights


def surface(h: int, w: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    soft = cv2.resize(rng.random((5, 5)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    img = np.array([170, 160, 140], np.float32) + 30 * (soft[..., None] - 0.5)
    return np.clip(img + rng.normal(0, 4, (h, w, 1)), 0, 255).astype(np.uint8)


def crack_pair(h: int, w: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    img = surface(h, w, seed)
    mask = np.zeros((h, w), np.uint8)
    y = h // 3 + seed % 7
    cv2.line(mask, (0, y), (w - 1, y + h // 3), 255, 2)
    img[mask > 0] = (50, 45, 40)
    return img, mask


@pytest.fixture
def tiny_weights(tmp_path: Path) -> Path:
    return save_weights(build_model("damage_unet_tiny", device="cpu"), tmp_path / "tiny.pt")


@pytest.fixture
def crack_folder(tmp_path: Path) -> tuple[Path, Path]:
    images, masks = tmp_path / "imgs", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    for i in range(3):
        img, mask = crack_pair(64, 96, i)
        Image.fromarray(img).save(images / f"wall_{i}.png")
        Image.fromarray(mask).save(masks / f"wall_{i}.png")
    Image.fromarray(surface(32, 32, 9)).save(images / "no_mask.png")  # ignored: no mask
    return images, masks


def run(name: str, *args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue()


def test_detect_damage_writes_masks_maps_and_summary(tmp_path: Path, tiny_weights: Path) -> None:
    img_path = tmp_path / "fresco.jpg"
    Image.fromarray(surface(90, 130, 1)).save(img_path, quality=95)
    out_dir = tmp_path / "out"
    summary = json.loads(
        run(
            "detect_damage",
            str(img_path),
            "--out",
            str(out_dir),
            "--weights",
            str(tiny_weights),
            "--metres-per-pixel",
            "0.0005",
            "--tile",
            "64",
            "--overlap",
            "16",
        )
    )
    assert summary["image"] == {"width": 130, "height": 90}
    assert summary["model_version"] == load_model(tiny_weights).version
    assert set(summary["classes"]) == {"crack", "loss", "corrosion", "fading"}
    pixels = summary["classes"]["crack"]["pixels"]
    assert summary["classes"]["crack"]["area_cm2"] == pytest.approx(pixels * 0.0025, abs=1e-3)
    for name in ("crack_mask.png", "probability.png", "gradcam.png", "probability_fading.png"):
        assert (out_dir / name).is_file()
    assert (
        json.loads((out_dir / "summary.json").read_text())["classes"]["crack"]["pixels"] == pixels
    )


def test_detect_damage_refuses_bad_input(tmp_path: Path, tiny_weights: Path) -> None:
    bad = tmp_path / "x.png"
    bad.write_text("not pixels")
    with pytest.raises(CommandError, match="not_an_image"):
        run("detect_damage", str(bad), "--out", str(tmp_path / "o"), "--weights", str(tiny_weights))
    tiny_img = tmp_path / "dot.png"
    Image.new("RGB", (1, 1)).save(tiny_img)
    with pytest.raises(CommandError, match="too_small"):
        run(
            "detect_damage",
            str(tiny_img),
            "--out",
            str(tmp_path / "o"),
            "--weights",
            str(tiny_weights),
        )
    good = tmp_path / "ok.png"
    Image.fromarray(surface(40, 40, 2)).save(good)
    with pytest.raises(CommandError, match="not found"):
        run(
            "detect_damage",
            str(good),
            "--out",
            str(tmp_path / "o"),
            "--weights",
            str(tmp_path / "none.pt"),
        )
    assert not (tmp_path / "o").exists()


def test_eval_damage_reports_both_detectors(
    crack_folder, tiny_weights: Path, tmp_path: Path
) -> None:
    images, masks = crack_folder
    report = tmp_path / "eval.json"
    text = run(
        "eval_damage",
        "--images",
        str(images),
        "--masks",
        str(masks),
        "--weights",
        str(tiny_weights),
        "--json",
        str(report),
    )
    assert "ours" in text and "baseline (blackhat)" in text and "ratio ours/baseline" in text
    result = json.loads(report.read_text())
    assert result["images"] == 3
    for who in ("model", "baseline"):
        for key in (
            "precision@0px",
            "recall@2px",
            "f1@0px",
            "f1@2px",
            "ods@2px",
            "ois@2px",
            "miou",
        ):
            assert 0.0 <= result[who][key] <= 1.0
        assert result[who]["ms_per_512_tile"] > 0
    # The drawn cracks are dark lines on a light wall: the black-hat baseline finds most of them.
    assert result["baseline"]["ods@2px"] > 0.5


def test_eval_damage_refuses_folders_without_pairs(tmp_path: Path, tiny_weights: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Image.fromarray(surface(32, 32, 0)).save(tmp_path / "a" / "one.png")
    with pytest.raises(CommandError, match="same-named mask"):
        run(
            "eval_damage",
            "--images",
            str(tmp_path / "a"),
            "--masks",
            str(tmp_path / "b"),
            "--weights",
            str(tiny_weights),
        )
    with pytest.raises(CommandError, match="not a folder"):
        run("eval_damage", "--images", str(tmp_path / "nope"), "--masks", str(tmp_path / "b"))
    with pytest.raises(CommandError, match="--images"):
        run("eval_damage")


def make_data_root(root: Path) -> Path:
    mas = root / "damage" / "masonry-cracks"
    (mas / "images").mkdir(parents=True)
    (mas / "masks").mkdir()
    for group in range(5):
        for k in range(2):
            img, mask = crack_pair(64, 64, group * 2 + k)
            Image.fromarray(img).save(mas / "images" / f"a_{group}_{k}.png")
            Image.fromarray(mask).save(mas / "masks" / f"a_{group}_{k}.png")
    (root / "images").mkdir()
    Image.fromarray(surface(80, 120, 3)).save(root / "images" / "painting.jpg")
    return root


def test_train_resume_and_finetune_end_to_end(tmp_path: Path) -> None:
    root = make_data_root(tmp_path / "data")
    out = tmp_path / "w" / "tiny.pt"
    common = [
        "--model",
        "damage_unet_tiny",
        "--samples-per-epoch",
        "8",
        "--batch-size",
        "4",
        "--crop",
        "64",
        "--out",
        str(out),
        "--no-progress",
        "--threads",
        "1",
    ]
    summary = json.loads(run("train_damage", "--data", str(root), "--epochs", "1", *common))
    assert Path(summary["weights"]) == out and out.is_file()
    assert set(summary["thresholds"]) == {"crack", "loss", "corrosion", "fading"}
    metrics = json.loads(out.with_suffix(".metrics.json").read_text())
    assert len(metrics["history"]) == 1
    assert metrics["trained_on"]["split_sizes"]["test"] > 0
    assert "f1@2px" in metrics["masonry_test"]["model"]
    ckpt = torch.load(out.with_suffix(".ckpt"), weights_only=False)
    assert ckpt["epoch"] == 1

    # --resume continues after the checkpointed epoch instead of starting over.
    run("train_damage", "--data", str(root), "--epochs", "2", "--resume", *common)
    history = json.loads(out.with_suffix(".metrics.json").read_text())["history"]
    assert [h["epoch"] for h in history] == [1, 2]

    # --finetune from those weights on a corrections folder in the documented layout.
    corr = tmp_path / "corrections"
    corr.mkdir()
    img, mask = crack_pair(64, 64, 42)
    Image.fromarray(img).save(corr / "texture_7.png")
    Image.fromarray(mask).save(corr / "texture_7_crack.png")
    tuned = tmp_path / "w" / "tuned.pt"
    args = [a if a != str(out) else str(tuned) for a in common]
    run(
        "train_damage",
        "--finetune",
        "--init",
        str(out),
        "--corrections",
        str(corr),
        "--epochs",
        "1",
        *args,
    )
    assert load_model(tuned).config.name == "damage_unet_tiny"


def test_train_damage_refuses_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--data"):
        run("train_damage")
    with pytest.raises(CommandError, match="not a folder"):
        run("train_damage", "--data", str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(CommandError, match="no training data"):
        run("train_damage", "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "w.pt"))
    with pytest.raises(CommandError, match="multiple of 32"):
        run("train_damage", "--data", str(tmp_path / "empty"), "--crop", "100")
