"""The restoration planner: run candidate methods on each damaged region, score each with a
measured no-reference score and keep the best (curators' preferences between methods are learnt
by method_bandit.MethodBandit).

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
from restoration.mesh.errors import MeshRepairError
from restoration.mesh.fill import apply_patches
from restoration.mesh.holes import HOLE, find_holes
from restoration.restore.method_bandit import MethodBandit

# The candidates and their no-reference score live in the mesh core; re-exported here.
__all__ = [
    "DEFAULT_METHODS",
    "GEOMETRY_METHODS",
    "SEAM_DEGREES",
    "Candidate",
    "MeshPlan",
    "RegionPlan",
    "plan_mesh",
    "score_patch",
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
