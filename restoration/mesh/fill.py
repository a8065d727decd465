"""Hole filling: minimum-weight triangulation, refinement to the surrounding density, fairing
with two fixed rings (tangent continuity), texture coordinates for the new vertices, and an
optional target surface (mirror image, surface of revolution) blended in from the seam."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import trimesh
from scipy.sparse.csgraph import dijkstra
from scipy.sparse.linalg import spsolve

from museum.common.devices import resolve_device
from restoration.mesh.errors import MeshRepairError
from restoration.mesh.fairing import fair, uniform_laplacian
from restoration.mesh.holes import HOLE, Hole, HoleReport, find_holes
from restoration.mesh.triangulate import KEY_BASE, minimum_weight_triangulation, refine

# target(points) -> (points on the target surface, which of them are trustworthy)
FAIRING_ORDER = 2  # 2: thin plate (tangent continuity), 3: curvature continuity
Target = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class Patch:
    """The fill of one hole in local ids: [0, len(loop)) are the loop, the rest are new."""

    hole: Hole
    points: np.ndarray
    faces: np.ndarray
    uv: np.ndarray | None = None
    status: str = "filled"
    code: str = ""  # why a hole was reported rather than filled (a MeshRepairError code)
    reason: str = ""
    seconds: float = 0.0
    uv_seam: bool = False

    @property
    def new_points(self) -> np.ndarray:
        return self.points[len(self.hole.loop) :]

    def as_dict(self) -> dict:
        return {
            **self.hole.as_dict(),
            "status": self.status,
            "code": self.code,
            "reason": self.reason,
            "faces_added": len(self.faces) if self.status == "filled" else 0,
            "vertices_added": len(self.new_points) if self.status == "filled" else 0,
            "uv_crosses_seam": self.uv_seam,
            "seconds": round(self.seconds, 4),
        }


@dataclass
class FillResult:
    mesh: trimesh.Trimesh
    report: HoleReport
    patches: list[Patch]
    seconds: float
    device: str
    notes: list[str] = field(default_factory=list)

    @property
    def filled(self) -> list[Patch]:
        return [patch for patch in self.patches if patch.status == "filled"]

    def summary(self) -> dict:
        return {
            "holes_found": len(self.report.of_kind(HOLE)),
            "holes_filled": len(self.filled),
            "holes_reported": len(self.patches) - len(self.filled),
            "borders": len(self.report.of_kind("border")),
            "islands": len(self.report.of_kind("island")),
            "non_manifold_edges": len(self.report.non_manifold_edges),
            "faces_added": int(sum(len(p.faces) for p in self.filled)),
            "vertices_added": int(sum(len(p.new_points) for p in self.filled)),
            "device": self.device,
            "seconds": round(self.seconds, 3),
            "patches": [patch.as_dict() for patch in self.patches],
            "notes": self.notes,
        }


class MeshContext:
    """Per-mesh lookups shared by the patches: incidence, local edge length, existing edges."""

    def __init__(self, report: HoleReport) -> None:
        welded = report.welded
        self.report = report
        self.points = welded.vertices
        self.faces = welded.faces
        n = len(self.points)
        m = len(self.faces)
        # Vertex -> incident faces as CSR, built from one sort (no COO conversion).
        order = np.argsort(self.faces.ravel(), kind="stable")
        indptr = np.concatenate([[0], np.cumsum(np.bincount(self.faces.ravel(), minlength=n))])
        self.incidence = sp.csr_matrix((np.ones(3 * m, dtype=np.int8), order // 3, indptr), (n, m))
        # Local edge length: mean over the half-edges leaving each vertex (interior edges count
        # twice, evenly, so the mean is unchanged on closed surfaces; no global edge sort needed).
        tail = self.faces.ravel()
        head = np.roll(self.faces, -1, axis=1).ravel()
        length = np.linalg.norm(self.points[tail] - self.points[head], axis=1)
        both = np.concatenate([tail, head])
        total = np.bincount(both, weights=np.concatenate([length, length]), minlength=n)
        self.sigma = total / np.maximum(np.bincount(both, minlength=n), 1)
        self.non_manifold_vertices = np.unique(report.non_manifold_edges.ravel())
        visual = welded.mesh.visual
        uv = getattr(visual, "uv", None)
        self.uv = None if uv is None or len(uv) != len(welded.mesh.vertices) else np.asarray(uv)

    def ring_faces(self, vertices: np.ndarray) -> np.ndarray:
        return np.unique(self.incidence[vertices].indices)


def fill_holes(
    mesh: trimesh.Trimesh,
    *,
    holes: list[int] | None = None,
    target: Target | None = None,
    refine_patch: bool = True,
    fair_patch: bool = True,
    solver: str = "auto",
    device: str = "auto",
    require_holes: bool = True,
) -> FillResult:
    """Fill every HOLE of `mesh` (or the holes at the given indices of find_holes' list).

    Holes that cannot be filled (non-manifold edges on the loop, no valid triangulation) are
    reported in their Patch and left open; the input mesh is never modified."""
    start = time.perf_counter()
    report = find_holes(mesh)
    device = resolve_device(device)
    if holes is None:
        chosen = [hole for hole in report.holes if hole.kind == HOLE]
    else:
        if any(not 0 <= index < len(report.holes) for index in holes):
            raise MeshRepairError(
                "bad_hole_index", f"Hole indices must be below {len(report.holes)}."
            )
        chosen = [report.holes[index] for index in holes]
    if require_holes and not chosen:
        _raise_nothing_to_fill(report)
    context = MeshContext(report)
    patches = [
        build_patch(
            context,
            hole,
            target=target,
            refine_patch=refine_patch,
            fair_patch=fair_patch,
            solver=solver,
            device=device,
        )
        for hole in chosen
    ]
    if patches and all(patch.status != "filled" for patch in patches):
        first = patches[0]
        raise MeshRepairError(first.code, f"No hole could be filled: {first.reason}")
    repaired = apply_patches(mesh, patches)
    return FillResult(repaired, report, patches, time.perf_counter() - start, device)


def _raise_nothing_to_fill(report: HoleReport) -> None:
    welded = report.welded
    boundary_vertices = {int(v) for hole in report.holes for v in hole.loop}
    if report.holes and len(boundary_vertices) >= len(np.unique(welded.faces)):
        raise MeshRepairError(
            "all_hole",
            "Every vertex lies on a boundary: the mesh is all hole, nothing to fill from.",
        )
    raise MeshRepairError(
        "no_holes",
        f"No holes to fill ({len(report.of_kind('border'))} open borders and "
        f"{len(report.of_kind('island'))} island loops are left as they are).",
    )


def build_patch(
    context: MeshContext,
    hole: Hole,
    *,
    target: Target | None = None,
    refine_patch: bool = True,
    fair_patch: bool = True,
    solver: str = "auto",
    device: str = "cpu",
) -> Patch:
    start = time.perf_counter()
    loop = hole.loop
    k = len(loop)
    if np.isin(loop, context.non_manifold_vertices).any():
        return Patch(
            hole,
            context.points[loop],
            np.zeros((0, 3), np.int64),
            status="reported",
            code="non_manifold",
            reason="A non-manifold edge touches this hole.",
        )
    position = {int(v): i for i, v in enumerate(loop.tolist())}
    forbidden = np.zeros((k, k), dtype=bool)
    # Mesh edges joining two loop vertices lie in faces around the loop.
    around = context.faces[context.ring_faces(loop)]
    keys = around[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    inside = np.isin(keys, loop).all(axis=1)
    for a, b in keys[inside].tolist():
        forbidden[position[a], position[b]] = forbidden[position[b], position[a]] = True
    forbidden_keys = np.flatnonzero(np.triu(forbidden, 1).ravel())
    forbidden_keys = (forbidden_keys // k) * KEY_BASE + forbidden_keys % k
    try:
        faces = minimum_weight_triangulation(context.points[loop], forbidden)
        points = context.points[loop].copy()
        if refine_patch:
            points, faces = refine(
                points, faces, context.sigma[loop], forbidden_keys=forbidden_keys
            )
    except MeshRepairError as exc:
        return Patch(
            hole,
            context.points[loop],
            np.zeros((0, 3), np.int64),
            status="reported",
            code=exc.code,
            reason=exc.message,
        )
    if fair_patch and len(points) > k:
        points = _fair_in_place(context, loop, points, faces, solver=solver, device=device)
    if target is not None and len(points) > k:
        points = blend_target(points, faces, k, target)
    patch = Patch(hole, points, faces)
    if context.uv is not None:
        patch.uv, patch.uv_seam = harmonic_uv(context.uv[hole.original_ids], points, faces, k)
    patch.seconds = time.perf_counter() - start
    return patch


def _fair_in_place(
    context: MeshContext,
    loop: np.ndarray,
    points: np.ndarray,
    faces: np.ndarray,
    *,
    solver: str,
    device: str,
    order: int = FAIRING_ORDER,
) -> np.ndarray:
    """Fair the new vertices with the loop and the ring outside it fixed (two rings)."""
    k = len(loop)
    face_ids = context.ring_faces(loop)
    for _ in range(order - 2):  # order 3 also needs the faces round the first outer ring
        face_ids = context.ring_faces(np.unique(context.faces[face_ids]))
    ring_faces = context.faces[face_ids]
    outside = np.setdiff1d(np.unique(ring_faces), loop)
    local = np.full(len(context.points), -1, dtype=np.int64)
    local[loop] = np.arange(k)
    local[outside] = len(points) + np.arange(len(outside))
    all_points = np.vstack([points, context.points[outside]])
    all_faces = np.vstack([faces, local[ring_faces]])
    free = np.zeros(len(all_points), dtype=bool)
    free[k : len(points)] = True
    faired = fair(all_points, all_faces, free, solver=solver, device=device, order=order)
    return faired[: len(points)]


def blend_target(points: np.ndarray, faces: np.ndarray, k: int, target: Target) -> np.ndarray:
    """Move new vertices towards the target surface, fully from the third ring inwards, so the
    seam keeps the faired (tangent-continuous) transition."""
    n = len(points)
    edges = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    graph = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    rings = dijkstra(graph, directed=False, indices=np.arange(k), unweighted=True, min_only=True)
    t = np.clip(np.where(np.isfinite(rings), rings, 0.0) / 3.0, 0.0, 1.0)
    weight = t * t * (3.0 - 2.0 * t)  # smoothstep
    projected, valid = target(points[k:])
    weight = weight[k:] * valid
    blended = points.copy()
    blended[k:] += weight[:, None] * (projected - points[k:])
    return blended


def harmonic_uv(
    boundary_uv: np.ndarray, points: np.ndarray, faces: np.ndarray, k: int
) -> tuple[np.ndarray, bool]:
    """Texture coordinates of new vertices: harmonic interpolation of the loop's UVs. Flags a
    loop whose UVs jump (it crosses a texture seam) since the interpolation is then distorted."""
    n = len(points)
    uv = np.zeros((n, 2))
    uv[:k] = boundary_uv
    if n > k:
        laplacian = uniform_laplacian(n, faces)
        system = laplacian[k:][:, k:].tocsc()
        rhs = -(laplacian[k:][:, :k] @ boundary_uv)
        uv[k:] = np.asarray(spsolve(system, rhs)).reshape(-1, 2)
    step_uv = np.linalg.norm(np.roll(boundary_uv, -1, axis=0) - boundary_uv, axis=1)
    step_xyz = np.linalg.norm(np.roll(points[:k], -1, axis=0) - points[:k], axis=1)
    ratio = step_uv / np.maximum(step_xyz, 1e-300)
    seam = bool(ratio.max() > 8.0 * max(float(np.median(ratio)), 1e-12))
    return uv, seam


def apply_patches(mesh: trimesh.Trimesh, patches: list[Patch]) -> trimesh.Trimesh:
    """A new mesh: the original vertices and faces (texture seams kept) plus every filled patch."""
    vertices = [np.asarray(mesh.vertices, dtype=np.float64)]
    faces = [np.asarray(mesh.faces, dtype=np.int64)]
    uv_parts = []
    uv = getattr(mesh.visual, "uv", None)
    has_uv = uv is not None and len(uv) == len(mesh.vertices)
    if has_uv:
        uv_parts.append(np.asarray(uv))
    offset = len(mesh.vertices)
    for patch in patches:
        if patch.status != "filled":
            continue
        k = len(patch.hole.loop)
        ids = np.concatenate([patch.hole.original_ids, offset + np.arange(len(patch.points) - k)])
        vertices.append(patch.new_points)
        faces.append(ids[patch.faces])
        if has_uv:
            missing = np.zeros((len(patch.points) - k, 2))
            uv_parts.append(patch.uv[k:] if patch.uv is not None else missing)
        offset += len(patch.points) - k
    visual = None
    if has_uv:
        visual = trimesh.visual.TextureVisuals(
            uv=np.vstack(uv_parts), material=getattr(mesh.visual, "material", None)
        )
    return trimesh.Trimesh(np.vstack(vertices), np.vstack(faces), visual=visual, process=False)
