"""Harder synthetic training cases: real crack shapes, cracks of every width and contrast, and
hard negatives (things that look like damage and are not).

Framework-free (numpy + OpenCV). Every function takes an RGB float32 image in [0, 1] and a numpy
Generator and changes the image in place; crack functions return the (H, W) bool mask of what
they drew, hard negatives return nothing (their pixels are labelled "no damage").
"""

from __future__ import annotations

import cv2
import numpy as np

from .synth import _crack_path, smooth_noise


def _stain(img: np.ndarray, mask: np.ndarray, rng: np.random.Generator, *, strength: float) -> None:
    """Darken `mask` to `strength` (0: black void, 1: unchanged) with a soft halo."""
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), float(rng.uniform(0.4, 1.2)))
    soft = np.maximum(soft, mask.astype(np.float32))[..., None]
    void = rng.uniform(0.0, 0.12, 3).astype(np.float32)
    local = img * strength + void * (1 - strength)
    img[:] = img * (1 - soft) + local * soft


def crack_strength(rng: np.random.Generator) -> float:
    """How much of the ground a crack keeps: dark open fissures to faint hairlines."""
    kind = rng.random()
    if kind < 0.35:
        return float(rng.uniform(0.02, 0.3))  # dark, open
    if kind < 0.75:
        return float(rng.uniform(0.3, 0.65))
    return float(rng.uniform(0.65, 0.85))  # faint


def paste_crack_shape(
    img: np.ndarray, shapes: list[np.ndarray], rng: np.random.Generator
) -> np.ndarray:
    """A real crack mask shape (from the training masonry masks), turned, rescaled, widened or
    kept thin, pasted as a crack of random darkness."""
    h, w = img.shape[:2]
    shape = shapes[int(rng.integers(0, len(shapes)))]
    if not shape.any():
        return np.zeros((h, w), bool)
    m = np.rot90(shape, int(rng.integers(0, 4)))
    if rng.random() < 0.5:
        m = m[:, ::-1]
    scale = float(rng.uniform(0.6, 2.2))
    m = cv2.resize(m.astype(np.uint8) * 255, None, fx=scale, fy=scale) > 127
    grow = int(rng.choice([0, 0, 0, 1, 1, 2, 3, 5]))
    if grow:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        m = cv2.dilate(m.astype(np.uint8), kernel) > 0
    mask = np.zeros((h, w), bool)
    mh, mw = m.shape
    y0, x0 = int(rng.integers(-mh // 3, h - mh // 3)), int(rng.integers(-mw // 3, w - mw // 3))
    ys, xs = slice(max(0, y0), min(h, y0 + mh)), slice(max(0, x0), min(w, x0 + mw))
    mask[ys, xs] = m[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0]
    if mask.any():
        _stain(img, mask, rng, strength=crack_strength(rng))
    return mask


def draw_varied_cracks(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Branching random-walk cracks 1-10 px wide (widths taper along branches), any contrast."""
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(1, 3))):
        trunk = _crack_path(
            rng.random(2) * [w, h],
            rng.uniform(0, 2 * np.pi),
            int(rng.integers(h // 2, 2 * h)),
            rng,
            (h, w),
        )
        width = int(rng.choice([1, 1, 2, 2, 3, 4, 5, 6, 8, 10]))
        cv2.polylines(mask, [trunk], False, 1, thickness=width, lineType=cv2.LINE_8)
        for _ in range(int(rng.integers(0, 4))):
            origin = trunk[int(rng.integers(0, len(trunk)))]
            branch = _crack_path(
                origin, rng.uniform(0, 2 * np.pi), int(rng.integers(10, h // 2 + 11)), rng, (h, w)
            )
            cv2.polylines(
                mask, [branch], False, 1, thickness=max(1, width // 2), lineType=cv2.LINE_8
            )
    _stain(img, mask.astype(bool), rng, strength=crack_strength(rng))
    return mask.astype(bool)


# Hard negatives -------------------------------------------------------------------------------


def draw_ornament_lines(img: np.ndarray, rng: np.random.Generator) -> None:
    """Smooth drawn lines (outlines, ornament, hatching, arcs) in one ink colour: not cracks."""
    h, w = img.shape[:2]
    ink = rng.uniform(0.0, 0.35, 3) if rng.random() < 0.7 else rng.uniform(0, 1, 3)
    canvas = img.copy()
    colour = tuple(float(c) for c in ink)
    for _ in range(int(rng.integers(1, 6))):
        kind = rng.random()
        width = int(rng.integers(1, 5))
        if kind < 0.35:  # a smooth curve (a sine-like outline)
            t = np.linspace(0, 1, 60)
            x0, y0, x1, y1 = rng.random(4) * [w, h, w, h]
            amp, freq = rng.uniform(3, h / 4), rng.uniform(0.3, 2.0)
            nx, ny = -(y1 - y0), x1 - x0
            norm = np.hypot(nx, ny) + 1e-6
            off = amp * np.sin(2 * np.pi * freq * t + rng.uniform(0, 6.3))
            pts = np.stack(
                [x0 + (x1 - x0) * t + off * nx / norm, y0 + (y1 - y0) * t + off * ny / norm], 1
            )
            cv2.polylines(
                canvas, [np.round(pts).astype(np.int32)], False, colour, width, cv2.LINE_AA
            )
        elif kind < 0.6:  # straight lines, sometimes parallel hatching
            n = int(rng.integers(1, 8))
            ang = rng.uniform(0, np.pi)
            d = np.array([np.cos(ang), np.sin(ang)]) * max(h, w)
            step = np.array([-np.sin(ang), np.cos(ang)]) * rng.uniform(4, 20)
            c0 = rng.random(2) * [w, h]
            for i in range(n):
                a, b = c0 - d + i * step, c0 + d + i * step
                cv2.line(
                    canvas,
                    tuple(int(v) for v in a),
                    tuple(int(v) for v in b),
                    colour,
                    width,
                    cv2.LINE_AA,
                )
        elif kind < 0.85:  # circles and arcs
            c = tuple(int(v) for v in rng.random(2) * [w, h])
            ax = (int(rng.uniform(5, w / 2)), int(rng.uniform(5, h / 2)))
            start = float(rng.uniform(0, 360))
            cv2.ellipse(
                canvas,
                c,
                ax,
                float(rng.uniform(0, 180)),
                start,
                start + float(rng.uniform(60, 360)),
                colour,
                width,
                cv2.LINE_AA,
            )
        else:  # a lettering-like row of short strokes
            y = int(rng.uniform(0, h))
            x = int(rng.uniform(0, w / 2))
            size = int(rng.integers(4, 14))
            while x < w:
                cv2.line(
                    canvas,
                    (x, y),
                    (x + int(rng.integers(-size, size)), y - size),
                    colour,
                    max(1, width - 1),
                    cv2.LINE_AA,
                )
                x += int(rng.integers(size // 2 + 1, size + 4))
    img[:] = canvas


def atlas_padding(img: np.ndarray, rng: np.random.Generator) -> None:
    """Texture-atlas look: flat black or colour padding around irregular islands, hard seams."""
    h, w = img.shape[:2]
    island = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(1, 4))):
        n = int(rng.integers(3, 8))
        centre = rng.random(2) * [w, h]
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        radii = rng.uniform(0.15, 0.6, n) * min(h, w)
        pts = centre + np.stack([np.cos(angles), np.sin(angles)], 1) * radii[:, None]
        cv2.fillPoly(island, [np.round(pts).astype(np.int32)], 1)
    pad = np.zeros(3, np.float32) if rng.random() < 0.6 else rng.uniform(0, 1, 3).astype(np.float32)
    outside = island == 0
    if rng.random() < 0.3:  # a different texture region (another island) instead of padding
        shifted = np.roll(img, (int(rng.integers(h // 4, h)), int(rng.integers(w // 4, w))), (0, 1))
        img[outside] = shifted[outside] * rng.uniform(0.6, 1.2)
    else:
        img[outside] = pad
    if rng.random() < 0.4:  # a seam line of bleeding colour along the island edge
        edge = cv2.morphologyEx(island, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
        img[edge] = img[edge] * rng.uniform(0.3, 1.0)
    np.clip(img, 0, 1, out=img)


def cast_shadow(img: np.ndarray, rng: np.random.Generator) -> None:
    """A soft or hard-edged shadow (a darker region with a blurred edge)."""
    h, w = img.shape[:2]
    region = smooth_noise((h, w), rng, cells=int(rng.integers(2, 5))) > rng.uniform(0.4, 0.7)
    soft = cv2.GaussianBlur(region.astype(np.float32), (0, 0), float(rng.uniform(1, 12)))
    img[:] = img * (1 - soft[..., None] * rng.uniform(0.25, 0.7))


def mortar_grid(img: np.ndarray, rng: np.random.Generator) -> None:
    """Dark, regular joints (brick courses or tiles): straight lines on a grid, not cracks."""
    h, w = img.shape[:2]
    course = int(rng.integers(12, 48))
    brick = int(course * rng.uniform(1.5, 3.5))
    width = int(rng.integers(2, 7))
    joints = np.zeros((h, w), np.uint8)
    for r, y in enumerate(range(int(rng.integers(0, course)), h, course)):
        cv2.line(joints, (0, y), (w, y), 1, width)
        shift = (r % 2) * brick // 2
        for x in range(shift - brick, w, brick):
            cv2.line(joints, (x, y), (x, y + course), 1, width)
    angle = float(rng.uniform(-10, 10))
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    turned = cv2.warpAffine(joints, rot, (w, h), flags=cv2.INTER_NEAREST)
    soft = cv2.GaussianBlur(turned.astype(np.float32), (0, 0), 0.8)
    tone = rng.uniform(0.1, 0.6)
    img[:] = img * (1 - soft[..., None] * (1 - tone))


HARD_NEGATIVES = (draw_ornament_lines, atlas_padding, cast_shadow, mortar_grid)


def add_hard_negative(img: np.ndarray, rng: np.random.Generator) -> None:
    HARD_NEGATIVES[int(rng.integers(0, len(HARD_NEGATIVES)))](img, rng)
