"""Detection on a large image by strips (restoration.damage.tiled_image) against `detect` on the
whole image, on a generated painting-like image with a crack drawn at a known place: the same
masks (float rounding apart), the crack found where it was drawn, masks written at full size."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import pyvips

from restoration.damage import detect, load_model, tiled_image
from restoration.damage.synth import smooth_noise
from restoration.damage.tiled_image import Pooler, detect_image, regions_of

CRACK_BOX = (996, 466, 306, 68)  # x, y, w, h around the drawn crack (3 px wide)
MASK_TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def painting() -> np.ndarray:
    rng = np.random.default_rng(1)
    h, w = 900, 1400
    tint = np.array([1.0, 0.85, 0.6])
    base = np.dstack([0.35 + 0.3 * smooth_noise((h, w), rng, cells=5) for _ in range(3)]) * tint
    image = cv2.GaussianBlur((np.clip(base, 0, 1) * 255).astype(np.uint8), (0, 0), 1.0)
    points = np.array([[1000 + i * 2, 500 + int(30 * np.sin(i / 15))] for i in range(150)])
    cv2.polylines(image, [points.astype(np.int32)], False, (30, 25, 20), thickness=3)
    return image


@pytest.fixture(scope="module")
def model():
    return load_model(device="cpu")


@pytest.fixture(scope="module")
def source(painting, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("painting") / "painting.png"
    cv2.imwrite(str(path), cv2.cvtColor(painting, cv2.COLOR_RGB2BGR))
    return path


@pytest.mark.parametrize(("tile", "overlap", "chunk"), [(256, 32, 300), (512, 64, 4096)])
def test_strips_equal_detect_on_the_whole_image(
    painting, source, model, tile, overlap, chunk, tmp_path, monkeypatch
):
    monkeypatch.setattr(tiled_image, "CHUNK_COLUMNS", chunk)  # 300: rows finished by chunks
    whole = detect(painting, model=model, explain=False, tile=tile, overlap=overlap)
    # Sequential access: a row read twice or out of order would fail here.
    image = pyvips.Image.new_from_file(str(source), access="sequential")
    seen: list[float] = []
    tiled = detect_image(
        image,
        tmp_path,
        model=model,
        tile=tile,
        overlap=overlap,
        preview_side=700,
        progress=seen.append,
    )
    assert (tiled.width, tiled.height) == (1400, 900)
    assert seen[-1] == 1.0
    for name, mask in whole.masks.items():
        on_disk = pyvips.Image.new_from_file(str(tiled.mask_paths[name])).numpy() >= 128
        assert on_disk.shape == mask.shape
        assert int((on_disk != mask).sum()) <= MASK_TOLERANCE * mask.size, name
        assert tiled.pixels[name] == pytest.approx(int(mask.sum()), abs=MASK_TOLERANCE * mask.size)
    summary = tiled.summary(metres_per_pixel=0.001)
    crack = summary["classes"]["crack"]
    assert crack["pixels"] > 500
    assert crack["area_cm2"] == pytest.approx(crack["pixels"] * 0.01)
    assert tiled.factor == 2
    assert tiled.preview_masks["crack"].shape == (450, 700)
    pooled = whole.probabilities.reshape(len(whole.masks), 450, 2, 700, 2).mean(axis=(2, 4))
    assert np.abs(tiled.preview_probabilities - pooled).max() < 1e-4
    crack = whole.masks["crack"].reshape(450, 2, 700, 2).any(axis=(1, 3))
    assert int((tiled.preview_masks["crack"] != crack).sum()) <= 2


def test_the_crack_is_found_where_it_was_drawn(source, model, tmp_path):
    image = pyvips.Image.new_from_file(str(source), access="sequential")
    tiled = detect_image(image, tmp_path, model=model, preview_side=350)
    assert tiled.factor == 4
    x, y, w, h = tiled.regions["crack"][0]
    bx, by, bw, bh = CRACK_BOX
    assert bx - 8 <= x <= bx + 8 and by - 8 <= y <= by + 8
    assert bx + bw - 8 <= x + w <= bx + bw + 12 and by + bh - 12 <= y + h <= by + bh + 12
    mask = pyvips.Image.new_from_file(str(tiled.mask_paths["crack"])).numpy() >= 128
    inside = mask[by : by + bh, bx : bx + bw].sum()
    assert inside > 0.95 * mask.sum()
    assert tiled.pixels["loss"] == 0


def test_pooler_takes_bands_of_any_height() -> None:
    rows = np.random.default_rng(0).random((2, 23, 10)).astype(np.float32)
    pooler = Pooler(4, 10)
    for top, bottom in [(0, 3), (3, 9), (9, 10), (10, 23)]:
        pooler.add(rows[:, top:bottom], last=bottom == 23)
    pooled = pooler.result(2, np.float32)
    assert pooled.shape == (2, 6, 3)
    assert pooled[1, 2, 1] == pytest.approx(rows[1, 8:12, 4:8].mean())
    masks = np.zeros((1, 23, 10), bool)
    masks[0, 22, 9] = True
    pooler = Pooler(4, 10)
    pooler.add(masks[:, :13])
    pooler.add(masks[:, 13:], last=True)
    assert pooler.result(1, bool)[0, 5, 2]


def test_regions_scale_back_to_full_resolution() -> None:
    mask = np.zeros((10, 10), bool)
    mask[2:4, 5:9] = True
    mask[8, 0] = True
    assert regions_of(mask, 8, 75, 80) == [[40, 16, 32, 16], [0, 64, 8, 8]]
    assert regions_of(np.zeros((3, 3), bool), 8, 24, 24) == []
