"""Framework-free geometry of drawn regions: point lists, areas, bounding boxes.

A 3D region is a polyline or polygon of points on a model's surface in model metres; an image
region a polyline or polygon in a canvas's full-resolution pixels. Areas are those of polygons:
in 2D the shoelace formula; in 3D Newell's vector area (exact for a planar polygon, and for a
region drawn on a curved surface the area of its projection on the best-fitting plane, which
slightly under-counts strongly curved regions)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeGuard

MIN_POINTS = {"polyline": 2, "polygon": 3}
MAX_POINTS = 2000

Point = Sequence[float]


def is_number(value: object) -> bool:
    """A finite int or float (not a bool, NaN or infinity)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_point_list(value: object, size: int) -> TypeGuard[list[list[float]]]:
    """A list of lists of `size` finite numbers."""
    return isinstance(value, list) and all(
        isinstance(p, list) and len(p) == size and all(is_number(v) for v in p) for p in value
    )


def polygon_area_2d(points: Sequence[Point]) -> float:
    """The area enclosed by a 2D polygon (shoelace), in the points' unit squared."""
    total = 0.0
    for (x0, y0), (x1, y1) in zip(points, [*points[1:], points[0]], strict=True):
        total += x0 * y1 - x1 * y0
    return abs(total) / 2


def polygon_area_3d(points: Sequence[Point]) -> float:
    """Newell's vector area of a 3D polygon (module docstring), in the points' unit squared."""
    nx = ny = nz = 0.0
    for (x0, y0, z0), (x1, y1, z1) in zip(points, [*points[1:], points[0]], strict=True):
        nx += (y0 - y1) * (z0 + z1)
        ny += (z0 - z1) * (x0 + x1)
        nz += (x0 - x1) * (y0 + y1)
    return math.sqrt(nx * nx + ny * ny + nz * nz) / 2


def bounding_box(points: Sequence[Point]) -> list[float]:
    """[x, y, w, h] of 2D points."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def centroid(points: Sequence[Point]) -> list[float]:
    """The mean of the points (a label anchor, not the area's centre of mass)."""
    size = len(points[0])
    return [sum(p[i] for p in points) / len(points) for i in range(size)]


def model_box(
    width_m: float | None, height_m: float | None, depth_m: float | None, *, margin: float = 0.5
) -> tuple[list[float], list[float]] | None:
    """The box a normalised model fills (footprint centred on x = z = 0, standing on y = 0),
    grown by `margin` times its largest side; None when a side is unknown."""
    sides = [v for v in (width_m, height_m, depth_m) if is_number(v) and v is not None and v > 0]
    if len(sides) < 3:
        return None
    w, h, d = sides
    pad = margin * max(w, h, d)
    return [-w / 2 - pad, -pad, -d / 2 - pad], [w / 2 + pad, h + pad, d / 2 + pad]


def inside_box(points: Sequence[Point], box: tuple[Sequence[float], Sequence[float]]) -> bool:
    low, high = box
    return all(low[i] <= p[i] <= high[i] for p in points for i in range(3))
