"""Masks shaped like real damage, for training and for evaluation with a fixed seed.

- thin: branching cracks (the damage module's crack generator) and craquelure-like nets;
- large: free-form brush strokes in the manner of DeepFill v2, blotches, losses at an edge.
Sizes scale with the image so a 2048 px texture gets the same relative damage as a 512 px one.
"""

from __future__ import annotations

import cv2
import numpy as np

from restoration.damage.synth import draw_cracks, smooth_noise

KINDS = ("thin", "large")


def crack_mask(
    shape: tuple[int, int],
    rng: np.random.Generator,
    *,
    count: int | None = None,
    unit: float | None = None,
) -> np.ndarray:
    """`unit`: the whole image's short side / 512 when `shape` is only a part of it."""
    scratch = np.zeros((*shape, 3), np.float32)
    mask = draw_cracks(scratch, rng, count=count if count is not None else int(rng.integers(3, 9)))
    scale = max(1, round(unit if unit is not None else min(shape) / 512))
    if scale > 1:  # keep cracks a few pixels wide on large images, as on real scans
        mask = cv2.dilate(mask.astype(np.uint8), np.ones((scale, scale), np.uint8)).astype(bool)
    return mask


def brush_mask(
    shape: tuple[int, int],
    rng: np.random.Generator,
    *,
    strokes: int | None = None,
    unit: float | None = None,
) -> np.ndarray:
    """Free-form strokes: random walks drawn with thick round lines."""
    h, w = shape
    unit = unit if unit is not None else min(h, w) / 512.0
    mask = np.zeros(shape, np.uint8)
    for _ in range(strokes if strokes is not None else int(rng.integers(3, 9))):
        x, y = rng.random() * w, rng.random() * h
        width = int(max(3, rng.uniform(10, 40) * unit))
        angle = rng.uniform(0, 2 * np.pi)
        for _ in range(int(rng.integers(3, 9))):
            angle += rng.normal(0, 0.9)
            length = rng.uniform(30, 110) * unit
            nx = float(np.clip(x + length * np.cos(angle), 0, w - 1))
            ny = float(np.clip(y + length * np.sin(angle), 0, h - 1))
            cv2.line(mask, (int(x), int(y)), (int(nx), int(ny)), 1, width, lineType=cv2.LINE_AA)
            cv2.circle(mask, (int(nx), int(ny)), width // 2, 1, -1)
            x, y = nx, ny
    return mask.astype(bool)


def blotch_mask(
    shape: tuple[int, int],
    rng: np.random.Generator,
    *,
    at_edge: bool = False,
    unit: float | None = None,
) -> np.ndarray:
    """An irregular loss; `at_edge` anchors it on the image border like a chipped corner."""
    h, w = shape
    size = rng.uniform(0.12, 0.3)
    radii = (size * h, size * w) if unit is None else (size * 512 * unit,) * 2
    if at_edge:
        side = int(rng.integers(0, 4))
        cy = [0.0, float(h), rng.random() * h, rng.random() * h][side]
        cx = [rng.random() * w, rng.random() * w, 0.0, float(w)][side]
    else:
        cy, cx = rng.random() * h, rng.random() * w
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot((yy - cy) / radii[0], (xx - cx) / radii[1])
    return (r + 0.7 * (smooth_noise(shape, rng, cells=8) - 0.5)) < 1.0


def large_mask(
    shape: tuple[int, int], rng: np.random.Generator, *, unit: float | None = None
) -> np.ndarray:
    roll = rng.random()
    if roll < 0.65:
        mask = brush_mask(shape, rng, unit=unit)
    elif roll < 0.85:
        mask = blotch_mask(shape, rng, unit=unit)
    else:
        mask = blotch_mask(shape, rng, at_edge=True, unit=unit)
        mask |= brush_mask(shape, rng, strokes=1, unit=unit)
    return mask


def generate_mask(kind: str, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A mask of `kind` that marks at least one pixel and leaves most of the image intact."""
    if kind not in KINDS:
        raise ValueError(f"mask kind must be one of {KINDS}, not {kind!r}")
    for _ in range(20):
        mask = crack_mask(shape, rng) if kind == "thin" else large_mask(shape, rng)
        if 0.002 < mask.mean() < 0.5:
            return mask
    return mask
