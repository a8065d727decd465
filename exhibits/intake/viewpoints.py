"""Camera views of a normalised (Y-up) model, framework-free: the default view that frames the
whole object, and views of annotation points, both from a slightly raised three-quarter angle.

A view never looks straight up or down: its elevation (the camera's angle above the horizontal
plane through its target) stays within `ELEVATION_BAND_DEG`, so a point on top of an object is
seen from above and in front, a point underneath from the side, never from below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import trimesh

UP = np.array([0.0, 1.0, 0.0])
ELEVATION_BAND_DEG = (12.0, 35.0)
# About the artifact viewer's home view (static/js/lib/camera-rig.js: azimuth 19, elevation 13).
DEFAULT_AZIMUTH_DEG = 20.0  # from the front (+Z) towards +X
DEFAULT_ELEVATION_DEG = 15.0
VIEWER_FOV_DEG = 40.0  # vertical field of view of the viewer's and the tour's camera
FRAME_MARGIN = 1.12


@dataclass(frozen=True)
class CameraView:
    camera_position: list[float]
    camera_target: list[float]

    def as_dict(self) -> dict[str, list[float]]:
        return {"camera_position": self.camera_position, "camera_target": self.camera_target}


@dataclass(frozen=True)
class Viewpoint:
    position: list[float]
    normal: list[float]
    camera_position: list[float]
    camera_target: list[float]


def _rounded(vector: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in vector]


def direction_from_angles(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Unit vector from a target towards a camera at (azimuth from +Z towards +X, elevation)."""
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    return np.array([math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el)])


def elevation_deg(camera_position: list[float], camera_target: list[float]) -> float:
    """The camera's angle above the horizontal plane through its target (90: straight down)."""
    offset = np.asarray(camera_position, dtype=np.float64) - np.asarray(camera_target)
    length = float(np.linalg.norm(offset))
    return math.degrees(math.asin(float(np.clip(offset @ UP / length, -1, 1)))) if length else 0.0


def raised_direction(outward: np.ndarray) -> np.ndarray:
    """`outward` (from a target towards where a camera could be) turned to a natural viewing
    angle: its heading kept, its elevation clamped to the band. Nearly vertical directions
    (a point on top or underneath) have no heading of their own and get the default one."""
    outward = np.asarray(outward, dtype=np.float64)
    outward = outward / np.linalg.norm(outward)
    horizontal = outward - (outward @ UP) * UP
    if np.linalg.norm(horizontal) < 0.35:  # within ~20 degrees of vertical
        azimuth = DEFAULT_AZIMUTH_DEG
    else:
        azimuth = math.degrees(math.atan2(horizontal[0], horizontal[2]))
    elevation = math.degrees(math.asin(float(np.clip(outward @ UP, -1, 1))))
    low, high = ELEVATION_BAND_DEG
    return direction_from_angles(azimuth, min(max(elevation, low), high))


def fit_distance(
    corners: np.ndarray,
    centre: np.ndarray,
    direction: np.ndarray,
    fov_deg: float = VIEWER_FOV_DEG,
    aspect: float = 1.0,
) -> float:
    """Smallest distance along `direction` from `centre` at which every corner is in view (the
    same rule as the viewer's fitDistance)."""
    tan_v = math.tan(math.radians(fov_deg) / 2)
    tan_h = tan_v * aspect
    right = np.cross(UP, direction)
    right /= np.linalg.norm(right)
    up = np.cross(direction, right)
    offsets = corners - centre
    depth = offsets @ direction
    needed = np.maximum(
        depth + np.abs(offsets @ right) / tan_h, depth + np.abs(offsets @ up) / tan_v
    )
    return float(max(needed.max(), 1e-6))


def default_view(
    bounds: np.ndarray,
    *,
    azimuth_deg: float = DEFAULT_AZIMUTH_DEG,
    elevation_deg: float = DEFAULT_ELEVATION_DEG,
    fov_deg: float = VIEWER_FOV_DEG,
    aspect: float = 1.0,
) -> CameraView:
    """A three-quarter view at a modest elevation that frames the whole box `bounds`
    ([min, max], Y up, as intake normalises every model), looking at its centre."""
    bounds = np.asarray(bounds, dtype=np.float64)
    low, high = max(elevation_deg, ELEVATION_BAND_DEG[0]), ELEVATION_BAND_DEG[1]
    direction = direction_from_angles(azimuth_deg, min(low, high))
    centre = bounds.mean(axis=0)
    corners = np.array(
        [[x, y, z] for x in bounds[:, 0] for y in bounds[:, 1] for z in bounds[:, 2]]
    )
    distance = fit_distance(corners, centre, direction, fov_deg, aspect) * FRAME_MARGIN
    return CameraView(_rounded(centre + direction * distance), _rounded(centre))


def normalised_bounds(dimensions_m: tuple[float, float, float]) -> np.ndarray:
    """The box of a normalised model from its (height, width, depth): footprint centred on
    the origin, standing on y = 0 (exhibits/intake/normalise.py)."""
    height, width, depth = dimensions_m
    return np.array([[-width / 2, 0.0, -depth / 2], [width / 2, height, depth / 2]])


def extreme_viewpoint(
    mesh: trimesh.Trimesh,
    direction: tuple[float, float, float],
    height_band: tuple[float, float] = (0.0, 1.0),
    distance_factor: float = 0.9,
) -> Viewpoint:
    """The surface point furthest along `direction` within a band of the mesh's height (Y),
    and a raised three-quarter view of it.

    The camera stands outside, towards the direction and the point's normal, at
    `distance_factor` times the mesh's bounding-box diagonal (whatever the file's units),
    turned to a natural viewing angle (`raised_direction`).
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
    view_direction = raised_direction(heading + 0.35 * normal)
    camera = point + view_direction * distance_factor * diagonal
    return Viewpoint(
        position=_rounded(point),
        normal=_rounded(normal),
        camera_position=_rounded(camera),
        camera_target=_rounded(point),
    )
