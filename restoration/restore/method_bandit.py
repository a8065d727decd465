"""Curators' preferences between restoration methods, learnt with a contextual bandit
(disjoint LinUCB over damage class and material family), and a simulated curator to measure it.

Framework-free (numpy only: web processes load it, through restore.preferences, without the mesh
core and its trimesh). The state is stored in restore.models.MethodPreference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


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

    def with_methods(self, methods: Sequence[str]) -> MethodBandit:
        """The same learning over another set of methods: arms of methods still offered keep
        what curators taught them, new methods start fresh, dropped ones are forgotten."""
        bandit = MethodBandit(methods, self.classes, self.materials, alpha=self.alpha)
        for method in bandit.methods:
            if method in self.a:
                bandit.a[method], bandit.b[method] = self.a[method].copy(), self.b[method].copy()
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
