"""Procedural damage with known masks: cracks and craquelure, losses, corrosion patina, fading.

Each function takes an RGB float32 image in [0, 1] and a numpy Generator, changes the image in
place and returns the (H, W) bool mask of what it did. `add_damage` draws a random mix.
"""

from __future__ import annotations

import cv2
import numpy as np

from .config import DAMAGE_CLASSES


def smooth_noise(shape: tuple[int, int], rng: np.random.Generator, *, cells: int = 6) -> np.ndarray:
    """Low-frequency noise in [0, 1]: a small random grid upscaled bicubically."""
    h, w = shape
    grid = rng.random((max(2, cells * h // max(h, w) + 1), max(2, cells * w // max(h, w) + 1)))
    up = cv2.resize(grid.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    lo, hi = float(up.min()), float(up.max())
    return (up - lo) / (hi - lo + 1e-6)


def _crack_path(
    start: np.ndarray, angle: float, length: int, rng: np.random.Generator, shape: tuple[int, int]
) -> np.ndarray:
    pts = [start.astype(np.float64)]
    step = 3.0
    for _ in range(max(2, int(length / step))):
        angle += rng.normal(0, 0.35)
        nxt = pts[-1] + step * np.array([np.cos(angle), np.sin(angle)])
        pts.append(nxt)
        if not (-5 <= nxt[0] <= shape[1] + 5 and -5 <= nxt[1] <= shape[0] + 5):
            break
    return np.round(np.array(pts)).astype(np.int32)


def draw_cracks(
    img: np.ndarray, rng: np.random.Generator, *, count: int | None = None
) -> np.ndarray:
    """Thin (1-3 px) branching dark cracks; the mask is the drawn line."""
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    for _ in range(count if count is not None else int(rng.integers(1, 4))):
        start = rng.random(2) * [w, h]
        paths = [
            _crack_path(
                start, rng.uniform(0, 2 * np.pi), int(rng.integers(h // 3, 2 * h)), rng, (h, w)
            )
        ]
        for _ in range(int(rng.integers(0, 4))):  # branches leave from a point on the trunk
            trunk = paths[0]
            origin = trunk[int(rng.integers(0, len(trunk)))]
            paths.append(
                _crack_path(
                    origin,
                    rng.uniform(0, 2 * np.pi),
                    int(rng.integers(10, h // 2 + 11)),
                    rng,
                    (h, w),
                )
            )
        for i, p in enumerate(paths):
            width = int(rng.integers(1, 4)) if i == 0 else int(rng.integers(1, 3))
            cv2.polylines(mask, [p], False, 1, thickness=width, lineType=cv2.LINE_8)
    _darken(img, mask, rng)
    return mask.astype(bool)


def draw_craquelure(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A network of fine cells (the age cracks of paint), over a soft-edged patch of the image."""
    h, w = img.shape[:2]
    cell = float(rng.uniform(10, 28))
    n = max(4, int(h * w / cell**2))
    pts = (rng.random((n, 2)) * [w, h]).astype(np.float32)
    subdiv = cv2.Subdiv2D((-w, -h, 3 * w, 3 * h))
    for p in pts:
        subdiv.insert((float(p[0]), float(p[1])))
    facets, _ = subdiv.getVoronoiFacetList([])
    mask = np.zeros((h, w), np.uint8)
    keep = rng.uniform(0.5, 0.95)
    for facet in facets:
        poly = np.round(facet).astype(np.int32)
        for a, b in zip(poly, np.roll(poly, -1, axis=0), strict=True):
            if rng.random() < keep:
                jitter = rng.normal(0, 1.0, 2)
                mid = np.round((a + b) / 2 + jitter).astype(np.int32)
                cv2.polylines(
                    mask, [np.array([a, mid, b])], False, 1, thickness=1, lineType=cv2.LINE_8
                )
    region = smooth_noise((h, w), rng, cells=3) > rng.uniform(0.3, 0.6)
    mask &= region.astype(np.uint8)
    _darken(img, mask, rng, strength=(0.35, 0.7))
    return mask.astype(bool)


def _darken(
    img: np.ndarray,
    mask: np.ndarray,
    rng: np.random.Generator,
    strength: tuple[float, float] = (0.25, 0.65),
) -> None:
    if not mask.any():
        return
    factor = rng.uniform(*strength)
    # A soft halo makes drawn cracks look less like perfect vector lines.
    soft = cv2.GaussianBlur(mask.astype(np.float32), (3, 3), rng.uniform(0.3, 0.9))
    soft = np.maximum(soft, mask.astype(np.float32))
    dark = rng.uniform(0.0, 0.15, 3).astype(np.float32)
    img[:] = (
        img * (1 - soft[..., None] * (1 - factor)) + dark * soft[..., None] * (1 - factor) * 0.3
    )


def _blob(shape: tuple[int, int], rng: np.random.Generator, *, size: float) -> np.ndarray:
    h, w = shape
    cy, cx = rng.random() * h, rng.random() * w
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot((yy - cy) / (size * h), (xx - cx) / (size * w))
    return (r + 0.6 * (smooth_noise(shape, rng, cells=8) - 0.5)) < 1.0


def draw_loss(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Missing material: an irregular hole showing ground (gesso, plaster, void), with an edge."""
    h, w = img.shape[:2]
    mask = _blob((h, w), rng, size=rng.uniform(0.06, 0.25))
    if not mask.any():
        return mask
    grounds = [(0.93, 0.9, 0.82), (0.85, 0.78, 0.66), (0.12, 0.1, 0.09), (0.7, 0.68, 0.64)]
    ground = np.array(grounds[int(rng.integers(0, len(grounds)))], np.float32)
    tex = 0.08 * (smooth_noise((h, w), rng, cells=40)[..., None] - 0.5)
    fill = np.clip(ground + tex, 0, 1)
    edge = cv2.morphologyEx(
        mask.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)
    ).astype(bool)
    img[mask] = fill[mask]
    img[edge] *= rng.uniform(0.4, 0.8)
    return mask


def draw_corrosion(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Patina blotches: verdigris green, rust brown or black tarnish, mottled."""
    h, w = img.shape[:2]
    alpha = smooth_noise((h, w), rng, cells=int(rng.integers(3, 9)))
    alpha = np.clip((alpha - rng.uniform(0.5, 0.75)) * 5.0, 0, 1)
    colours = [(0.27, 0.55, 0.45), (0.45, 0.27, 0.12), (0.16, 0.16, 0.13), (0.38, 0.6, 0.5)]
    colour = np.array(colours[int(rng.integers(0, len(colours)))], np.float32)
    mottle = 0.25 * (smooth_noise((h, w), rng, cells=50) - 0.5)
    layer = np.clip(colour + mottle[..., None], 0, 1)
    a = alpha[..., None] * rng.uniform(0.7, 0.95)
    img[:] = img * (1 - a) + layer * a
    return alpha > 0.5


def draw_fading(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Light damage: a broad region washed out towards a pale, desaturated tone."""
    h, w = img.shape[:2]
    alpha = smooth_noise((h, w), rng, cells=int(rng.integers(2, 4)))
    alpha = np.clip((alpha - rng.uniform(0.35, 0.6)) * 4.0, 0, 1)
    grey = img.mean(axis=2, keepdims=True)
    pale = 0.35 * grey + 0.65 * np.array([0.9, 0.88, 0.82], np.float32)
    a = alpha[..., None] * rng.uniform(0.6, 0.9)
    img[:] = img * (1 - a) + pale * a
    return alpha > 0.5


def add_damage(
    img: np.ndarray, rng: np.random.Generator, *, crack_only: bool = False
) -> np.ndarray:
    """Apply a random mix of damage in place; returns (C, H, W) float32 masks in class order."""
    h, w = img.shape[:2]
    masks = np.zeros((len(DAMAGE_CLASSES), h, w), bool)
    ix = {c: i for i, c in enumerate(DAMAGE_CLASSES)}
    if not crack_only:
        if rng.random() < 0.25:
            masks[ix["fading"]] |= draw_fading(img, rng)
        if rng.random() < 0.3:
            masks[ix["corrosion"]] |= draw_corrosion(img, rng)
    if rng.random() < 0.3:
        masks[ix["crack"]] |= draw_craquelure(img, rng)
    if rng.random() < 0.75:
        masks[ix["crack"]] |= draw_cracks(img, rng)
    if not crack_only and rng.random() < 0.3:
        loss = draw_loss(img, rng)
        masks[ix["loss"]] |= loss
        masks[:, loss] &= np.array([c == "loss" for c in DAMAGE_CLASSES])[:, None]
    return masks.astype(np.float32)
