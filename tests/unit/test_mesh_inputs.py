"""Bad meshes get a MeshRepairError with a stable code, and the input is never changed."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from restoration.mesh import (
    MeshRepairError,
    complete_by_revolution,
    complete_by_symmetry,
    fill_holes,
    find_holes,
)
from restoration.mesh.revolve import fit_axis
from restoration.mesh.symmetry import detect_mirror_plane
from tests.unit.mesh_shapes import sphere_with_hole


def _code(mesh: trimesh.Trimesh, **options) -> str:
    with pytest.raises(MeshRepairError) as caught:
        fill_holes(mesh, device="cpu", **options)
    assert caught.value.message  # a sentence for people, not only a code
    return caught.value.code


def test_closed_mesh_has_no_holes_to_fill() -> None:
    assert _code(trimesh.creation.icosphere(subdivisions=2)) == "no_holes"


def test_a_mesh_that_is_all_hole_is_refused() -> None:
    strip = trimesh.Trimesh(
        [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [2, 0, 0]],
        [[0, 1, 2], [1, 3, 2], [1, 4, 3]],
        process=False,
    )
    assert _code(strip) == "all_hole"


def test_nan_coordinates_are_refused() -> None:
    holed, _ = sphere_with_hole()
    vertices = holed.vertices.copy()
    vertices[3, 1] = np.nan
    assert _code(trimesh.Trimesh(vertices, holed.faces, process=False)) == "non_finite"


def test_empty_mesh_is_refused() -> None:
    assert _code(trimesh.Trimesh(np.zeros((0, 3)), np.zeros((0, 3), dtype=int))) == "empty"


def test_non_manifold_edge_on_the_hole_is_refused_and_nothing_is_lost() -> None:
    holed, _ = sphere_with_hole()
    loop = find_holes(holed).holes[0].original_ids
    # A fin: two more faces on one of the hole's edges, which then has three.
    a, b = int(loop[0]), int(loop[1])
    fin_tip = holed.vertices[a] + [0.0, 0.0, 0.5]
    vertices = np.vstack([holed.vertices, fin_tip])
    faces = np.vstack([holed.faces, [a, b, len(holed.vertices)], [b, a, len(holed.vertices)]])
    broken = trimesh.Trimesh(vertices, faces, process=False)
    before = broken.faces.copy()
    assert find_holes(broken).as_dict()["non_manifold_edges"] >= 1
    assert _code(broken) == "non_manifold"
    assert np.array_equal(broken.faces, before)


def test_hole_index_out_of_range_is_refused() -> None:
    holed, _ = sphere_with_hole()
    assert _code(holed, holes=[5]) == "bad_hole_index"


def test_symmetry_and_axis_need_enough_finite_points() -> None:
    with pytest.raises(MeshRepairError):
        detect_mirror_plane(np.zeros((3, 3)))
    points = np.random.default_rng(0).random((20, 3))
    normals = points.copy()
    normals[0, 0] = np.inf
    with pytest.raises(MeshRepairError):
        fit_axis(points, normals)


def _lumpy_blob() -> trimesh.Trimesh:
    """A sphere with random large bumps: neither mirror-symmetric nor a surface of revolution."""
    sphere = trimesh.creation.icosphere(subdivisions=4)
    directions = np.random.default_rng(0).normal(size=(3, 6))
    radius = 1.0 + 0.15 * np.sin(3.0 * sphere.vertices @ directions).sum(axis=1)
    blob = trimesh.Trimesh(sphere.vertices * radius[:, None], sphere.faces, process=False)
    cut = np.linalg.norm(blob.triangles_center - blob.vertices[0], axis=1) < 0.3
    return trimesh.Trimesh(blob.vertices, blob.faces[~cut], process=False)


def test_symmetry_completion_refuses_an_asymmetric_shape() -> None:
    with pytest.raises(MeshRepairError) as caught:
        complete_by_symmetry(_lumpy_blob(), device="cpu")
    assert caught.value.code == "no_symmetry"


def test_revolution_completion_refuses_a_shape_that_is_not_revolved() -> None:
    with pytest.raises(MeshRepairError) as caught:
        complete_by_revolution(_lumpy_blob(), device="cpu")
    assert caught.value.code == "no_revolution"
