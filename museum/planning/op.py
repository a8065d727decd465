"""The single-route Orienteering Problem (OP): instances, the classic text format, route checks.

A route is a list of node indices that starts at ``start`` and ends at ``end`` and visits every
other node at most once; a closed tour (``start == end``) is written ``[s, ..., s]``, the empty
one ``[s, s]``. Its score is the sum of the prizes of the distinct nodes it visits.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FEASIBILITY_TOL = 1e-9


class OPFormatError(ValueError):
    """A file or string that is not a valid OP instance."""


@dataclass(frozen=True, eq=False)
class OPInstance:
    """Distances (n x n, non-negative), prizes (n), a length budget and the two endpoints."""

    dist: np.ndarray
    prizes: np.ndarray
    budget: float
    start: int = 0
    end: int = 1
    coords: np.ndarray | None = None
    name: str = ""
    symmetric: bool = field(init=False)

    def __post_init__(self) -> None:
        dist = np.ascontiguousarray(self.dist, dtype=float)
        prizes = np.ascontiguousarray(self.prizes, dtype=float)
        n = len(prizes)
        if dist.shape != (n, n):
            raise ValueError(f"distance matrix is {dist.shape}, expected ({n}, {n})")
        if n == 0 or not (0 <= self.start < n and 0 <= self.end < n):
            raise ValueError("start and end must be node indices")
        if not np.all(np.isfinite(dist)) or np.any(dist < 0):
            raise ValueError("distances must be finite and non-negative")
        if not np.all(np.isfinite(prizes)) or not math.isfinite(self.budget):
            raise ValueError("prizes and budget must be finite")
        object.__setattr__(self, "dist", dist)
        object.__setattr__(self, "prizes", prizes)
        object.__setattr__(self, "budget", float(self.budget))
        object.__setattr__(self, "symmetric", bool(np.allclose(dist, dist.T)))

    @classmethod
    def from_coords(
        cls,
        coords: Sequence[Sequence[float]] | np.ndarray,
        prizes: Sequence[float] | np.ndarray,
        budget: float,
        start: int = 0,
        end: int = 1,
        name: str = "",
    ) -> OPInstance:
        """Euclidean instance (exact, unrounded distances) from points in the plane."""
        xy = np.asarray(coords, dtype=float).reshape(-1, 2)
        diff = xy[:, None, :] - xy[None, :, :]
        dist = np.sqrt((diff**2).sum(axis=-1))
        return cls(dist, np.asarray(prizes, float), budget, start, end, xy, name)

    @property
    def n(self) -> int:
        return len(self.prizes)

    @property
    def closed(self) -> bool:
        return self.start == self.end


def parse_op(text: str, name: str = "") -> OPInstance:
    """Parse the classic format: ``Tmax P`` then one ``x y score`` line per point.

    Point 1 is the start and point 2 the end (indices 0 and 1 here). Raises OPFormatError.
    """
    rows = [line.split() for line in text.splitlines() if line.strip()]
    if not rows:
        raise OPFormatError("empty file")
    try:
        head = [float(v) for v in rows[0]]
        points = [[float(v) for v in row] for row in rows[1:]]
    except ValueError as exc:
        raise OPFormatError(f"not a number: {exc}") from None
    if len(head) != 2:
        raise OPFormatError("first line must be 'Tmax P'")
    budget, routes = head
    if not math.isfinite(budget) or budget < 0:
        raise OPFormatError(f"budget must be a non-negative number, got {budget}")
    if routes != 1:
        raise OPFormatError(f"only single-route instances are supported (P = {routes:g})")
    if len(points) < 2:
        raise OPFormatError("need at least two points (start and end)")
    for number, row in enumerate(points, start=2):
        if len(row) != 3:
            raise OPFormatError(f"point line {number} must be 'x y score'")
    arr = np.asarray(points, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise OPFormatError("coordinates and scores must be finite")
    if np.any(arr[:, 2] < 0):
        raise OPFormatError("scores must be non-negative")
    return OPInstance.from_coords(arr[:, :2], arr[:, 2], budget, 0, 1, name)


def load_op(path: str | Path) -> OPInstance:
    """Read an instance file in the classic format (see parse_op)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OPFormatError(f"cannot read {path}: {exc}") from None
    return parse_op(text, name=path.stem)


def _leg(instance: OPInstance, a: int, b: int) -> float:
    if instance.coords is not None:
        (xa, ya), (xb, yb) = instance.coords[a], instance.coords[b]
        return math.hypot(xa - xb, ya - yb)
    return float(instance.dist[a, b])


def route_length(instance: OPInstance, route: Sequence[int]) -> float:
    """Length of the route, leg by leg (from the coordinates when the instance has them)."""
    return math.fsum(_leg(instance, int(a), int(b)) for a, b in itertools.pairwise(route))


def route_score(instance: OPInstance, route: Sequence[int]) -> float:
    """Sum of the prizes of the distinct nodes on the route."""
    return float(sum(instance.prizes[int(v)] for v in set(route)))


def route_violations(instance: OPInstance, route: Sequence[int]) -> list[str]:
    """Every reason the route is infeasible (an empty list when it is feasible)."""
    problems: list[str] = []
    nodes = list(route)
    if len(nodes) < 2:
        return ["a route needs at least the start and the end"]
    if any(isinstance(v, bool) or int(v) != v or not 0 <= int(v) < instance.n for v in nodes):
        return ["node index out of range"]
    nodes = [int(v) for v in nodes]
    if nodes[0] != instance.start:
        problems.append(f"starts at {nodes[0]}, not at {instance.start}")
    if nodes[-1] != instance.end:
        problems.append(f"ends at {nodes[-1]}, not at {instance.end}")
    inner = nodes[1:-1]
    repeats = len(inner) - len(set(inner))
    if repeats or instance.start in inner or instance.end in inner:
        problems.append("a node is visited more than once")
    if not instance.closed and nodes[0] == nodes[-1]:
        problems.append("start and end differ but the route is closed")
    length = route_length(instance, nodes)
    if length > instance.budget + FEASIBILITY_TOL:
        problems.append(f"length {length:.6f} exceeds budget {instance.budget:g}")
    return problems


def is_feasible(instance: OPInstance, route: Sequence[int]) -> bool:
    """True when the route starts at start, ends at end, repeats nothing and fits the budget."""
    return not route_violations(instance, route)
