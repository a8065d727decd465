"""Boundary loops of a triangle mesh, welded by position, and classified.

Scans duplicate vertices along texture seams, so topology is read on a copy welded by position;
every welded vertex remembers one original vertex, so repairs are written back onto the original
(texture-carrying) vertex list. Framework-free: numpy, scipy and trimesh only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from restoration.mesh.errors import MeshRepairError

HOLE = "hole"
BORDER = "border"
ISLAND = "island"


@dataclass
class WeldedMesh:
    """Topology of `mesh` with coincident vertices merged."""

    mesh: trimesh.Trimesh
    vertices: np.ndarray  # (n, 3) float64, welded
    faces: np.ndarray  # (m, 3) int64, welded ids, degenerate faces dropped
    face_index: np.ndarray  # (m,) original face of each welded face
    to_welded: np.ndarray  # (n_original,) welded id of each original vertex

    def edge_keys(self) -> np.ndarray:
        """Sorted undirected edge keys a * n + b (a < b) of every face edge, with repeats."""
        edges = np.sort(self.faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
        return edges[:, 0] * len(self.vertices) + edges[:, 1]


@dataclass
class Hole:
    """One boundary loop, ordered so that a fill patch uses the loop's edges in this direction."""

    loop: np.ndarray  # welded vertex ids
    kind: str  # HOLE, BORDER or ISLAND
    component: int
    perimeter: float
    vector_area: float  # |sum of p_i x p_i+1| / 2: the area a flat fill would cover
    original_ids: np.ndarray  # original vertex id of each loop vertex (UVs come from there)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "vertices": len(self.loop),
            "perimeter": round(float(self.perimeter), 6),
            "area_estimate": float(self.vector_area),
            "component": int(self.component),
        }


@dataclass
class HoleReport:
    welded: WeldedMesh
    holes: list[Hole]
    non_manifold_edges: np.ndarray  # (k, 2) welded vertex ids
    components: int
    warnings: list[str] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Hole]:
        return [hole for hole in self.holes if hole.kind == kind]

    def as_dict(self) -> dict:
        return {
            "holes": len(self.of_kind(HOLE)),
            "borders": len(self.of_kind(BORDER)),
            "islands": len(self.of_kind(ISLAND)),
            "non_manifold_edges": len(self.non_manifold_edges),
            "components": int(self.components),
        }


def weld(mesh: trimesh.Trimesh) -> WeldedMesh:
    """Merge vertices at identical positions; refuse empty meshes and non-finite coordinates."""
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    if len(vertices) == 0 or len(faces) == 0:
        raise MeshRepairError("empty", "The mesh has no faces.")
    if not np.isfinite(vertices).all():
        bad = int((~np.isfinite(vertices).all(axis=1)).sum())
        raise MeshRepairError("non_finite", f"{bad} vertices have NaN or infinite coordinates.")
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise MeshRepairError("bad_faces", "A face refers to a vertex that does not exist.")
    # Hash rows as bytes (trimesh.grouping): much faster than np.unique(axis=0) on 1M rows.
    first, inverse = trimesh.grouping.unique_rows(vertices, digits=None)
    # Number welded vertices by first occurrence, so a mesh without duplicates keeps its ids.
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    to_welded = rank[inverse]
    unique = vertices[first[order]]
    welded_faces = to_welded[faces]
    keep = (
        (welded_faces[:, 0] != welded_faces[:, 1])
        & (welded_faces[:, 1] != welded_faces[:, 2])
        & (welded_faces[:, 0] != welded_faces[:, 2])
    )
    return WeldedMesh(mesh, unique, welded_faces[keep], np.flatnonzero(keep), to_welded)


def find_holes(
    mesh: trimesh.Trimesh,
    *,
    border_fraction: float = 0.3,
    island_faces: int = 20,
) -> HoleReport:
    """Every boundary loop of `mesh`, classified.

    A loop is a BORDER of an open surface when a flat fill would cover more than
    `border_fraction` of its component's area (a relief's rim, a bowl's mouth), an ISLAND loop when
    its component has fewer than `island_faces` faces; otherwise it is a HOLE to fill.
    """
    welded = weld(mesh)
    faces, points = welded.faces, welded.vertices
    n = len(points)
    keys = welded.edge_keys()
    unique_keys, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    non_manifold = np.stack([unique_keys[counts > 2] // n, unique_keys[counts > 2] % n], axis=1)
    # Directed half-edges a->b; boundary ones are those whose undirected edge occurs once.
    directed = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    once = counts[inverse.reshape(-1)] == 1
    _add_unmatched_half_edges(once, directed, counts[inverse.reshape(-1)] > 2, n)
    boundary = directed[once]
    boundary_faces = np.repeat(welded.face_index, 3)[once]
    boundary_corner = np.tile([0, 1, 2], len(faces))[once]
    loops = _chain_loops(boundary)

    # One directed edge per face is enough to connect its three vertices.
    adjacency = coo_matrix(
        (
            np.ones(2 * len(faces), dtype=np.int8),
            (faces[:, [0, 1]].ravel(), faces[:, [1, 2]].ravel()),
        ),
        shape=(n, n),
    ).tocsr()
    n_components, labels = connected_components(adjacency, directed=False)
    corner = points[faces]
    areas = 0.5 * np.linalg.norm(
        np.cross(corner[:, 1] - corner[:, 0], corner[:, 2] - corner[:, 0]), axis=1
    )
    component_area = np.bincount(labels[faces[:, 0]], weights=areas, minlength=n_components)
    component_faces = np.bincount(labels[faces[:, 0]], minlength=n_components)

    # Original vertex ids of each boundary edge's start, from the face that owns the edge, so a
    # patch meets the texture chart that the surrounding face uses.
    original_faces = np.asarray(mesh.faces, dtype=np.int64)
    start_original = original_faces[boundary_faces, boundary_corner]
    start_of = dict(zip(boundary[:, 0].tolist(), start_original.tolist(), strict=True))
    end_original = original_faces[boundary_faces, (boundary_corner + 1) % 3]
    end_of = dict(zip(boundary[:, 1].tolist(), end_original.tolist(), strict=True))

    holes = []
    for loop in loops:
        # A fill patch runs the loop backwards relative to the mesh's boundary half-edges.
        loop = loop[::-1].copy()
        ring = points[loop]
        nxt = np.roll(ring, -1, axis=0)
        perimeter = float(np.linalg.norm(nxt - ring, axis=1).sum())
        vector_area = float(np.linalg.norm(np.cross(ring, nxt).sum(axis=0)) / 2.0)
        component = int(labels[loop[0]])
        if component_faces[component] < island_faces:
            kind = ISLAND
        elif vector_area > border_fraction * component_area[component]:
            kind = BORDER
        else:
            kind = HOLE
        ids = np.array([end_of.get(v, start_of.get(v, -1)) for v in loop.tolist()])
        holes.append(Hole(loop, kind, component, perimeter, vector_area, ids))
    return HoleReport(welded, holes, non_manifold, n_components)


def _add_unmatched_half_edges(
    boundary: np.ndarray, directed: np.ndarray, shared: np.ndarray, n: int
) -> None:
    """On an edge with more than two faces (a fin), a half-edge a->b with more copies than
    b->a still bounds a hole: mark one copy as boundary so the hole's loop stays closed."""
    index = np.flatnonzero(shared)
    if len(index) == 0:
        return
    forward = directed[index, 0] * n + directed[index, 1]
    reverse = directed[index, 1] * n + directed[index, 0]
    keys, first, copies = np.unique(forward, return_index=True, return_counts=True)
    position = np.clip(np.searchsorted(keys, reverse), 0, len(keys) - 1)
    reverse_copies = np.where(keys[position] == reverse, copies[position], 0)
    own = copies[np.searchsorted(keys, forward)]
    is_first = np.zeros(len(index), dtype=bool)
    is_first[first] = True
    boundary[index[(own > reverse_copies) & is_first]] = True


def _chain_loops(boundary: np.ndarray) -> list[np.ndarray]:
    """Chain directed boundary edges into closed loops, splitting loops that pass a vertex twice
    (two holes touching at a corner) into simple ones."""
    outgoing: dict[int, list[int]] = {}
    for a, b in boundary.tolist():
        outgoing.setdefault(a, []).append(b)
    loops: list[np.ndarray] = []
    while outgoing:
        start = next(iter(outgoing))
        path = [start]
        position = {start: 0}
        current = start
        while True:
            targets = outgoing.get(current)
            if not targets:
                break  # an open chain (inconsistent orientation): dropped, cannot be filled
            nxt = targets.pop()
            if not targets:
                del outgoing[current]
            if nxt in position:
                cut = position[nxt]
                loop = path[cut:]
                if len(loop) >= 3:
                    loops.append(np.array(loop, dtype=np.int64))
                for vertex in loop[1:]:
                    del position[vertex]
                path = path[: cut + 1]
                current = nxt
                if nxt == start and start not in outgoing:
                    break
                continue
            position[nxt] = len(path)
            path.append(nxt)
            current = nxt
    return loops


def open_edge_count(faces: np.ndarray, vertices: np.ndarray | None = None) -> int:
    """Edges used by exactly one face (after welding by position when `vertices` is given)."""
    faces = np.asarray(faces, dtype=np.int64)
    if vertices is not None:
        _, inverse = np.unique(np.asarray(vertices), axis=0, return_inverse=True)
        faces = inverse.reshape(-1)[faces]
    edges = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    return int((counts == 1).sum())
