"""Evaluation of hole filling on intact scans: punch holes, fill them with our method and with a
baseline (trimesh's fill_holes plus a centroid fan, so it always closes the surface), and compare
to the removed surface."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from restoration.mesh.fill import fill_holes
from restoration.mesh.holes import HOLE, MeshRepairError, find_holes, open_edge_count, weld
from restoration.mesh.metrics import surface_distance

HOLE_SIZES = (0.02, 0.04, 0.08)  # radius as a share of the bounding-box diagonal
MAX_NORMAL_SPREAD = 80.0  # degrees (95th percentile); 180 punches anywhere


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


def evaluate_mesh(
    mesh: trimesh.Trimesh,
    *,
    holes: int,
    seed: int,
    samples: int = 4000,
    max_spread: float = MAX_NORMAL_SPREAD,
    **fill_options: Any,
) -> list[dict]:
    """Per punched hole: Chamfer and Hausdorff to the removed surface for ours and the baseline,
    open edges added, seconds."""
    intact = intact_surface(mesh)
    punched_mesh, punched = punch_holes(intact, count=holes, seed=seed, max_spread=max_spread)
    report = find_holes(punched_mesh)
    index_of = {}
    for index, hole in enumerate(report.holes):
        for number, region in enumerate(punched):
            if hole.kind == HOLE and np.isin(hole.original_ids, region.boundary).all():
                index_of[number] = index
    chosen = [index_of[number] for number in range(len(punched)) if number in index_of]
    start = time.perf_counter()
    ours = fill_holes(punched_mesh, holes=chosen, **fill_options)
    ours_seconds = time.perf_counter() - start
    start = time.perf_counter()
    loops = [report.holes[index].original_ids for index in chosen]
    theirs = baseline_fill(punched_mesh, loops)
    base_seconds = time.perf_counter() - start
    open_before = open_edge_count(intact.faces)
    rows = []
    for slot, number in enumerate(n for n in range(len(punched)) if n in index_of):
        region = punched[number]
        truth = trimesh.Trimesh(intact.vertices, intact.faces[region.faces], process=False)
        patch = ours.patches[slot]
        row: dict[str, Any] = {"size": region.size, "removed_faces": len(region.faces)}
        if patch.status == "filled":
            ours_mesh = trimesh.Trimesh(patch.points, patch.faces, process=False)
            row.update(surface_distance(ours_mesh, truth, samples=samples, seed=seed))
        else:
            row["chamfer"] = row["hausdorff"] = float("nan")
            row["reason"] = patch.reason
        triangles = theirs[slot]
        base_mesh = trimesh.Trimesh(
            triangles.reshape(-1, 3), np.arange(len(triangles) * 3).reshape(-1, 3), process=False
        )
        base = surface_distance(base_mesh, truth, samples=samples, seed=seed)
        row["baseline_chamfer"] = base["chamfer"]
        row["baseline_hausdorff"] = base["hausdorff"]
        row["ratio"] = row["chamfer"] / max(row["baseline_chamfer"], 1e-300)
        rows.append(row)
    added_open = open_edge_count(ours.mesh.faces, ours.mesh.vertices) - open_before
    for row in rows:
        row["added_open_edges"] = added_open
        row["seconds"] = ours_seconds
        row["baseline_seconds"] = base_seconds
    if len(rows) < len(punched):
        rows.append({"unmatched_holes": len(punched) - len(rows)})
    return rows
