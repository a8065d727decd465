"""The restoration planner: run candidate methods on each damaged region, score each with a
measured no-reference score, keep the best, and learn curators' preferences with a bandit.

Framework-free (numpy, trimesh, restoration.mesh). Scores are lower-is-better sums of terms that
need no ground truth; every candidate is returned with its terms so a curator sees why one won.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import trimesh

from museum.common.devices import resolve_device
from restoration.mesh.candidates import (
    DEFAULT_METHODS,
    GEOMETRY_METHODS,
    SEAM_DEGREES,
    Candidate,
    check_methods,
    hole_candidates,
    prepare,
    score_patch,
    umbrella_curvature,
)
from restoration.mesh.fill import apply_patches
from restoration.mesh.holes import HOLE, MeshRepairError, find_holes

# The candidates and their no-reference score live in the mesh core; re-exported here.
__all__ = [
    "DEFAULT_METHODS",
    "GEOMETRY_CLASSES",
    "GEOMETRY_METHODS",
    "MATERIALS",
    "MATERIAL_FAMILIES",
    "SEAM_DEGREES",
    "TEXTURE_CLASSES",
    "TEXTURE_METHODS",
    "Candidate",
    "MeshPlan",
    "MethodBandit",
    "RegionPlan",
    "SimulatedCurator",
    "material_family",
    "plan_mesh",
    "score_patch",
    "simulate_curator",
    "umbrella_curvature",
]


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
    methods: Sequence[str] = DEFAULT_METHODS,
    solver: str = "auto",
    device: str = "auto",
) -> MeshPlan:
    """For every hole of `mesh`, build a patch with each method, guard it and score it
    (restoration.mesh.candidates); a hole whose every candidate is refused stays open."""
    check_methods(methods)
    start = time.perf_counter()
    report = find_holes(mesh)
    holes = report.of_kind(HOLE)
    if not holes:
        raise MeshRepairError("no_holes", "No holes to restore.")
    shapes = prepare(mesh, report, methods)
    device = resolve_device(device)
    regions = [
        RegionPlan(index, hole_candidates(shapes, hole, methods, solver=solver, device=device))
        for index, hole in enumerate(holes)
    ]
    return MeshPlan(mesh, regions, shapes.fits, time.perf_counter() - start)


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
