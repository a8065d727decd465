"""Mirror-symmetry completion: detect the plane on the intact surface, reflect it into the hole.

Plane detection: the three principal axes through the centroid are the candidates; each is
refined by trimmed ICP between the points and their reflection (the midpoint and difference of
each matched pair give the plane), and the candidate with the smallest trimmed residual wins.
Hand-written (about 40 lines of numpy/scipy): no installed library detects mirror planes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np
import trimesh
from scipy.spatial import cKDTree

from restoration.mesh.errors import MeshRepairError
from restoration.mesh.fill import FillResult, Target, fill_holes
from restoration.mesh.holes import weld
from restoration.mesh.metrics import point_mesh_distance

# cKDTree.query of an array of points gives arrays (the stubs also cover a single point).
_Query = tuple[np.ndarray, np.ndarray]

MIN_OVERLAP = 0.7  # share of the surface that must reflect onto itself to call it symmetric


@dataclass(frozen=True)
class MirrorPlane:
    normal: np.ndarray  # unit
    offset: float  # plane: normal . x = offset
    residual: float  # trimmed mean distance between the surface and its reflection
    overlap: float  # share of points whose reflection lands on the surface

    def reflect(self, points: np.ndarray) -> np.ndarray:
        distance = points @ self.normal - self.offset
        return points - 2.0 * distance[:, None] * self.normal

    def as_dict(self) -> dict:
        return {
            "normal": [round(float(x), 6) for x in self.normal],
            "offset": float(self.offset),
            "residual": float(self.residual),
            "overlap": round(float(self.overlap), 4),
        }


def detect_mirror_plane(
    points: np.ndarray, *, keep: float = 0.8, iterations: int = 100, seed: int = 0
) -> MirrorPlane:
    """The best mirror plane of a point sample; `keep` is the share of matches trusted per ICP
    step (the rest may fall into the missing region)."""
    points = np.asarray(points, dtype=np.float64)
    if len(points) < 10 or not np.isfinite(points).all():
        raise MeshRepairError("bad_points", "Symmetry needs at least 10 finite points.")
    rng = np.random.default_rng(seed)
    if len(points) > 20_000:
        points = points[rng.choice(len(points), 20_000, replace=False)]
    tree = cKDTree(points)
    centre = points.mean(axis=0)
    _, _, axes = np.linalg.svd(points - centre, full_matrices=False)
    best = None
    for normal in axes:
        plane = _refine(points, tree, normal, float(normal @ centre), keep, iterations)
        if best is None or plane.residual < best.residual:
            best = plane
    assert best is not None  # svd gives three axes
    return best


def _refine(
    points: np.ndarray, tree: cKDTree, normal: np.ndarray, offset: float, keep: float, steps: int
) -> MirrorPlane:
    for _ in range(steps):
        plane = MirrorPlane(normal, offset, 0.0, 0.0)
        distance, match = cast(_Query, tree.query(plane.reflect(points)))
        cut = np.quantile(distance, keep)
        pairs = distance <= cut
        p, q = points[pairs], points[match[pairs]]
        difference = p - q
        # The plane normal is the dominant direction of p - q; its midpoint lies on the plane.
        _, _, vt = np.linalg.svd(difference, full_matrices=False)
        new_normal = vt[0] * np.sign(vt[0] @ normal or 1.0)
        new_offset = float(((p + q) / 2.0 @ new_normal).mean())
        converged = np.allclose(new_normal, normal, atol=1e-9) and abs(new_offset - offset) < 1e-12
        normal, offset = new_normal, new_offset
        if converged:
            break
    plane = MirrorPlane(normal, offset, 0.0, 0.0)
    distance, _ = cast(_Query, tree.query(plane.reflect(points)))
    scale = np.median(cast(_Query, tree.query(points, k=2))[0][:, 1])
    cut = np.quantile(distance, keep)
    return MirrorPlane(
        normal,
        offset,
        float(distance[distance <= cut].mean()),
        float((distance <= 3.0 * scale).mean()),
    )


def surface_overlap(
    mesh: trimesh.Trimesh, plane: MirrorPlane, *, samples: int = 5000
) -> MirrorPlane:
    """The plane with `overlap` measured on the surface: the share of (up to `samples`) vertices
    whose reflection lies within a quarter of a mean edge of the surface."""
    welded = weld(mesh)
    surface = trimesh.Trimesh(welded.vertices, welded.faces, process=False)
    points = welded.vertices
    if len(points) > samples:
        points = points[np.random.default_rng(0).choice(len(points), samples, replace=False)]
    distance = point_mesh_distance(plane.reflect(points), surface)
    tolerance = 0.25 * float(surface.edges_unique_length.mean())
    return replace(plane, overlap=float((distance <= tolerance).mean()))


def mirror_target(mesh: trimesh.Trimesh, plane: MirrorPlane, *, max_distance: float) -> Target:
    """Points on the mirror image of the surface: reflect, project onto the nearest intact
    vertex's tangent plane, reflect back. Points whose mirror lands far from the surface (the
    other side is missing too) are marked untrusted and keep their faired position."""
    welded = weld(mesh)
    surface = trimesh.Trimesh(welded.vertices, welded.faces, process=False)
    normals = surface.vertex_normals
    tree = cKDTree(welded.vertices)

    def target(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mirrored = plane.reflect(points)
        distance, nearest = cast(_Query, tree.query(mirrored))
        n = normals[nearest]
        offset = ((mirrored - welded.vertices[nearest]) * n).sum(axis=1)
        projected = mirrored - offset[:, None] * n
        return plane.reflect(projected), distance <= max_distance

    return target


def complete_by_symmetry(
    mesh: trimesh.Trimesh, *, plane: MirrorPlane | None = None, **fill_options: Any
) -> tuple[FillResult, MirrorPlane]:
    """Fill the holes, then pull the new surface onto the mirror image of the intact side."""
    welded = weld(mesh)
    plane = surface_overlap(mesh, plane or detect_mirror_plane(welded.vertices))
    if plane.overlap < MIN_OVERLAP:
        raise MeshRepairError(
            "no_symmetry",
            f"No mirror plane fits: only {plane.overlap:.0%} of the surface reflects onto itself.",
        )
    edge = np.linalg.norm(
        welded.vertices[welded.faces[:, 0]] - welded.vertices[welded.faces[:, 1]], axis=1
    ).mean()
    target = mirror_target(mesh, plane, max_distance=4.0 * edge + 3.0 * plane.residual)
    return fill_holes(mesh, target=target, **fill_options), plane
