"""Damage drawn onto sound held-out artworks with known masks: #18's "drawn damage" measure.

Framework-free. For one side (val or test) of `calibration_data.split_sides`, crops of that side's
held-out artworks get real crack shapes (the masks of that side's masonry photographs, never the
training side's: turned, rescaled, widened from hairline to open fissure, pasted at any darkness,
`hard_cases.paste_crack_shape`) and, on half the crops, a loss (`synth.draw_loss`). Fixed seeds,
so every model and baseline sees the same crops.

The classical baselines: black-hat (`baseline.py`) for cracks; for losses, the colour distance
(CIELAB) of each pixel from a wide median of its surroundings, scaled like the black-hat score.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .data import _crop, grouped_split, masonry_pairs, read_mask
from .hard_cases import paste_crack_shape
from .synth import draw_loss

CROPS_PER_SIDE = 48
CROP = 256
SEEDS = {"val": 5000, "test": 6000}


@dataclass
class DrawnCrop:
    image: np.ndarray  # (H, W, 3) uint8
    crack: np.ndarray  # (H, W) bool
    loss: np.ndarray  # (H, W) bool


def side_crack_shapes(root: Path, side: str) -> list[np.ndarray]:
    """The crack masks of the masonry photographs on `side` (grouped split, seed 0)."""
    pairs = masonry_pairs(root)
    names = set(grouped_split([n for n, _, _ in pairs], seed=0)[side])
    shapes = [read_mask(m) for n, _, m in pairs if n in names]
    return [s for s in shapes if s.any()]


def drawn_crops(
    artworks: list[np.ndarray], shapes: list[np.ndarray], *, side: str, n: int = CROPS_PER_SIDE
) -> list[DrawnCrop]:
    """`n` fixed crops of `artworks` with real crack shapes and losses drawn on them."""
    rng = np.random.default_rng(SEEDS[side])
    out = []
    for index in range(n):
        src = artworks[index % len(artworks)]
        scale = float(rng.uniform(0.5, 1.0))
        src = cv2.resize(src, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        (crop,) = _crop([src], CROP, rng)
        img = crop.astype(np.float32) / 255.0
        crack = np.zeros(img.shape[:2], bool)
        for _ in range(int(rng.integers(1, 3))):
            crack |= paste_crack_shape(img, shapes, rng)
        loss = np.zeros_like(crack)
        if index % 2 == 0:
            loss = draw_loss(img, rng)
            crack &= ~loss
        image = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
        out.append(DrawnCrop(image, crack, loss))
    return out


def loss_baseline_scores(image: np.ndarray, *, window: int = 31) -> np.ndarray:
    """CIELAB distance from a wide median of the surroundings, scaled to [0, 1] by a robust top."""
    lab = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2LAB).astype(np.float32)
    median = cv2.medianBlur(np.ascontiguousarray(image), window)
    ref = cv2.cvtColor(median, cv2.COLOR_RGB2LAB).astype(np.float32)
    dist = np.linalg.norm(lab - ref, axis=2)
    top = max(float(np.percentile(dist, 99.5)), 1.0)
    return np.clip(dist / top, 0.0, 1.0)
