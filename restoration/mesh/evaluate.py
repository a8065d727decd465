"""Evaluation of hole filling on intact scans: punch holes (anywhere, thin parts and folds
included), fill each with every candidate (CGAL's reference fill, ours, symmetry, revolution,
the centroid fan) and with the guarded choice made without reference, and compare each to the
removed surface with exact point-to-surface distances. Every punched hole counts: a hole left
open scores the worst case. Each scan counts once (a re-encoded copy is skipped)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from restoration.mesh.candidates import DEFAULT_METHODS, hole_candidates, prepare
from restoration.mesh.errors import MeshRepairError
from restoration.mesh.fill import apply_patches
from restoration.mesh.guard import local_thickness, loop_frame
from restoration.mesh.holes import HOLE, Hole, find_holes, open_edge_count, weld
from restoration.mesh.metrics import point_mesh_distance, surface_distance

HOLE_SIZES = (0.02, 0.04, 0.08)  # radius as a share of the bounding-box diagonal
BASELINES = ("cgal", "fan", "fill")  # always measured: every summary ratio needs them
MAX_NORMAL_SPREAD = 180.0  # degrees (95th percentile); 180 punches anywhere, folds included


@dataclass
class PunchedHole:
    size: float
    faces: np.ndarray  # removed face ids of the intact mesh
    boundary: np.ndarray  # vertex ids on the removed region's rim


def intact_surface(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """The scan welded by position (texture seams would otherwise look like holes)."""
    welded = weld(mesh)
    return trimesh.Trimesh(welded.vertices, welded.faces, process=False)


def punch_holes(
    mesh: trimesh.Trimesh,
    *,
    count: int,
    seed: int,
    sizes: tuple[float, ...] = HOLE_SIZES,
    max_spread: float = MAX_NORMAL_SPREAD,
) -> tuple[trimesh.Trimesh, list[PunchedHole]]:
    """Remove `count` disc-shaped regions (radius cycling through `sizes` x diagonal) that keep
    clear of existing boundaries, non-manifold edges and each other. With `max_spread` below 180,
    every removed face's normal must lie within that many degrees of the region's mean normal:
    the region is a height field, not a fold wrapped round a thin part, which no fill recovers."""
    rng = np.random.default_rng(seed)
    faces = np.asarray(mesh.faces)
    report = find_holes(mesh)
    blocked = np.zeros(len(mesh.vertices), dtype=bool)
    for hole in report.holes:
        blocked[hole.loop] = True
    blocked[report.non_manifold_edges.ravel()] = True
    adjacency = mesh.face_adjacency
    diagonal = float(np.linalg.norm(mesh.extents))
    centres = mesh.triangles_center
    normals, areas = mesh.face_normals, mesh.area_faces
    punched: list[PunchedHole] = []
    removed = np.zeros(len(faces), dtype=bool)
    for index in range(count):
        size = sizes[index % len(sizes)]
        for _ in range(200):
            region = _disc(centres, adjacency, int(rng.integers(len(faces))), size * diagonal)
            if region is None or removed[region].any():
                continue
            vertices = np.unique(faces[region])
            # Clear of old boundaries, and at least one ring away from earlier punched holes.
            if blocked[vertices].any() or not _is_disc(faces[region]):
                continue
            if _spread(normals[region], areas[region]) > max_spread:
                continue
            keep = np.ones(len(faces), dtype=bool)
            keep[region] = False
            rim = np.intersect1d(vertices, np.unique(faces[keep]))
            punched.append(PunchedHole(size, region, rim))
            removed[region] = True
            near = np.unique(faces[np.isin(faces, vertices).any(axis=1)])
            blocked[near] = True
            break
    if not punched:
        raise MeshRepairError("cannot_punch", "No region of this scan can be punched as asked.")
    result = trimesh.Trimesh(mesh.vertices, faces[~removed], process=False)
    return result, punched


def _disc(
    centres: np.ndarray, adjacency: np.ndarray, seed_face: int, radius: float
) -> np.ndarray | None:
    near = np.linalg.norm(centres - centres[seed_face], axis=1) < radius
    if near.sum() < 8:
        return None
    pairs = adjacency[near[adjacency].all(axis=1)]
    n = len(centres)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    region = np.flatnonzero(near & (labels == labels[seed_face]))
    return region if len(region) >= 8 else None


def _spread(normals: np.ndarray, areas: np.ndarray) -> float:
    mean = (normals * areas[:, None]).sum(axis=0)
    mean /= max(float(np.linalg.norm(mean)), 1e-300)
    angles = np.degrees(np.arccos(np.clip(normals @ mean, -1.0, 1.0)))
    return float(np.percentile(angles, 95))  # scan noise makes single faces tilt


def _is_disc(faces: np.ndarray) -> bool:
    """One boundary loop and Euler characteristic 1."""
    edges = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    unique, counts = np.unique(edges, axis=0, return_counts=True)
    vertices = len(np.unique(faces))
    if vertices - len(unique) + len(faces) != 1 or (counts > 2).any():
        return False
    rim = unique[counts == 1]
    return len(np.unique(rim)) == len(rim)  # a simple loop: every rim vertex on two rim edges


def baseline_fill(mesh: trimesh.Trimesh, loops: list[np.ndarray]) -> list[np.ndarray]:
    """trimesh.repair.fill_holes, then a centroid fan on every loop it left open. Returns the
    added triangles (as coordinates, shape (t, 3, 3)) per loop."""
    filled = mesh.copy()
    trimesh.repair.fill_holes(filled)
    added = np.asarray(filled.faces)[len(mesh.faces) :]
    result = []
    for loop in loops:
        own = added[np.isin(added, loop).all(axis=1)] if len(added) else added
        if len(own) >= len(loop) - 2:
            result.append(np.asarray(filled.vertices)[own])
            continue
        points = np.asarray(mesh.vertices)[loop]
        centre = points.mean(axis=0)
        nxt = np.roll(points, -1, axis=0)
        result.append(np.stack([points, nxt, np.broadcast_to(centre, points.shape)], axis=1))
    return result


def same_geometry(a: trimesh.Trimesh, b: trimesh.Trimesh, *, tolerance: float = 1e-3) -> bool:
    """Two welded scans of the same object (a plain and a Draco copy: Draco quantises positions,
    so bytes differ): same vertex and face counts, extents and area within `tolerance`."""
    if (len(a.vertices), len(a.faces)) != (len(b.vertices), len(b.faces)):
        return False
    diagonal = float(np.linalg.norm(a.extents)) or 1.0
    extents = float(np.abs(np.asarray(a.extents) - np.asarray(b.extents)).max()) / diagonal
    return extents < tolerance and abs(a.area - b.area) <= tolerance * max(a.area, 1e-300)


def distinct_scans(
    scans: Iterable[tuple[str, trimesh.Trimesh]],
) -> tuple[list[tuple[str, trimesh.Trimesh]], dict[str, str]]:
    """Welded scans, each object once; the second return maps a skipped name to the kept one."""
    kept: list[tuple[str, trimesh.Trimesh]] = []
    skipped: dict[str, str] = {}
    for name, mesh in scans:
        welded = intact_surface(mesh)
        twin = next((other for other, seen in kept if same_geometry(seen, welded)), None)
        if twin is None:
            kept.append((name, welded))
        else:
            skipped[name] = twin
    return kept, skipped


def evaluate_mesh(
    intact: trimesh.Trimesh,
    *,
    holes: int,
    seed: int,
    samples: int = 4000,
    max_spread: float = MAX_NORMAL_SPREAD,
    methods: Sequence[str] = DEFAULT_METHODS,
    choose_from: Sequence[str] | None = None,
    device: str = "cpu",
) -> list[dict]:
    """One row per punched hole of the welded scan `intact`: Chamfer to the removed surface of
    every candidate (refused ones too, marked) and of the guarded choice (`chosen`, or the
    worst case when the hole is left open), the local thickness in loop radii (below 1: a thin
    part), open edges added and seconds. `choose_from` (default: every method) limits the
    guarded choice; the other methods are measured as baselines only."""
    punched_mesh, punched = punch_holes(intact, count=holes, seed=seed, max_spread=max_spread)
    report = find_holes(punched_mesh)
    start = time.perf_counter()
    shapes = prepare(punched_mesh, report, methods)
    prepare_seconds = time.perf_counter() - start
    rows, patches = [], []
    for number, region in enumerate(punched):
        truth = trimesh.Trimesh(intact.vertices, intact.faces[region.faces], process=False)
        row: dict[str, Any] = {"hole": number, "size": region.size, "chamfer": {}, "refused": {}}
        row["scores"] = {}
        row["removed_faces"] = len(region.faces)
        hole = _find_hole(report.holes, region)
        if hole is None:  # the punched rim is not a fillable loop: open, the worst case
            row.update(chosen=None, reason="not found as a hole", thickness_radii=np.nan)
            row["worst"] = row["ours"] = _rim_distance(truth, intact, region)
            rows.append(row)
            continue
        frame = loop_frame(shapes.context, hole.loop)
        row["thickness_radii"] = local_thickness(shapes.context, hole.loop, frame) / frame.radius
        begin = time.perf_counter()
        candidates = hole_candidates(shapes, hole, methods, device=device)
        row["seconds"] = time.perf_counter() - begin
        for candidate in candidates:
            row["scores"][candidate.method] = candidate.terms.get("ring_error", candidate.score)
            patch = candidate.patch or candidate.refused
            if patch is None:
                continue
            mesh = trimesh.Trimesh(patch.points, patch.faces, process=False)
            row["chamfer"][candidate.method] = surface_distance(
                mesh, truth, samples=samples, seed=seed
            )["chamfer"]
            if candidate.refused is not None:
                row["refused"][candidate.method] = candidate.error
        worst = max([_rim_distance(truth, intact, region), *row["chamfer"].values()])
        row["worst"] = worst
        pool = [c for c in candidates if choose_from is None or c.method in choose_from]
        best = pool[0]
        if best.patch is None:
            reasons = "; ".join(f"{c.method}: {c.error}" for c in pool if c.error)
            row.update(chosen=None, reason=reasons, ours=worst)
        else:
            row.update(chosen=best.method, ours=row["chamfer"][best.method])
            row["ring_error"] = best.terms.get("ring_error")  # None: no rehearsal ran
            patches.append(best.patch)
        # A baseline that failed on this hole scores the worst case too.
        for method in BASELINES:
            if method in methods and method not in row["chamfer"]:
                row["chamfer"][method] = worst
        rows.append(row)
    repaired = apply_patches(punched_mesh, patches)
    closed = sum(len(patch.hole.loop) for patch in patches)
    expected = open_edge_count(punched_mesh.faces, punched_mesh.vertices) - closed
    added = open_edge_count(repaired.faces, repaired.vertices) - expected
    for row in rows:
        row["added_open_edges"] = added
        row["prepare_seconds"] = prepare_seconds
    return rows


def _find_hole(holes: list[Hole], region: PunchedHole) -> Hole | None:
    return next(
        (h for h in holes if h.kind == HOLE and np.isin(h.original_ids, region.boundary).all()),
        None,
    )


def _rim_distance(truth: trimesh.Trimesh, intact: trimesh.Trimesh, region: PunchedHole) -> float:
    """An open hole shows nothing between its rim: the removed surface's mean distance to the
    rim vertices (what the viewer is left with)."""
    rim = np.asarray(intact.vertices)[region.boundary]
    points = trimesh.sample.sample_surface(truth, 2000, seed=0)[0]
    segments = trimesh.Trimesh(rim, np.stack([np.arange(len(rim))] * 3, axis=1), process=False)
    return float(point_mesh_distance(points, segments).mean())
