"""The restoration planner: run candidate methods on each damaged region, score each with a
measured no-reference score, keep the best, and learn curators' preferences with a bandit.

Framework-free (numpy, trimesh, restoration.mesh). Scores are lower-is-better sums of terms that
need no ground truth; every candidate is returned with its terms so a curator sees why one won.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import trimesh

from museum.common.devices import resolve_device
from restoration.mesh.fill import MeshContext, Patch, Target, apply_patches, build_patch
from restoration.mesh.holes import HOLE, MeshRepairError, find_holes
from restoration.mesh.revolve import (
    fit_axis,
    fit_profile,
    profile_deviation,
    revolution_target,
)
from restoration.mesh.symmetry import detect_mirror_plane, mirror_target, surface_overlap

GEOMETRY_METHODS = ("fill", "symmetry", "revolve", "flat")
# Weights of the score terms: a 10 degree crease at the seam costs as much as doubling the
# curvature or losing the target on every new vertex. Chosen by hand; the bandit learns on top.
SEAM_DEGREES = 10.0


@dataclass
class Candidate:
    method: str
    score: float  # lower is better; inf when the method failed
    terms: dict[str, float] = field(default_factory=dict)
    patch: Patch | None = None
    error: str = ""

    def as_dict(self) -> dict:
        return {
            "method": self.method,
            "score": None if not np.isfinite(self.score) else round(float(self.score), 5),
            "terms": {k: round(float(v), 5) for k, v in self.terms.items()},
            "error": self.error,
        }


@dataclass
class RegionPlan:
    region: int
    candidates: list[Candidate]  # sorted, best first

    @property
    def best(self) -> Candidate:
        return self.candidates[0]

    def choose(
        self,
        bandit: MethodBandit | None = None,
        *,
        context: tuple[str, str] | None = None,
        tolerance: float = 1.5,
    ) -> Candidate:
        """The best-scoring candidate, or, with a bandit, the bandit's pick among candidates
        scoring within `tolerance` x the best (a measured score always bounds the choice)."""
        if bandit is None or context is None or not np.isfinite(self.best.score):
            return self.best
        limit = self.best.score * tolerance + 1e-9
        allowed = [c.method for c in self.candidates if c.score <= limit]
        method = bandit.select(*context, available=allowed)
        return next(c for c in self.candidates if c.method == method)

    def as_dict(self) -> dict:
        return {
            "region": self.region,
            "chosen": self.best.method,
            "candidates": [c.as_dict() for c in self.candidates],
        }


@dataclass
class MeshPlan:
    mesh: trimesh.Trimesh
    regions: list[RegionPlan]
    fits: dict[str, dict]
    seconds: float

    def assemble(self, chosen: Sequence[Candidate] | None = None) -> trimesh.Trimesh:
        """The repaired mesh with one candidate per region (default: each region's best)."""
        picks = chosen if chosen is not None else [region.best for region in self.regions]
        return apply_patches(self.mesh, [c.patch for c in picks if c.patch is not None])

    def as_dict(self) -> dict:
        return {
            "regions": [region.as_dict() for region in self.regions],
            "fits": self.fits,
            "seconds": round(self.seconds, 3),
        }


def plan_mesh(
    mesh: trimesh.Trimesh,
    *,
    methods: Sequence[str] = ("fill", "symmetry", "revolve"),
    solver: str = "auto",
    device: str = "auto",
) -> MeshPlan:
    """For every hole of `mesh`, build a patch with each method and score it."""
    unknown = set(methods) - set(GEOMETRY_METHODS)
    if unknown:
        raise ValueError(f"unknown methods {sorted(unknown)}; choose from {GEOMETRY_METHODS}")
    start = time.perf_counter()
    report = find_holes(mesh)
    holes = report.of_kind(HOLE)
    if not holes:
        raise MeshRepairError("no_holes", "No holes to restore.")
    context = MeshContext(report)
    device = resolve_device(device)
    surface = trimesh.Trimesh(context.points, context.faces, process=False)
    edge = float(context.sigma.mean())
    targets: dict[str, Target | None] = {"fill": None, "flat": None}
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
    ring_curvature = umbrella_curvature(context.points, context.faces)
    regions = []
    for index, hole in enumerate(holes):
        candidates = []
        for method in methods:
            if method in failed:
                candidates.append(Candidate(method, np.inf, error=failed[method]))
                continue
            patch = build_patch(
                context,
                hole,
                target=targets[method],
                refine_patch=method != "flat",
                fair_patch=method != "flat",
                solver=solver,
                device=device,
            )
            if patch.status != "filled":
                candidates.append(Candidate(method, np.inf, patch=None, error=patch.reason))
                continue
            terms = score_patch(context, patch, ring_curvature)
            if method == "symmetry":
                terms["coverage_loss"] = 1.0 - _coverage(cast(Target, targets[method]), patch)
                terms["fit_residual"] = min(1.0, fits[method]["residual_edges"] / 10.0)
                terms["asymmetry"] = 1.0 - fits[method]["overlap"]
            elif method == "revolve":
                terms["coverage_loss"] = 1.0 - _coverage(cast(Target, targets[method]), patch)
                terms["fit_residual"] = min(1.0, fits[method]["residual_edges"] / 10.0)
                terms["profile_deviation"] = min(1.0, fits[method]["profile_deviation"] / 0.03)
            candidates.append(Candidate(method, float(sum(terms.values())), terms, patch))
        candidates.sort(key=lambda c: c.score)
        regions.append(RegionPlan(index, candidates))
    return MeshPlan(mesh, regions, fits, time.perf_counter() - start)


def _coverage(target: Target, patch: Patch) -> float:
    if len(patch.new_points) == 0:
        return 1.0
    return float(target(patch.new_points)[1].mean())


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
    normal_part = ((mean - points) * _vertex_normals(points, faces)).sum(axis=1)
    return np.abs(normal_part) / np.maximum(spacing, 1e-300)


def score_patch(context: MeshContext, patch: Patch, ring_curvature: np.ndarray) -> dict:
    """No-reference terms: the crease at the seam (angle between the patch's and the surface's
    one-sided normals at the loop, over SEAM_DEGREES) and the curvature jump (median curvature
    over the loop and the new vertices, with the loop's full one-rings, against the surrounding
    ring's, relative)."""
    loop = patch.hole.loop
    k = len(loop)
    patch_normals = _vertex_normals(patch.points, patch.faces)[:k]
    ring_faces = context.faces[context.ring_faces(loop)]
    surface_normals = _vertex_normals(context.points, ring_faces)[loop]
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


def _vertex_normals(points: np.ndarray, faces: np.ndarray) -> np.ndarray:
    normals = np.zeros_like(points)
    corner = points[faces]
    face_normals = np.cross(corner[:, 1] - corner[:, 0], corner[:, 2] - corner[:, 0])
    for corner in range(3):
        np.add.at(normals, faces[:, corner], face_normals)
    return normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-300)


class MethodBandit:
    """Disjoint LinUCB (Li et al. 2010) over context features [1, damage class, material]
    one-hot: learns from accept (1) / reject (0) which method curators prefer per context, and
    shares what it learns about a class across materials and vice versa."""

    def __init__(
        self,
        methods: Sequence[str],
        damage_classes: Sequence[str],
        materials: Sequence[str],
        *,
        alpha: float = 0.5,
        ridge: float = 1.0,
    ) -> None:
        if not methods:
            raise ValueError("a bandit needs at least one method")
        self.methods = list(methods)
        self.classes = list(damage_classes)
        self.materials = list(materials)
        self.alpha = alpha
        d = 1 + len(self.classes) + len(self.materials)
        self.a = {m: ridge * np.eye(d) for m in self.methods}
        self.b = {m: np.zeros(d) for m in self.methods}

    def features(self, damage_class: str, material: str) -> np.ndarray:
        if damage_class not in self.classes or material not in self.materials:
            raise ValueError(f"unknown context ({damage_class!r}, {material!r})")
        x = np.zeros(1 + len(self.classes) + len(self.materials))
        x[0] = 1.0
        x[1 + self.classes.index(damage_class)] = 1.0
        x[1 + len(self.classes) + self.materials.index(material)] = 1.0
        return x

    def expected(self, damage_class: str, material: str) -> dict[str, float]:
        x = self.features(damage_class, material)
        return {m: float(np.linalg.solve(self.a[m], self.b[m]) @ x) for m in self.methods}

    def select(
        self, damage_class: str, material: str, *, available: Sequence[str] | None = None
    ) -> str:
        x = self.features(damage_class, material)
        options = [m for m in self.methods if available is None or m in available]
        if not options:
            raise ValueError("no available method is known to the bandit")

        def ucb(method: str) -> float:
            inverse = np.linalg.inv(self.a[method])
            return float(inverse @ self.b[method] @ x + self.alpha * np.sqrt(x @ inverse @ x))

        return max(options, key=ucb)

    def update(self, damage_class: str, material: str, method: str, reward: float) -> None:
        x = self.features(damage_class, material)
        self.a[method] += np.outer(x, x)
        self.b[method] += reward * x

    def to_state(self) -> dict:
        """JSON-ready state, so what curators taught survives restarts (stored in the DB)."""
        return {
            "methods": self.methods,
            "classes": self.classes,
            "materials": self.materials,
            "alpha": self.alpha,
            "a": {m: self.a[m].tolist() for m in self.methods},
            "b": {m: self.b[m].tolist() for m in self.methods},
        }

    @classmethod
    def from_state(cls, state: dict) -> MethodBandit:
        bandit = cls(state["methods"], state["classes"], state["materials"], alpha=state["alpha"])
        for method in bandit.methods:
            a, b = np.asarray(state["a"][method]), np.asarray(state["b"][method])
            if a.shape != bandit.a[method].shape or b.shape != bandit.b[method].shape:
                raise ValueError("bandit state does not match its methods and contexts")
            bandit.a[method], bandit.b[method] = a, b
        return bandit


# Contexts the bandit learns over. Materials are coarse families read from the catalogue's
# free-text materials field; anything unrecognised is "other".
TEXTURE_METHODS = ("gated", "telea", "ns", "biharmonic")
TEXTURE_CLASSES = ("crack", "loss", "corrosion")
GEOMETRY_CLASSES = ("hole",)
MATERIAL_FAMILIES = {
    "stone": (
        "stone",
        "marble",
        "granite",
        "limestone",
        "alabaster",
        "basalt",
        "sandstone",
        "jade",
    ),
    "metal": ("bronze", "copper", "iron", "silver", "gold", "brass", "metal", "steel", "lead"),
    "ceramic": ("ceramic", "terracotta", "porcelain", "earthenware", "stoneware", "clay", "glaze"),
    "organic": ("wood", "ivory", "bone", "textile", "silk", "linen", "leather", "paper", "shell"),
    "painting": ("oil", "canvas", "tempera", "panel", "fresco", "gesso", "paint", "watercolour"),
    "glass": ("glass", "enamel", "crystal"),
}
MATERIALS = (*MATERIAL_FAMILIES, "other")


def material_family(materials: str) -> str:
    """The first family whose keyword appears in a free-text materials field."""
    text = materials.lower()
    for family, words in MATERIAL_FAMILIES.items():
        if any(word in text for word in words):
            return family
    return "other"


@dataclass
class SimulatedCurator:
    """A hidden acceptance probability per (damage class, material, method), plus noise: the
    curator accepts with that probability."""

    acceptance: dict[tuple[str, str], dict[str, float]]
    seed: int = 0

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def best(self, damage_class: str, material: str) -> str:
        table = self.acceptance[(damage_class, material)]
        return max(table, key=table.__getitem__)

    def review(self, damage_class: str, material: str, method: str) -> float:
        return float(self.rng.random() < self.acceptance[(damage_class, material)][method])


def simulate_curator(
    bandit: MethodBandit | None,
    curator: SimulatedCurator,
    *,
    rounds: int,
    seed: int = 0,
    methods: Sequence[str] | None = None,
) -> dict:
    """Show `rounds` restorations in random contexts; the bandit (or, with None, a uniform random
    choice: the baseline) picks the method, the curator accepts or rejects. Returns the share of
    picks that were the curator's favourite, per tenth of the run, and the acceptance rate."""
    rng = np.random.default_rng(seed)
    contexts = list(curator.acceptance)
    options = list(methods or (bandit.methods if bandit else []))
    correct = np.zeros(rounds)
    accepted = np.zeros(rounds)
    for t in range(rounds):
        context = contexts[rng.integers(len(contexts))]
        random_pick = options[rng.integers(len(options))]
        method = random_pick if bandit is None else bandit.select(*context)
        reward = curator.review(*context, method)
        if bandit is not None:
            bandit.update(*context, method, reward)
        correct[t] = method == curator.best(*context)
        accepted[t] = reward
    tenths = np.array_split(correct, 10)
    return {
        "best_pick_rate_by_tenth": [round(float(part.mean()), 3) for part in tenths],
        "final_best_pick_rate": float(tenths[-1].mean()),
        "acceptance_rate": float(accepted.mean()),
    }
