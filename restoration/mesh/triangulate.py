"""Minimum-weight triangulation of a boundary loop and Liepa's refinement of the patch.

Hand-written: no library installed here triangulates a non-planar 3D polygon by minimum area
(Barequet & Sharir 1995; Liepa 2003) or refines it to the surrounding density.
"""

from __future__ import annotations

import numpy as np

from restoration.mesh.errors import MeshRepairError

MAX_MWT_LOOP = 160  # the O(n^3) dynamic programme above this splits the loop first
KEY_BASE = 1 << 31  # undirected edge key: min(a, b) * KEY_BASE + max(a, b)


def minimum_weight_triangulation(
    points: np.ndarray, forbidden: np.ndarray | None = None
) -> np.ndarray:
    """Triangles (i, k, j) over loop positions minimising total area; `forbidden[i, j]` marks
    diagonals that already exist as mesh edges (using them would make an edge non-manifold)."""
    n = len(points)
    if n < 3:
        raise MeshRepairError("degenerate_loop", "A boundary loop has fewer than 3 vertices.")
    if n > MAX_MWT_LOOP:
        return _split_and_triangulate(points, forbidden)
    cost = np.full((n, n), np.inf)
    cost[np.arange(n - 1), np.arange(1, n)] = 0.0
    best = np.zeros((n, n), dtype=np.int64)
    for span in range(2, n):
        i = np.arange(n - span)
        j = i + span
        k = i[:, None] + np.arange(1, span)[None, :]
        pi = points[i][:, None, :]
        area = 0.5 * np.linalg.norm(np.cross(points[k] - pi, points[j][:, None, :] - pi), axis=2)
        total = cost[i[:, None], k] + cost[k, j[:, None]] + area
        pick = np.argmin(total, axis=1)
        rows = np.arange(len(i))
        value = total[rows, pick]
        if forbidden is not None and span != n - 1:  # (0, n-1) is a side, not a diagonal
            value[forbidden[i, j]] = np.inf
        cost[i, j] = value
        best[i, j] = k[rows, pick]
    if not np.isfinite(cost[0, n - 1]):
        raise MeshRepairError(
            "untriangulable", "Every triangulation of this loop would duplicate a mesh edge."
        )
    triangles = []
    stack = [(0, n - 1)]
    while stack:
        lo, hi = stack.pop()
        if hi - lo < 2:
            continue
        mid = int(best[lo, hi])
        triangles.append((lo, mid, hi))
        stack.extend(((lo, mid), (mid, hi)))
    return np.array(triangles, dtype=np.int64)


def _split_and_triangulate(points: np.ndarray, forbidden: np.ndarray | None) -> np.ndarray:
    """A long loop is cut by its shortest allowed chord between opposite vertices into two
    loops, each triangulated on its own (the DP's cubic cost stays bounded)."""
    n = len(points)
    half = n // 2
    starts = np.arange(half)
    ends = starts + half
    lengths = np.linalg.norm(points[starts] - points[ends], axis=1)
    if forbidden is not None:
        lengths[forbidden[starts, ends]] = np.inf
    i = int(np.argmin(lengths))
    if not np.isfinite(lengths[i]):
        raise MeshRepairError("untriangulable", "No chord splits this long loop cleanly.")
    j = i + half
    parts = [np.arange(i, j + 1), np.concatenate([np.arange(j, n), np.arange(0, i + 1)])]
    triangles = []
    for part in parts:
        sub_forbidden = None if forbidden is None else forbidden[np.ix_(part, part)]
        local = minimum_weight_triangulation(points[part], sub_forbidden)
        triangles.append(part[local])
    return np.concatenate(triangles)


def refine(
    points: np.ndarray,
    faces: np.ndarray,
    sigma: np.ndarray,
    *,
    forbidden_keys: np.ndarray,
    alpha: float = np.sqrt(2.0),
    max_vertices: int = 400_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Liepa's density control: split a triangle at its centroid while the centroid is farther
    than sigma/alpha from each corner (sigma: local edge length, interpolated from the loop),
    then flip edges to Delaunay; repeat until nothing splits. The loop's vertices come first
    and never move."""
    points = np.asarray(points, dtype=np.float64)
    sigma = np.asarray(sigma, dtype=np.float64)
    faces = _relax(points, faces, forbidden_keys)
    for _ in range(64):
        corners = points[faces]
        centroid = corners.mean(axis=1)
        sigma_c = sigma[faces].mean(axis=1)
        dist = alpha * np.linalg.norm(corners - centroid[:, None, :], axis=2)
        split = (dist > sigma_c[:, None]).all(axis=1) & (dist > sigma[faces]).all(axis=1)
        if not split.any():
            break
        if len(points) + int(split.sum()) > max_vertices:
            raise MeshRepairError("too_large", "The hole needs more new vertices than allowed.")
        ids = len(points) + np.arange(int(split.sum()))
        a, b, c = faces[split].T
        points = np.vstack([points, centroid[split]])
        sigma = np.concatenate([sigma, sigma_c[split]])
        new = np.concatenate(
            [np.stack([a, b, ids], 1), np.stack([b, c, ids], 1), np.stack([c, a, ids], 1)]
        )
        faces = np.vstack([faces[~split], new])
        faces = _relax(points, faces, forbidden_keys)
    return points, faces


def _relax(
    points: np.ndarray, faces: np.ndarray, forbidden_keys: np.ndarray, rounds: int = 100
) -> np.ndarray:
    """Flip interior edges whose opposite angles sum to more than pi (not locally Delaunay), in
    rounds of independent flips; never creates an existing edge or folds the surface over."""
    faces = faces.copy()
    n = KEY_BASE
    for _ in range(rounds):
        slot = np.tile([0, 1, 2], len(faces))
        owner = np.repeat(np.arange(len(faces)), 3)
        a = faces[owner, slot]
        b = faces[owner, (slot + 1) % 3]
        c = faces[owner, (slot + 2) % 3]
        key = np.minimum(a, b) * n + np.maximum(a, b)
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        pair = np.flatnonzero(sorted_key[1:] == sorted_key[:-1])
        if len(pair) == 0:
            return faces
        first, second = order[pair], order[pair + 1]
        angle = _angle(points, c[first], a[first], b[first]) + _angle(
            points, c[second], a[second], b[second]
        )
        excess = angle - np.pi
        candidates = np.flatnonzero(excess > 1e-9)
        if len(candidates) == 0:
            return faces
        new_key = np.minimum(c[first], c[second]) * n + np.maximum(c[first], c[second])
        existing = np.concatenate([key, forbidden_keys])
        candidates = candidates[~np.isin(new_key[candidates], existing)]
        candidates = candidates[np.argsort(-excess[candidates])]
        used = np.zeros(len(faces), dtype=bool)
        flipped = 0
        for index in candidates.tolist():
            e1, e2 = first[index], second[index]
            f1, f2 = owner[e1], owner[e2]
            if used[f1] or used[f2]:
                continue
            va, vb, vc, vd = a[e1], b[e1], c[e1], c[e2]
            old = _normal(points, va, vb, vc) + _normal(points, vb, va, vd)
            t1, t2 = (va, vd, vc), (vd, vb, vc)
            if _normal(points, *t1) @ old <= 0 or _normal(points, *t2) @ old <= 0:
                continue
            faces[f1], faces[f2] = t1, t2
            used[f1] = used[f2] = True
            flipped += 1
        if flipped == 0:
            return faces
    return faces


def _angle(points: np.ndarray, apex: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    u = points[a] - points[apex]
    v = points[b] - points[apex]
    cos = (u * v).sum(axis=1) / np.maximum(
        np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1), 1e-300
    )
    return np.arccos(np.clip(cos, -1.0, 1.0))


def _normal(points: np.ndarray, a: int, b: int, c: int) -> np.ndarray:
    # Scalar cross product: np.cross costs ~50 us per call in this Python loop.
    ux, uy, uz = (points[b] - points[a]).tolist()
    vx, vy, vz = (points[c] - points[a]).tolist()
    return np.array([uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx])
