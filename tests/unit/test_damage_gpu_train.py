"""The damage trainer: continuing from shipped weights; the share of pasted crack shapes."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from restoration.damage import gpu_train
from restoration.damage.model import build_model, save_weights


def _data_root(root: Path) -> Path:
    """Ten masonry patches from five photographs (so train is not empty) and three artworks."""
    rng = np.random.default_rng(0)
    images, masks = root / "damage/masonry-cracks/images", root / "damage/masonry-cracks/masks"
    images.mkdir(parents=True)
    masks.mkdir(parents=True)
    for photo in range(5):
        for part in range(2):
            wall = rng.integers(120, 200, (96, 96, 3), dtype=np.uint8)
            mask = np.zeros((96, 96), np.uint8)
            cv2.line(mask, (5, 10 + part * 30), (90, 60), 255, 2)
            wall[mask > 0] = 30
            cv2.imwrite(str(images / f"w_{photo}_{part}.png"), wall)
            cv2.imwrite(str(masks / f"w_{photo}_{part}.png"), mask)
    art = root / "images"
    art.mkdir()
    for i in range(3):
        cv2.imwrite(str(art / f"art{i}.png"), rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    return root


def _run(tmp_path: Path, *extra: str) -> dict:
    out = tmp_path / "run"
    args = gpu_train.parse(
        [
            "--data",
            str(tmp_path / "data"),
            "--out",
            str(out),
            "--minutes",
            "0.05",
            "--device",
            "cpu",
            "--workers",
            "0",
            "--batch",
            "2",
            "--reuse",
            "1",
            "--crop",
            "64",
            "--model",
            "damage_unet",
            *extra,
        ]
    )
    gpu_train.run(args)
    return torch.load(out / "snapshots.pt", map_location="cpu", weights_only=False)


def test_a_run_with_init_starts_from_those_weights(tmp_path: Path) -> None:
    _data_root(tmp_path / "data")
    start = build_model("damage_unet", device="cpu")
    with torch.no_grad():
        for p in start.net.parameters():
            p.add_(0.5)  # far from a fresh initialisation
    weights = save_weights(start, tmp_path / "start.pt")
    # lr 0: the parameters cannot move (normalisation statistics still do), so the last raw
    # parameters are the initial ones whether or not a loaded machine got a step done.
    run = _run(tmp_path, "--init", str(weights), "--lr", "0")
    assert run["init"] == str(weights)
    raw = run["last"]["raw"]
    for name, value in start.net.named_parameters():
        assert torch.equal(raw[name], value.detach().half()), name


def test_init_with_another_architecture_is_refused(tmp_path: Path) -> None:
    _data_root(tmp_path / "data")
    weights = save_weights(build_model("damage_unet_m", device="cpu"), tmp_path / "m.pt")
    with pytest.raises(SystemExit, match="damage_unet_m"):
        _run(tmp_path, "--init", str(weights))


@pytest.mark.parametrize("paste, expect_shapes", [(0.0, False), (1.0, True)])
def test_paste_share_decides_whether_real_crack_shapes_are_drawn(
    monkeypatch: pytest.MonkeyPatch, paste: float, expect_shapes: bool
) -> None:
    calls = []

    def fake_paste(img: np.ndarray, shapes: list, rng: np.random.Generator) -> np.ndarray:
        calls.append(1)
        return np.zeros(img.shape[:2], bool)

    monkeypatch.setattr(gpu_train, "paste_crack_shape", fake_paste)
    shape = np.zeros((40, 40), bool)
    shape[20, 5:35] = True
    art = np.random.default_rng(1).integers(0, 255, (80, 80, 3), dtype=np.uint8)
    stream = gpu_train.HardSampleStream([], [art], size=48, seed=0, paste=paste)
    stream.shapes = [shape]
    rng = np.random.default_rng(2)
    for _ in range(40):
        stream.sample(rng)
    assert bool(calls) is expect_shapes
