"""The guard every fill passes before it is offered: a patch is refused when it bulges (rises
from the loop's plane by more than the loop's radius beyond what the loop itself does), when it
intersects itself or the surface near the hole, or when it sinks deeper than the part is thick
there (it would come out through the other side of a thin part). No reference is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from restoration.mesh.fill import MeshContext, Patch

BULGE_RADII = 1.0  # a hemisphere over the loop rises one radius: more is a bulge
THICKNESS_SHARE = 0.9  # a patch may sink through at most this share of the local thickness
NEIGHBOURHOOD_RADII = 3.0  # surface within this many loop radii is checked for crossings
THICKNESS_RAYS = 24


@dataclass
class Verdict:
    """`ok` or refused with a reason a curator can read; `terms` are the measured quantities."""

    ok: bool
    reason: str = ""
    terms: dict[str, float] = field(default_factory=dict)


@dataclass
class LoopFrame:
    centre: np.ndarray
    outward: np.ndarray  # unit normal of the loop's plane, on the side the surface faces
    radius: float
    loop_height: float  # how far the loop itself leaves its plane


def loop_frame(context: MeshContext, loop_ids: np.ndarray) -> LoopFrame:
    """The loop's least-squares plane, oriented to the surface round it, and its size."""
    loop = context.points[loop_ids]
    centre = loop.mean(axis=0)
    _, _, axes = np.linalg.svd(loop - centre, full_matrices=False)
    normal = axes[2]
    ring = context.faces[context.ring_faces(loop_ids)]
    corners = context.points[ring]
    surface_normal = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]).sum(0)
    if normal @ surface_normal < 0:
        normal = -normal
    offsets = loop - centre
    heights = offsets @ normal
    radius = float(np.linalg.norm(offsets - np.outer(heights, normal), axis=1).mean())
    return LoopFrame(centre, normal, max(radius, 1e-300), float(np.abs(heights).max()))


def check_patch(context: MeshContext, patch: Patch) -> Verdict:
    """Bulge, self-intersection (with itself and the surface within a few loop radii) and local
    thickness, in that order; the first failure is the reason."""
    if patch.status != "filled":
        return Verdict(False, patch.reason or "no patch")
    frame = loop_frame(context, patch.hole.loop)
    new = patch.new_points
    heights = (new - frame.centre) @ frame.outward if len(new) else np.zeros(0)
    rise = float(np.abs(heights).max()) if len(heights) else 0.0
    terms = {"bulge": (rise - frame.loop_height) / frame.radius}
    if terms["bulge"] > BULGE_RADII:
        return Verdict(
            False,
            f"the patch bulges {terms['bulge']:.2f} loop radii beyond its loop",
            terms,
        )
    crossings = count_crossings(context, patch, frame)
    terms["crossings"] = float(crossings)
    if crossings:
        return Verdict(False, f"the patch crosses itself or the surface ({crossings} pairs)", terms)
    thickness = local_thickness(context, patch.hole.loop, frame)
    terms["thickness_radii"] = thickness / frame.radius
    sink = float(max(0.0, -heights.min() - frame.loop_height)) if len(heights) else 0.0
    terms["sink_thickness"] = sink / thickness if np.isfinite(thickness) else 0.0
    if terms["sink_thickness"] > THICKNESS_SHARE:
        return Verdict(
            False,
            f"the patch sinks through {terms['sink_thickness']:.0%} of the part's local thickness",
            terms,
        )
    return Verdict(True, "", terms)


def neighbourhood_faces(context: MeshContext, centre: np.ndarray, radius: float) -> np.ndarray:
    """Ids of the faces with a corner within `radius` of `centre` (Euclidean: the far side of a
    thin part counts, though it is many rings away)."""
    near = np.linalg.norm(context.points - centre, axis=1) < radius
    return np.flatnonzero(near[context.faces].any(axis=1))


def local_thickness(context: MeshContext, loop: np.ndarray, frame: LoopFrame) -> float:
    """Median distance from loop vertices, inwards along the loop's normal, to the next surface
    (inf when nothing is hit: an open surface with nothing behind it)."""
    import igl

    faces = context.faces[
        neighbourhood_faces(context, frame.centre, NEIGHBOURHOOD_RADII * frame.radius)
    ]
    step = max(1, len(loop) // THICKNESS_RAYS)
    vertices = np.ascontiguousarray(context.points)
    triangles = np.ascontiguousarray(faces, dtype=np.int64)
    depths = []
    for vertex in loop[::step].tolist():
        own = (triangles == vertex).any(axis=1)
        hits = igl.ray_mesh_intersect(
            np.ascontiguousarray(context.points[vertex]),
            np.ascontiguousarray(-frame.outward),
            vertices,
            np.ascontiguousarray(triangles[~own]),
        )
        distances = [hit[1] for hit in hits or [] if hit[1] > 1e-12]
        depths.append(min(distances) if distances else np.inf)
    return float(np.median(depths)) if depths else float("inf")


def count_crossings(context: MeshContext, patch: Patch, frame: LoopFrame) -> int:
    """Pairs of triangles that share no vertex and intersect: patch x patch and patch x the
    surface near the hole."""
    k = len(patch.hole.loop)
    # One id space: welded ids for the loop and the surface, fresh ids for new vertices.
    ids = np.concatenate([patch.hole.loop, len(context.points) + np.arange(len(patch.points) - k)])
    patch_faces = ids[patch.faces]
    surface = context.faces[
        neighbourhood_faces(context, frame.centre, NEIGHBOURHOOD_RADII * frame.radius)
    ]
    all_points = np.vstack([context.points, patch.new_points])
    others = np.vstack([patch_faces, surface])
    return int(triangle_pairs_intersecting(all_points, patch_faces, others, skip_same=True).sum())


def triangle_pairs_intersecting(
    points: np.ndarray, first: np.ndarray, second: np.ndarray, *, skip_same: bool = False
) -> np.ndarray:
    """For every pair (a in `first`, b in `second`) near enough to touch and sharing no vertex,
    whether they intersect (an edge of one crosses the other). Returns a bool per such pair."""
    a_tri, b_tri = points[first], points[second]
    a_centre, b_centre = a_tri.mean(axis=1), b_tri.mean(axis=1)
    a_reach = np.linalg.norm(a_tri - a_centre[:, None], axis=2).max(axis=1)
    b_reach = np.linalg.norm(b_tri - b_centre[:, None], axis=2).max(axis=1)
    # Near pairs from a KD-tree on centres; the few long triangles (slivers) against everything.
    cap = float(np.quantile(b_reach, 0.98))
    short = np.flatnonzero(b_reach <= cap)
    tree = cKDTree(b_centre[short])
    pairs = [
        np.stack([np.full(len(nearby), index), short[nearby]], axis=1)
        for index, nearby in enumerate(tree.query_ball_point(a_centre, a_reach + cap))
        if nearby
    ]
    long = np.flatnonzero(b_reach > cap)
    if len(long):
        pairs.append(np.stack(np.meshgrid(np.arange(len(first)), long), axis=-1).reshape(-1, 2))
    if not pairs:
        return np.zeros(0, dtype=bool)
    pair = np.concatenate(pairs).astype(np.int64)
    low_a, high_a = a_tri.min(axis=1), a_tri.max(axis=1)
    low_b, high_b = b_tri.min(axis=1), b_tri.max(axis=1)
    overlap = (low_a[pair[:, 0]] <= high_b[pair[:, 1]]) & (low_b[pair[:, 1]] <= high_a[pair[:, 0]])
    pair = pair[overlap.all(axis=1)]
    if skip_same:
        pair = pair[pair[:, 1] > pair[:, 0]]  # `second` starts with `first`: each pair once
    shared = (first[pair[:, 0]][:, :, None] == second[pair[:, 1]][:, None, :]).any(axis=(1, 2))
    pair = pair[~shared]
    if len(pair) == 0:
        return np.zeros(0, dtype=bool)
    a, b = a_tri[pair[:, 0]], b_tri[pair[:, 1]]
    hit = np.zeros(len(pair), dtype=bool)
    for start, end in ((0, 1), (1, 2), (2, 0)):
        hit |= _segment_hits_triangle(a[:, start], a[:, end], b)
        hit |= _segment_hits_triangle(b[:, start], b[:, end], a)
    return hit


def _segment_hits_triangle(p: np.ndarray, q: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """Möller-Trumbore on segments p->q against triangles, vectorised; touching at an end or
    an edge within a relative 1e-9 does not count (coplanar contact is not a crossing)."""
    direction = q - p
    e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    h = np.cross(direction, e2)
    det = (e1 * h).sum(axis=1)
    scale = (
        np.linalg.norm(e1, axis=1) * np.linalg.norm(e2, axis=1) * np.linalg.norm(direction, axis=1)
    )
    valid = np.abs(det) > 1e-12 * np.maximum(scale, 1e-300)
    safe = np.where(valid, det, 1.0)
    s = p - tri[:, 0]
    u = (s * h).sum(axis=1) / safe
    qv = np.cross(s, e1)
    v = (direction * qv).sum(axis=1) / safe
    t = (e2 * qv).sum(axis=1) / safe
    eps = 1e-9
    return valid & (u > eps) & (v > eps) & (u + v < 1 - eps) & (t > eps) & (t < 1 - eps)
