"""Hole filling on synthetic meshes: loops, minimum-weight triangulation, refinement, fairing,
texture coordinates, and the torch solver path."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import trimesh

from restoration.mesh import BORDER, HOLE, ISLAND, chamfer, fill_holes, find_holes, sample_surface
from restoration.mesh.holes import open_edge_count
from restoration.mesh.triangulate import MAX_MWT_LOOP, minimum_weight_triangulation
from tests.unit.mesh_shapes import remove_faces, sphere_with_hole


def test_sphere_hole_is_found_as_one_interior_hole() -> None:
    holed, _ = sphere_with_hole()
    report = find_holes(holed)
    assert [hole.kind for hole in report.holes] == [HOLE]
    assert report.as_dict()["non_manifold_edges"] == 0
    # The loop runs against the mesh's boundary half-edges, so a patch keeps the orientation.
    loop = report.holes[0].loop
    directed = {tuple(e) for e in report.welded.faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)}
    assert all((int(b), int(a)) in directed for a, b in zip(loop, np.roll(loop, -1), strict=True))


def test_punched_sphere_is_filled_close_to_the_true_cap_and_watertight() -> None:
    holed, removed = sphere_with_hole(subdivisions=4, hole_radius=0.6)
    result = fill_holes(holed, device="cpu")
    assert result.summary()["holes_filled"] == 1
    assert result.mesh.is_watertight and result.mesh.is_winding_consistent
    assert open_edge_count(result.mesh.faces, result.mesh.vertices) == 0
    patch = result.filled[0]
    radii = np.linalg.norm(patch.new_points, axis=1)
    assert np.abs(radii - 1.0).max() < 0.02  # a flat lid would sink 0.2 at its centre
    truth = sample_surface(removed, 3000)
    ours = chamfer(sample_surface(trimesh.Trimesh(patch.points, patch.faces), 3000, seed=1), truth)
    flat = fill_holes(holed, refine_patch=False, fair_patch=False).filled[0]
    flat_error = chamfer(
        sample_surface(trimesh.Trimesh(flat.points, flat.faces), 3000, seed=1), truth
    )
    assert ours < 0.2 * flat_error
    # Refinement reaches the surrounding density: new edges about as long as the old ones.
    edges = trimesh.Trimesh(patch.points, patch.faces).edges_unique_length
    assert 0.5 < np.median(edges) / holed.edges_unique_length.mean() < 1.5


def test_input_mesh_is_not_modified() -> None:
    holed, _ = sphere_with_hole()
    vertices, faces = holed.vertices.copy(), holed.faces.copy()
    fill_holes(holed, device="cpu")
    assert np.array_equal(holed.vertices, vertices) and np.array_equal(holed.faces, faces)


def test_new_vertices_get_texture_coordinates_inside_the_boundary_range() -> None:
    holed, _ = sphere_with_hole(uv=True, hole_radius=0.4)
    result = fill_holes(holed, device="cpu")
    uv = result.mesh.visual.uv
    assert len(uv) == len(result.mesh.vertices)
    patch = result.filled[0]
    boundary_uv = patch.uv[: len(patch.hole.loop)]
    new_uv = uv[len(holed.vertices) :]
    assert np.isfinite(new_uv).all()
    # Harmonic interpolation obeys the maximum principle.
    assert (new_uv.min(axis=0) >= boundary_uv.min(axis=0) - 1e-9).all()
    assert (new_uv.max(axis=0) <= boundary_uv.max(axis=0) + 1e-9).all()


def test_loop_crossing_a_texture_seam_is_flagged() -> None:
    # The cap around +z contains the pole, where the angular u coordinate wraps round.
    holed, _ = sphere_with_hole(uv=True, hole_radius=0.5)
    patch = fill_holes(holed, device="cpu").filled[0]
    assert patch.uv_seam


def test_torch_solver_matches_scipy_on_cpu() -> None:
    holed, _ = sphere_with_hole(hole_radius=0.6)
    scipy_points = fill_holes(holed, solver="scipy", device="cpu").filled[0].new_points
    torch_points = fill_holes(holed, solver="torch", device="cpu").filled[0].new_points
    assert np.abs(scipy_points - torch_points).max() < 1e-6


def test_minimum_weight_triangulation_of_a_planar_polygon_covers_its_area() -> None:
    angle = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    points = np.stack([np.cos(angle), 0.5 * np.sin(angle), np.zeros_like(angle)], axis=1)
    triangles = minimum_weight_triangulation(points)
    assert len(triangles) == len(points) - 2
    area = trimesh.Trimesh(points, triangles).area
    polygon = 0.5 * abs(
        np.sum(points[:, 0] * np.roll(points[:, 1], -1) - np.roll(points[:, 0], -1) * points[:, 1])
    )
    assert area == pytest.approx(polygon, rel=1e-9)


def test_minimum_weight_triangulation_picks_the_smaller_diagonal_of_a_bent_quad() -> None:
    # A quad folded along the short diagonal 1-3 has less area that way than along 0-2.
    points = np.array([[0, 0, 0], [1, -0.2, 0.0], [2, 0, 0], [1, 0.2, 1.0]], dtype=float)
    triangles = minimum_weight_triangulation(points)
    used = {tuple(sorted(e)) for t in triangles for e in ((t[0], t[1]), (t[1], t[2]), (t[0], t[2]))}
    first = trimesh.Trimesh(points, [[0, 1, 2], [0, 2, 3]]).area
    second = trimesh.Trimesh(points, [[0, 1, 3], [1, 2, 3]]).area
    assert ((1, 3) in used) == (second < first)


def test_long_loop_is_split_before_triangulating() -> None:
    n = MAX_MWT_LOOP * 2 + 7
    angle = np.linspace(0, 2 * np.pi, n, endpoint=False)
    points = np.stack([np.cos(angle), np.sin(angle), 0.1 * np.sin(3 * angle)], axis=1)
    triangles = minimum_weight_triangulation(points)
    assert len(triangles) == n - 2
    mesh = trimesh.Trimesh(points, triangles, process=False)
    assert open_edge_count(mesh.faces) == n  # only the loop itself stays open


def test_existing_mesh_edges_are_never_duplicated_as_diagonals() -> None:
    points = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], dtype=float)
    forbidden = np.zeros((4, 4), dtype=bool)
    forbidden[0, 2] = forbidden[2, 0] = True
    triangles = minimum_weight_triangulation(points, forbidden)
    assert {tuple(sorted(t)) for t in triangles} == {(0, 1, 3), (1, 2, 3)}


def test_open_border_and_islands_are_reported_not_filled() -> None:
    hemisphere, _ = sphere_with_hole(hole_radius=1.45)  # most of the sphere cut away: a bowl
    small = trimesh.creation.icosphere(subdivisions=0)
    island = remove_faces(small, small.triangles_center[:, 2] < 0)  # a 10-face cap
    island.apply_translation([5, 0, 0])
    holed, _ = sphere_with_hole()
    holed.apply_translation([0, 5, 0])
    scene = trimesh.util.concatenate([hemisphere, island, holed])
    kinds = sorted(hole.kind for hole in find_holes(scene).holes)
    assert kinds == sorted([BORDER, ISLAND, HOLE])
    result = fill_holes(scene, device="cpu")
    assert result.summary()["holes_filled"] == 1
    assert result.summary()["borders"] == 1 and result.summary()["islands"] == 1


def test_two_holes_touching_at_a_vertex_are_split_into_simple_loops() -> None:
    sphere = trimesh.creation.icosphere(subdivisions=2)
    vertex = int(np.argmax(sphere.vertices[:, 2]))
    around = np.flatnonzero((sphere.faces == vertex).any(axis=1))
    first = around[0]
    # A second face of the fan that shares only the apex with the first: two triangular holes
    # touching at one vertex.
    second = next(
        f for f in around[1:] if len(set(sphere.faces[f]) & set(sphere.faces[first])) == 1
    )
    holed = remove_faces(sphere, np.isin(np.arange(len(sphere.faces)), [first, second]))
    report = find_holes(holed)
    assert sorted(len(hole.loop) for hole in report.holes) == [3, 3]
    result = fill_holes(holed, device="cpu")
    assert result.mesh.is_watertight


def test_mesh_core_and_planner_import_no_django() -> None:
    code = (
        "import sys, restoration.mesh, restoration.mesh.evaluate; "
        "import restoration.restore.method_choice, restoration.restore.method_bandit; "
        "sys.exit(any(name.split('.')[0] == 'django' for name in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
