"""Mirror-symmetry and axis-of-revolution completion on synthetic shapes with known truth."""

from __future__ import annotations

import numpy as np
import trimesh

from restoration.mesh import (
    complete_by_revolution,
    complete_by_symmetry,
    detect_mirror_plane,
    fill_holes,
    fit_axis,
)
from restoration.mesh.metrics import surface_distance
from tests.unit.mesh_shapes import cut_sherd, mirrored_shape, remove_faces, vessel


def _patch_error(result, truth: trimesh.Trimesh) -> float:
    patch = result.filled[0]
    return surface_distance(trimesh.Trimesh(patch.points, patch.faces), truth)["chamfer"]


def test_mirror_plane_of_a_symmetric_shape_is_found() -> None:
    mesh, normal = mirrored_shape()
    plane = detect_mirror_plane(mesh.vertices)
    assert abs(plane.normal @ normal) > np.cos(np.radians(0.5))
    assert abs(plane.offset) < 1e-3
    assert plane.overlap > 0.95


def test_symmetry_completion_restores_a_bump_that_smooth_filling_flattens() -> None:
    mesh, normal = mirrored_shape()
    # Remove a region on one side only (positive side of the plane).
    side = mesh.triangles_center @ normal
    centre = mesh.triangles_center[np.argmax(side)]
    cut = np.linalg.norm(mesh.triangles_center - centre, axis=1) < 0.55
    holed = remove_faces(mesh, cut)
    truth = trimesh.Trimesh(mesh.vertices, mesh.faces[cut], process=False)
    result, plane = complete_by_symmetry(holed, device="cpu")
    assert abs(plane.normal @ normal) > np.cos(np.radians(1.0))
    assert result.mesh.is_watertight
    mirrored = _patch_error(result, truth)
    smooth = _patch_error(fill_holes(holed, device="cpu"), truth)
    assert mirrored < smooth


def test_axis_of_a_revolved_profile_within_one_degree() -> None:
    mesh, truth = vessel(seed=3)
    surface = mesh
    axis = fit_axis(surface.triangles_center, surface.face_normals, weights=surface.area_faces)
    assert axis.angle_to(truth["direction"]) < 1.0
    # The fitted line passes through the true axis.
    offset = axis.point - truth["point"]
    assert np.linalg.norm(offset - (offset @ truth["direction"]) * truth["direction"]) < 1e-3


def test_revolution_completion_of_a_noisy_broken_vessel() -> None:
    mesh, truth = vessel(seed=5)
    broken, removed = cut_sherd(mesh, truth, start=0.3, width=1.2, low=0.25, high=0.7)
    rng = np.random.default_rng(0)
    broken.vertices = broken.vertices + rng.normal(scale=0.002, size=broken.vertices.shape)
    result, axis, _ = complete_by_revolution(broken, device="cpu")
    assert axis.angle_to(truth["direction"]) < 1.0
    assert result.mesh.is_watertight
    assert _patch_error(result, removed) < 0.01 * truth["rim_radius"]
