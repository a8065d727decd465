"""Pick annotation points on a mesh and camera views that show them (framework-free)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh


@dataclass(frozen=True)
class Viewpoint:
    position: list[float]
    normal: list[float]
    camera_position: list[float]
    camera_target: list[float]


def extreme_viewpoint(
    mesh: trimesh.Trimesh,
    direction: tuple[float, float, float],
    height_band: tuple[float, float] = (0.0, 1.0),
    distance_factor: float = 0.9,
) -> Viewpoint:
    """The surface point furthest along `direction` within a band of the mesh's height (Y).

    The camera looks at the point from outside, along the direction, at `distance_factor`
    times the mesh's bounding-box diagonal, so the view works whatever the file's units.
    """
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    heading = np.asarray(direction, dtype=np.float64)
    heading /= np.linalg.norm(heading)
    low, high = vertices[:, 1].min(), vertices[:, 1].max()
    band = (vertices[:, 1] >= low + height_band[0] * (high - low)) & (
        vertices[:, 1] <= low + height_band[1] * (high - low)
    )
    candidates = np.flatnonzero(band) if band.any() else np.arange(len(vertices))
    index = candidates[np.argmax(vertices[candidates] @ heading)]
    point = vertices[index]
    normal = np.asarray(mesh.vertex_normals[index], dtype=np.float64)
    if normal @ heading < 0:  # scans are not always consistently wound
        normal = -normal
    diagonal = float(np.linalg.norm(vertices.max(axis=0) - vertices.min(axis=0)))
    view_direction = heading + 0.35 * normal
    view_direction /= np.linalg.norm(view_direction)
    camera = point + view_direction * distance_factor * diagonal
    return Viewpoint(
        position=[round(float(v), 6) for v in point],
        normal=[round(float(v), 6) for v in normal],
        camera_position=[round(float(v), 6) for v in camera],
        camera_target=[round(float(v), 6) for v in point],
    )
