"""Candidate fills of one hole, each scored without a reference and passed through the guard.

Methods: `cgal` (CGAL's triangulate_refine_and_fair_hole, tangent-continuous fairing),
`curvature` (the same with curvature-continuous fairing), `fill` (our hand-written MWT + Liepa
+ thin-plate fairing), `symmetry` / `revolve` (CGAL's patch pulled onto the mirror image or the
surface of revolution), `fan` (the centroid fan, the simplest fill) and `flat` (our bare MWT).
The best usable candidate wins; one the guard refuses keeps its patch aside (`refused`) and its
reason, so the hole is left open with a reason when every candidate is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import trimesh

from restoration.mesh.cgal_fill import cgal_patch, fan_patch
from restoration.mesh.errors import MeshRepairError
from restoration.mesh.fill import MeshContext, Patch, Target, blend_target, build_patch
from restoration.mesh.guard import check_patch
from restoration.mesh.holes import HOLE, Hole, HoleReport, find_holes
from restoration.mesh.metrics import point_mesh_distance
from restoration.mesh.revolve import fit_axis, fit_profile, profile_deviation, revolution_target
from restoration.mesh.symmetry import detect_mirror_plane, mirror_target, surface_overlap

GEOMETRY_METHODS = ("cgal", "curvature", "fill", "symmetry", "revolve", "fan", "flat")
DEFAULT_METHODS = ("cgal", "curvature", "fill", "symmetry", "revolve", "fan")
SEAM_DEGREES = 10.0  # a 10 degree crease at the seam costs as much as doubling the curvature
VALIDATION_RINGS = 2  # the rehearsal widens the hole by this many rings of known surface
VALIDATION_SAMPLES = 1500
ANCHOR, ANCHOR_MARGIN = "cgal", 0.8  # chosen on seeds 0 and 1 of eval_mesh_fill (validation)


@dataclass
class Candidate:
    method: str
    score: float  # lower is better; inf when the method failed or the guard refused it
    terms: dict[str, float] = field(default_factory=dict)
    patch: Patch | None = None  # None unless usable
    error: str = ""
    refused: Patch | None = None  # a patch the guard refused, kept for evaluation
    guard: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "method": self.method,
            "score": None if not np.isfinite(self.score) else round(float(self.score), 5),
            "terms": {k: _finite(v, 5) for k, v in self.terms.items()},
            "error": self.error,
            "guard": {k: _finite(v, 4) for k, v in self.guard.items()},
        }


def _finite(value: float, digits: int) -> float | None:
    """JSON has no infinity (an open surface's thickness): None stands for it."""
    return round(float(value), digits) if np.isfinite(value) else None


@dataclass
class Shapes:
    """What every hole of one mesh shares: lookups, fitted targets and why a fit failed."""

    mesh: trimesh.Trimesh
    context: MeshContext
    targets: dict[str, Target]
    fits: dict[str, dict]
    failed: dict[str, str]
    ring_curvature: np.ndarray


def check_methods(methods: Sequence[str]) -> None:
    unknown = set(methods) - set(GEOMETRY_METHODS)
    if unknown:
        raise ValueError(f"unknown methods {sorted(unknown)}; choose from {GEOMETRY_METHODS}")


def prepare(mesh: trimesh.Trimesh, report: HoleReport, methods: Sequence[str]) -> Shapes:
    """Fit the mirror plane and the axis of revolution once per mesh, when asked for."""
    check_methods(methods)
    context = MeshContext(report)
    edge = float(context.sigma.mean())
    targets: dict[str, Target] = {}
    fits: dict[str, dict] = {}
    failed: dict[str, str] = {}
    if "symmetry" in methods:
        try:
            plane = surface_overlap(mesh, detect_mirror_plane(context.points))
        except MeshRepairError as exc:
            failed["symmetry"] = exc.message
        else:
            fits["symmetry"] = {**plane.as_dict(), "residual_edges": plane.residual / edge}
            targets["symmetry"] = mirror_target(
                mesh, plane, max_distance=4.0 * edge + 3.0 * plane.residual
            )
    if "revolve" in methods:
        surface = trimesh.Trimesh(context.points, context.faces, process=False)
        try:
            axis = fit_axis(
                surface.triangles_center, surface.face_normals, weights=surface.area_faces
            )
            profile = fit_profile(context.points, axis)
        except MeshRepairError as exc:
            failed["revolve"] = exc.message
        else:
            deviation = profile_deviation(context.points, axis, profile)
            fits["revolve"] = {
                **axis.as_dict(),
                "residual_edges": axis.residual / edge,
                "profile_deviation": deviation,
            }
            targets["revolve"] = revolution_target(axis, profile)
    curvature = umbrella_curvature(context.points, context.faces)
    return Shapes(mesh, context, targets, fits, failed, curvature)


def build_candidate_patch(
    shapes: Shapes, hole: Hole, method: str, *, solver: str = "auto", device: str = "cpu"
) -> Patch:
    context = shapes.context
    if method == "cgal":
        return cgal_patch(context, hole)
    if method == "curvature":
        return cgal_patch(context, hole, continuity=2)
    if method == "fan":
        return fan_patch(context, hole)
    if method in ("fill", "flat"):
        full = method == "fill"
        return build_patch(
            context, hole, refine_patch=full, fair_patch=full, solver=solver, device=device
        )
    # symmetry / revolve: the target pulls CGAL's faired patch (our own when CGAL fails).
    base = cgal_patch(context, hole)
    target = shapes.targets[method]
    if base.status != "filled":
        return build_patch(context, hole, target=target, solver=solver, device=device)
    k = len(hole.loop)
    if len(base.points) > k:
        base.points = blend_target(base.points, base.faces, k, target)
    return base


def hole_candidates(
    shapes: Shapes,
    hole: Hole,
    methods: Sequence[str] = DEFAULT_METHODS,
    *,
    solver: str = "auto",
    device: str = "cpu",
    guard: bool = True,
    rehearse: bool = True,
) -> list[Candidate]:
    """Every method's patch for `hole`, scored without reference, best (usable) first.

    The score is the ring error (`validate`: how well the method predicts the known surface
    round the hole, relative to the fan's; another method must beat CGAL's by ANCHOR_MARGIN)
    when it can be measured, else the sum of the seam and curvature terms; the terms are kept
    either way."""
    ring_errors = validate(shapes, hole, methods, solver=solver, device=device) if rehearse else {}
    candidates = []
    for method in methods:
        if method in shapes.failed:
            candidates.append(Candidate(method, np.inf, error=shapes.failed[method]))
            continue
        patch = build_candidate_patch(shapes, hole, method, solver=solver, device=device)
        if patch.status != "filled":
            candidates.append(Candidate(method, np.inf, error=patch.reason))
            continue
        terms = score_patch(shapes.context, patch, shapes.ring_curvature)
        if method in ("symmetry", "revolve"):
            terms.update(_fit_terms(shapes, method, patch))
        score = float(sum(terms.values()))
        if ring_errors:
            terms["ring_error"] = ring_errors.get(method, np.inf)
            # Leave the anchor (CGAL's fill) only for a clearly better rehearsal.
            score = terms["ring_error"] / (1.0 if method == ANCHOR else ANCHOR_MARGIN)
        candidate = Candidate(method, score, terms, patch)
        if guard:
            verdict = check_patch(shapes.context, patch)
            candidate.guard = verdict.terms
            if not verdict.ok:
                candidate.score, candidate.patch, candidate.refused = np.inf, None, patch
                candidate.error = f"refused: {verdict.reason}"
        candidates.append(candidate)
    candidates.sort(key=lambda c: c.score)
    return candidates


def validate(
    shapes: Shapes,
    hole: Hole,
    methods: Sequence[str],
    *,
    solver: str = "auto",
    device: str = "cpu",
) -> dict[str, float]:
    """A rehearsal on known surface: widen the hole by VALIDATION_RINGS rings of faces, fill the
    wider hole with each method, and measure how far the removed (known) ring lies from each
    fill: mean distance, relative to the fan's. Empty when the wider hole is not one loop
    (another hole or a border too close) or the fan cannot close it."""
    context = shapes.context
    ring = context.ring_faces(hole.loop)
    for _ in range(VALIDATION_RINGS - 1):
        ring = context.ring_faces(np.unique(context.faces[ring]))
    keep = np.ones(len(context.faces), dtype=bool)
    keep[ring] = False
    wider = trimesh.Trimesh(context.points, context.faces[keep], process=False)
    report = find_holes(wider)
    rim = np.zeros(len(context.points), dtype=bool)
    rim[np.unique(context.faces[ring])] = True
    loops = [h for h in report.holes if h.kind == HOLE and rim[h.loop].all()]
    if len(loops) != 1:
        return {}
    rehearsal = Shapes(
        wider, MeshContext(report), shapes.targets, shapes.fits, shapes.failed, np.zeros(0)
    )
    known = trimesh.Trimesh(context.points, context.faces[ring], process=False)
    samples = trimesh.sample.sample_surface(known, VALIDATION_SAMPLES, seed=0)[0]
    errors = {}
    for method in methods:
        if method in shapes.failed:
            continue
        patch = build_candidate_patch(rehearsal, loops[0], method, solver=solver, device=device)
        if patch.status == "filled":
            filled = trimesh.Trimesh(patch.points, patch.faces, process=False)
            errors[method] = float(point_mesh_distance(samples, filled).mean())
    fan = errors.get("fan") or float(np.mean(list(errors.values()) or [0.0]))
    if not fan > 0:
        return {}
    return {method: error / fan for method, error in errors.items()}


def _fit_terms(shapes: Shapes, method: str, patch: Patch) -> dict[str, float]:
    fit = shapes.fits[method]
    new = patch.new_points
    covered = float(shapes.targets[method](new)[1].mean()) if len(new) else 0.0
    terms = {
        "coverage_loss": 1.0 - covered,
        "fit_residual": min(1.0, fit["residual_edges"] / 10.0),
    }
    if method == "symmetry":
        terms["asymmetry"] = 1.0 - fit["overlap"]
    else:
        terms["profile_deviation"] = min(1.0, fit["profile_deviation"] / 0.03)
    return terms


def umbrella_curvature(points: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """|(mean of neighbours - vertex) . normal| / mean neighbour distance: a scale-free mean
    curvature proxy (the normal part only: irregular meshes drift tangentially even on planes)."""
    n = len(points)
    edges = np.unique(np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1), axis=0)
    both = np.vstack([edges, edges[:, ::-1]])
    degree = np.bincount(both[:, 0], minlength=n).astype(np.float64)
    total = np.zeros((n, 3))
    np.add.at(total, both[:, 0], points[both[:, 1]])
    mean = total / np.maximum(degree, 1)[:, None]
    length = np.linalg.norm(points[both[:, 0]] - points[both[:, 1]], axis=1)
    spacing = np.bincount(both[:, 0], weights=length, minlength=n) / np.maximum(degree, 1)
    normal_part = ((mean - points) * vertex_normals(points, faces)).sum(axis=1)
    return np.abs(normal_part) / np.maximum(spacing, 1e-300)


def score_patch(context: MeshContext, patch: Patch, ring_curvature: np.ndarray) -> dict:
    """No-reference terms: the crease at the seam (angle between the patch's and the surface's
    one-sided normals at the loop, over SEAM_DEGREES) and the curvature jump (median curvature
    over the loop and the new vertices, with the loop's full one-rings, against the surrounding
    ring's, relative)."""
    loop = patch.hole.loop
    k = len(loop)
    patch_normals = vertex_normals(patch.points, patch.faces)[:k]
    ring_faces = context.faces[context.ring_faces(loop)]
    surface_normals = vertex_normals(context.points, ring_faces)[loop]
    cos = (patch_normals * surface_normals).sum(axis=1)
    seam = float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))).mean())
    outside = np.setdiff1d(np.unique(ring_faces), loop)
    ring = float(np.median(ring_curvature[outside])) if len(outside) else 0.0
    local = np.full(len(context.points), -1, dtype=np.int64)
    local[loop] = np.arange(k)
    local[outside] = len(patch.points) + np.arange(len(outside))
    joined = np.vstack([patch.points, context.points[outside]])
    joined_faces = np.vstack([patch.faces, local[ring_faces]])
    inner = float(np.median(umbrella_curvature(joined, joined_faces)[: len(patch.points)]))
    return {
        "seam_crease": seam / SEAM_DEGREES,
        "curvature_jump": abs(inner - ring) / (ring + 0.01),
    }


def vertex_normals(points: np.ndarray, faces: np.ndarray) -> np.ndarray:
    normals = np.zeros_like(points)
    corner = points[faces]
    face_normals = np.cross(corner[:, 1] - corner[:, 0], corner[:, 2] - corner[:, 0])
    for index in range(3):
        np.add.at(normals, faces[:, index], face_normals)
    return normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-300)
