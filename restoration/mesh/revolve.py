"""Axis-of-revolution completion for vessels.

Axis: every surface normal line of a surface of revolution meets the axis. With normal lines in
Plücker coordinates (n, p x n), meeting the axis (a, a_bar) is the linear condition
(p x n) . a + n . a_bar = 0, so the axis is the least-squares solution under |a| = 1
(Pottmann & Randrup 1998, "Rotational and helical surface approximation for reverse engineering"),
refined by iteratively reweighted least squares (Tukey) against noise and broken edges.
Profile: the median radius per height bin. Hand-written: no installed library fits these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import trimesh

from restoration.mesh.errors import MeshRepairError
from restoration.mesh.fill import FillResult, Target, fill_holes
from restoration.mesh.holes import weld

MAX_PROFILE_DEVIATION = 0.03  # a surface of revolution keeps radii within this of its profile


@dataclass(frozen=True)
class Axis:
    point: np.ndarray  # the point of the axis closest to the origin
    direction: np.ndarray  # unit
    residual: float  # weighted RMS distance between normal lines and the axis

    def cylindrical(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(height, radius, angle) of points about the axis."""
        relative = points - self.point
        height = relative @ self.direction
        radial = relative - height[:, None] * self.direction
        u, v = _frame(self.direction)
        return height, np.linalg.norm(radial, axis=1), np.arctan2(radial @ v, radial @ u)

    def angle_to(self, direction: np.ndarray) -> float:
        """Angle in degrees between this axis and a direction (orientation ignored)."""
        cos = abs(float(self.direction @ direction) / float(np.linalg.norm(direction)))
        return float(np.degrees(np.arccos(min(1.0, cos))))

    def as_dict(self) -> dict:
        return {
            "point": [float(x) for x in self.point],
            "direction": [round(float(x), 6) for x in self.direction],
            "residual": float(self.residual),
        }


def _frame(direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    helper = np.eye(3)[int(np.argmin(np.abs(direction)))]
    u = np.cross(direction, helper)
    u /= np.linalg.norm(u)
    return u, np.cross(direction, u)


def fit_axis(
    points: np.ndarray,
    normals: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    iterations: int = 10,
) -> Axis:
    """The axis that the normal lines (points[i], normals[i]) meet, in the least-squares sense."""
    points = np.asarray(points, dtype=np.float64)
    normals = np.asarray(normals, dtype=np.float64)
    if len(points) < 6 or not (np.isfinite(points).all() and np.isfinite(normals).all()):
        raise MeshRepairError("bad_points", "An axis needs at least 6 finite points with normals.")
    normals = normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-300)
    centre = points.mean(axis=0)
    scale = np.sqrt(((points - centre) ** 2).sum(axis=1).mean()) or 1.0
    local = (points - centre) / scale  # conditioning: the moments are then O(1)
    rows = np.hstack([np.cross(local, normals), normals])
    weight = np.ones(len(points)) if weights is None else np.asarray(weights, dtype=np.float64)
    base_weight = weight.copy()
    for _ in range(iterations):
        a, a_bar = _weighted_axis(rows, weight)
        residual = np.abs(rows @ np.concatenate([a, a_bar]))
        # Tukey biweight with a robust scale: sherd edges and noisy normals lose their say.
        sigma = 1.4826 * np.median(residual) + 1e-12
        u = residual / (4.685 * sigma)
        weight = base_weight * np.where(u < 1.0, (1.0 - u**2) ** 2, 0.0)
        if weight.sum() < 6:
            break
    # a_bar = q x a for a point q on the axis; the point nearest the origin is a x a_bar.
    point_local = np.cross(a, a_bar)
    rms = float(np.sqrt(np.average(residual**2, weights=np.maximum(weight, 1e-12))))
    return Axis(centre + scale * point_local, a, rms * scale)


def _weighted_axis(rows: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimise sum w (m.a + n.a_bar)^2 subject to |a| = 1: eliminate a_bar, then the smallest
    eigenvector of the Schur complement is a."""
    matrix = (rows * weight[:, None]).T @ rows
    m11, m12, m22 = matrix[:3, :3], matrix[:3, 3:], matrix[3:, 3:]
    m22_inv = np.linalg.pinv(m22)
    schur = m11 - m12 @ m22_inv @ m12.T
    _, vectors = np.linalg.eigh(schur)
    a = vectors[:, 0]
    a_bar = -m22_inv @ m12.T @ a
    # Remove the helical part (pitch a . a_bar) so (a, a_bar) is a line.
    a_bar = a_bar - (a @ a_bar) * a
    return a, a_bar


@dataclass(frozen=True)
class Profile:
    heights: np.ndarray
    radii: np.ndarray

    def radius(self, height: np.ndarray) -> np.ndarray:
        return np.interp(height, self.heights, self.radii)


def fit_profile(points: np.ndarray, axis: Axis, *, bins: int | None = None) -> Profile:
    """Median radius per height bin (a single-sheet profile, e.g. the outer wall); by default
    about 30 points per bin, between 16 and 256 bins."""
    height, radius, _ = axis.cylindrical(points)
    bins = bins or int(np.clip(len(points) // 30, 16, 256))
    edges = np.linspace(height.min(), height.max(), bins + 1)
    index = np.clip(np.digitize(height, edges) - 1, 0, bins - 1)
    centres, medians = [], []
    for b in range(bins):
        inside = index == b
        if inside.sum() >= 3:
            centres.append(np.median(height[inside]))
            medians.append(np.median(radius[inside]))
    if len(centres) < 2:
        raise MeshRepairError("bad_profile", "Too few points along the axis to fit a profile.")
    return Profile(np.array(centres), np.array(medians))


def profile_deviation(points: np.ndarray, axis: Axis, profile: Profile) -> float:
    """Median |radius - profile(height)| over the largest profile radius."""
    height, radius, _ = axis.cylindrical(points)
    spread = np.median(np.abs(radius - profile.radius(height)))
    return float(spread / max(float(profile.radii.max()), 1e-300))


def revolution_target(axis: Axis, profile: Profile) -> Target:
    """Points on the surface of revolution: keep height and angle, take the profile's radius."""

    def target(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        height, radius, _ = axis.cylindrical(points)
        relative = points - axis.point
        radial = relative - height[:, None] * axis.direction
        unit = radial / np.maximum(radius[:, None], 1e-300)
        projected = axis.point + height[:, None] * axis.direction
        projected = projected + profile.radius(height)[:, None] * unit
        inside = (height >= profile.heights[0]) & (height <= profile.heights[-1])
        return projected, inside & (radius > 0)

    return target


def complete_by_revolution(
    mesh: trimesh.Trimesh, *, axis: Axis | None = None, **fill_options: Any
) -> tuple[FillResult, Axis, Profile]:
    """Fit the axis and profile on the intact surface, fill the holes, and pull the new surface
    onto the surface of revolution (blended from the seam)."""
    welded = weld(mesh)
    surface = trimesh.Trimesh(welded.vertices, welded.faces, process=False)
    centres = surface.triangles_center
    axis = axis or fit_axis(centres, surface.face_normals, weights=surface.area_faces)
    profile = fit_profile(welded.vertices, axis)
    deviation = profile_deviation(welded.vertices, axis, profile)
    if deviation > MAX_PROFILE_DEVIATION:
        raise MeshRepairError(
            "no_revolution",
            f"Not a surface of revolution: radii stray {deviation:.1%} of the largest radius "
            "from the fitted profile.",
        )
    return fill_holes(mesh, target=revolution_target(axis, profile), **fill_options), axis, profile
