"""The guarded fill: CGAL's candidate, the guard's refusals (bulge, crossing, thickness), exact
point-to-surface distances, and the evaluation's accounting (every hole counted, each scan once)."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from restoration.mesh import candidates, find_holes
from restoration.mesh.candidates import hole_candidates, prepare, validate
from restoration.mesh.cgal_fill import cgal_patch, fan_patch
from restoration.mesh.evaluate import distinct_scans, evaluate_mesh, same_geometry
from restoration.mesh.fill import MeshContext, Patch, apply_patches
from restoration.mesh.guard import Verdict, check_patch, loop_frame, triangle_pairs_intersecting
from restoration.mesh.holes import HOLE, Hole, open_edge_count
from restoration.mesh.metrics import closest_on_triangles, point_mesh_distance
from tests.unit.mesh_shapes import remove_faces, sphere_with_hole


def _context(mesh: trimesh.Trimesh) -> tuple[MeshContext, Hole]:
    report = find_holes(mesh)
    return MeshContext(report), report.of_kind(HOLE)[0]


def _slab_with_hole(thickness: float = 0.1) -> trimesh.Trimesh:
    """A 2 x 2 plate `thickness` thick, a disc of radius 0.5 removed from its top face."""
    box = trimesh.creation.box(extents=(2.0, 2.0, thickness))
    for _ in range(4):
        box = box.subdivide()
    top = box.triangles_center[:, 2] > thickness / 2 - 1e-9
    near = np.linalg.norm(box.triangles_center[:, :2], axis=1) < 0.5
    return remove_faces(box, top & near)


def _moved(patch: Patch, offset: np.ndarray, *, smooth: bool = True) -> Patch:
    """The same patch with its new vertices shifted: more at the centre (a smooth dent), or
    all of them alike."""
    k = len(patch.hole.loop)
    points = patch.points.copy()
    centre = points[:k].mean(axis=0)
    radius = np.linalg.norm(points[:k] - centre, axis=1).mean()
    weight = np.clip(1.0 - np.linalg.norm(points[k:] - centre, axis=1) / radius, 0.0, 1.0)
    if not smooth:
        weight[:] = 1.0
    points[k:] += weight[:, None] * offset
    return Patch(patch.hole, points, patch.faces)


def test_cgal_candidate_closes_a_hole_on_the_sphere_with_no_open_edges() -> None:
    holed, _ = sphere_with_hole(subdivisions=4, hole_radius=0.6)
    context, hole = _context(holed)
    patch = cgal_patch(context, hole)
    assert patch.status == "filled" and len(patch.new_points) > 0
    repaired = apply_patches(holed, [patch])
    assert open_edge_count(holed.faces, holed.vertices) > 0
    assert open_edge_count(repaired.faces, repaired.vertices) == 0
    assert repaired.is_watertight and repaired.is_winding_consistent
    # Faired, not flat: the new vertices follow the unit sphere (a flat lid sinks 0.2).
    assert np.abs(np.linalg.norm(patch.new_points, axis=1) - 1.0).max() < 0.03
    assert check_patch(context, patch).ok


def test_guard_refuses_a_patch_that_bulges() -> None:
    holed, _ = sphere_with_hole(subdivisions=4, hole_radius=0.6)
    context, hole = _context(holed)
    patch = cgal_patch(context, hole)
    radius = loop_frame(context, hole.loop).radius
    verdict = check_patch(context, _moved(patch, np.array([0.0, 0.0, 2.5 * radius])))
    assert not verdict.ok and "bulges" in verdict.reason
    assert verdict.terms["bulge"] > 1.0


def test_guard_refuses_a_patch_that_crosses_the_other_side_of_a_thin_plate() -> None:
    context, hole = _context(_slab_with_hole(thickness=0.1))
    patch = cgal_patch(context, hole)
    assert check_patch(context, patch).ok  # the flat fill of a plate stays in the plate
    verdict = check_patch(context, _moved(patch, np.array([0.0, 0.0, -0.3])))
    assert not verdict.ok and "crosses" in verdict.reason


def test_guard_refuses_a_patch_that_sinks_deeper_than_the_part_is_thick() -> None:
    context, hole = _context(_slab_with_hole(thickness=0.1))
    patch = cgal_patch(context, hole)
    verdict = check_patch(context, _moved(patch, np.array([0.0, 0.0, -0.095]), smooth=False))
    assert not verdict.ok and "thickness" in verdict.reason
    assert verdict.terms["thickness_radii"] == pytest.approx(0.1 / 0.5, rel=0.15)
    assert check_patch(context, _moved(patch, np.array([0.0, 0.0, -0.03]), smooth=False)).ok


def test_triangle_crossings_count_true_crossings_only() -> None:
    points = np.array(
        [
            [0, 0, 0],
            [2, 0, 0],
            [0, 2, 0],  # a flat triangle
            [0.5, 0.5, -1],
            [0.5, 0.5, 1],
            [1.5, 1.5, 0.5],  # pierces it
            [5, 5, -1],
            [5, 5, 1],
            [6, 6, 0],  # far away
            [0, 0, 0],
            [-1, 0, 1],
            [0, -1, 1],  # shares a corner only
        ],
        dtype=float,
    )
    first = np.array([[0, 1, 2]])
    assert triangle_pairs_intersecting(points, first, np.array([[3, 4, 5]])).tolist() == [True]
    assert not triangle_pairs_intersecting(points, first, np.array([[6, 7, 8]])).any()
    assert not triangle_pairs_intersecting(points, first, np.array([[0, 10, 11]])).any()


def test_point_mesh_distance_is_exact_against_brute_force() -> None:
    rng = np.random.default_rng(3)
    mesh = trimesh.creation.icosphere(subdivisions=2)
    mesh.vertices = mesh.vertices * rng.uniform(0.7, 1.3, size=(len(mesh.vertices), 1))
    points = rng.uniform(-1.6, 1.6, size=(300, 3))
    triangles = mesh.triangles
    brute = np.full(len(points), np.inf)
    for tri in triangles:
        a, b, c = (np.broadcast_to(corner, points.shape) for corner in tri)
        brute = np.minimum(
            brute, np.linalg.norm(points - closest_on_triangles(points, a, b, c), axis=1)
        )
    assert np.allclose(point_mesh_distance(points, mesh), brute, rtol=0, atol=1e-9)


def test_a_hole_every_candidate_refuses_stays_open_and_scores_the_worst_case(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sphere = trimesh.creation.icosphere(subdivisions=5)
    refuse = lambda context, patch: Verdict(False, "refused by the test")  # noqa: E731
    monkeypatch.setattr(candidates, "check_patch", refuse)
    rows = evaluate_mesh(sphere, holes=2, seed=1, samples=500, methods=("cgal", "fan"))
    assert len(rows) == 2  # both punched holes are rows, none dropped
    for row in rows:
        assert row["chosen"] is None and "refused by the test" in row["reason"]
        assert row["ours"] == row["worst"] >= max(row["chamfer"].values())
        assert row["ours"] > row["chamfer"]["fan"]  # counted, and worse than any fill
        assert row["added_open_edges"] == 0


def test_guarded_choice_fills_a_sphere_hole_with_a_usable_candidate() -> None:
    holed, _ = sphere_with_hole(subdivisions=4, hole_radius=0.6)
    report = find_holes(holed)
    shapes = prepare(holed, report, ("cgal", "fill", "fan"))
    ranked = hole_candidates(shapes, report.of_kind(HOLE)[0], ("cgal", "fill", "fan"))
    assert ranked[0].patch is not None and ranked[0].method != "fan"
    assert [c.score for c in ranked] == sorted(c.score for c in ranked)
    assert all(c.guard for c in ranked)


def test_a_scan_and_its_reencoded_copy_count_once() -> None:
    sphere = trimesh.creation.icosphere(subdivisions=3)
    quantised = sphere.copy()
    quantised.vertices = np.round(sphere.vertices, 5)  # like Draco's quantisation
    other = trimesh.creation.icosphere(subdivisions=3, radius=1.5)
    assert same_geometry(sphere, quantised) and not same_geometry(sphere, other)
    kept, skipped = distinct_scans([("a.glb", sphere), ("a_draco.glb", quantised), ("b", other)])
    assert [name for name, _ in kept] == ["a.glb", "b"]
    assert skipped == {"a_draco.glb": "a.glb"}


def test_fan_patch_closes_any_loop() -> None:
    holed, _ = sphere_with_hole(subdivisions=3, hole_radius=0.5)
    context, hole = _context(holed)
    patch = fan_patch(context, hole)
    assert len(patch.faces) == len(hole.loop) and len(patch.new_points) == 1
    repaired = apply_patches(holed, [patch])
    assert open_edge_count(repaired.faces, repaired.vertices) == 0


def test_rehearsal_on_the_known_ring_ranks_a_faired_fill_above_the_fan() -> None:
    holed, _ = sphere_with_hole(subdivisions=4, hole_radius=0.5)
    report = find_holes(holed)
    shapes = prepare(holed, report, ("cgal", "fan", "flat"))
    errors = validate(shapes, report.of_kind(HOLE)[0], ("cgal", "fan", "flat"))
    assert errors["fan"] == pytest.approx(1.0)
    assert errors["cgal"] < 0.5 * errors["flat"] and errors["cgal"] < 0.5
    ranked = hole_candidates(shapes, report.of_kind(HOLE)[0], ("cgal", "fan", "flat"))
    assert ranked[0].method == "cgal" and ranked[0].score == pytest.approx(errors["cgal"])


def test_curvature_continuous_fairing_keeps_a_large_sphere_hole_on_the_sphere_and_wins() -> None:
    holed, _ = sphere_with_hole(subdivisions=4, hole_radius=0.9)
    report = find_holes(holed)
    hole = report.of_kind(HOLE)[0]
    methods = ("cgal", "curvature", "fan")
    shapes = prepare(holed, report, methods)
    ranked = hole_candidates(shapes, hole, methods)
    by_method = {c.method: c for c in ranked}
    off_sphere = {
        m: np.abs(np.linalg.norm(c.patch.new_points, axis=1) - 1.0).max()  # type: ignore[union-attr]
        for m, c in by_method.items()
        if m != "fan"
    }
    # Tangent continuity flattens a cap this large (measured 0.094); curvature continuity
    # follows the sphere (0.009), and the rehearsal on the known ring sees it.
    assert off_sphere["curvature"] < 0.02 < 0.05 < off_sphere["cgal"]
    assert ranked[0].method == "curvature"
    assert by_method["curvature"].terms["ring_error"] < 0.5 * by_method["cgal"].terms["ring_error"]
