"""A fast OP heuristic: iterated local search with ruin-and-recreate perturbations.

Local search alternates a path-TSP improvement of the route (2-opt, or-opt with segments of one
to three nodes) that frees budget, greedy best-ratio insertion, and a replace move (swap one
visited node for an unvisited one of higher prize, or for an equal one that shortens the route).
Perturbations remove a random segment or random nodes, or add nodes past the budget and then
drop the worst ones. Each move is evaluated for all candidates at once with numpy.

Deterministic for a given seed whenever the run stops on ``max_iterations`` or ``patience``
rather than on ``time_limit``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from museum.planning.op import FEASIBILITY_TOL, OPInstance

EPS = 1e-9
ACCEPT_WORSE = 0.03  # chance to continue from a worse route
ADD_MAX = 20  # most nodes forced in past the budget by one perturbation
MODES = (0.25, 0.5)  # cumulative odds: remove a segment, remove random nodes, else add+drop


@dataclass(frozen=True)
class Solution:
    """A route from start to end with its score, its length and the solver's wall time."""

    route: list[int]
    score: float
    length: float
    seconds: float
    iterations: int = 0


class _Search:
    """The mutable state of one run: the instance's arrays and the route moves."""

    def __init__(self, instance: OPInstance, rng: np.random.Generator) -> None:
        self.d = instance.dist
        self.p = instance.prizes
        self.budget = instance.budget + FEASIBILITY_TOL * 0.5
        self.s, self.e = instance.start, instance.end
        self.symmetric = instance.symmetric
        self.rng = rng
        reach = self.d[self.s] + self.d[:, self.e] <= self.budget
        reach[[self.s, self.e]] = False
        self.candidates = np.flatnonzero(reach & (self.p > 0))
        self.base = float(self.p[self.s] + (self.p[self.e] if self.e != self.s else 0.0))

    # -- basic quantities -------------------------------------------------------------------
    def length(self, r: np.ndarray) -> float:
        return float(self.d[r[:-1], r[1:]].sum())

    def score(self, r: np.ndarray) -> float:
        return float(self.p[r[1:-1]].sum()) + self.base

    def unvisited(self, r: np.ndarray) -> np.ndarray:
        mask = np.zeros(len(self.p), dtype=bool)
        mask[r] = True
        return self.candidates[~mask[self.candidates]]

    # -- path-TSP improvement ---------------------------------------------------------------
    def two_opt(self, r: np.ndarray) -> np.ndarray:
        """Best-improvement 2-opt with fixed endpoints, until no reversal shortens the path."""
        while len(r) >= 4:
            dr = self.d[r[:, None], r[None, :]]
            e = np.diagonal(dr, 1)
            delta = dr[:-1, :-1] + dr[1:, 1:] - e[:, None] - e[None, :]
            delta = np.triu(delta, 2)
            k = int(delta.argmin())
            i, j = divmod(k, len(e))
            if delta[i, j] > -EPS:
                break
            r = np.concatenate([r[: i + 1], r[j:i:-1], r[j + 1 :]])
        return r

    def or_opt(self, r: np.ndarray) -> tuple[np.ndarray, bool]:
        """Apply the best move of a segment of 1-3 nodes elsewhere (reversed if shorter)."""
        m = len(r)
        dr = self.d[r[:, None], r[None, :]]
        e = np.diagonal(dr, 1)
        kidx = np.arange(m - 1)
        best_gain, best = -EPS, None
        for seg in (1, 2, 3):
            if m - 2 < seg:
                break
            i = np.arange(1, m - seg)  # segment r[i : i + seg]
            last = i + seg - 1
            saving = dr[i - 1, i] + dr[last, i + seg] - dr[i - 1, i + seg]
            ins = dr[:-1, i].T + dr[last, 1:] - e  # r[k] -> first ... last -> r[k + 1]
            if self.symmetric and seg > 1:
                ins = np.minimum(ins, dr[:-1, last].T + dr[i, 1:] - e)
            blocked = (kidx >= (i - 1)[:, None]) & (kidx <= last[:, None])
            ins[blocked] = np.inf
            gain = ins - saving[:, None]
            k = int(gain.argmin())
            row, col = divmod(k, m - 1)
            if gain[row, col] < best_gain:
                best_gain, best = gain[row, col], (int(i[row]), seg, col)
        if best is None:
            return r, False
        start, seg, k = best
        piece = r[start : start + seg]
        f, end = start, start + seg - 1
        if self.symmetric and dr[k, end] + dr[f, k + 1] < dr[k, f] + dr[end, k + 1]:
            piece = piece[::-1]
        rest = np.concatenate([r[:start], r[start + seg :]])
        pos = k + 1 if k < start else k + 1 - seg
        return np.concatenate([rest[:pos], piece, rest[pos:]]), True

    def tsp_improve(self, r: np.ndarray) -> np.ndarray:
        moved, rounds = True, 0
        while moved and rounds < 10_000:  # each round shortens the path; the cap is a guard
            rounds += 1
            if self.symmetric:
                r = self.two_opt(r)
            r, moved = self.or_opt(r)
        return r

    # -- prize moves -------------------------------------------------------------------------
    def insertion_costs(self, r: np.ndarray, u: np.ndarray) -> np.ndarray:
        """(edges x candidates) extra length of putting each u on each edge of r."""
        a, b = r[:-1], r[1:]
        return self.d[a[:, None], u] + self.d[u[None, :], b[:, None]] - self.d[a, b][:, None]

    def insert(
        self, r: np.ndarray, length: float, noise: float = 0.0, power: float = 1.0
    ) -> tuple[np.ndarray, float]:
        """Greedy best-ratio (prize^power / extra length) insertion while the budget allows."""
        u = self.unvisited(r)
        while len(u):
            cost = self.insertion_costs(r, u)
            pos = np.argmin(cost, axis=0)
            extra = cost[pos, np.arange(len(u))]
            ok = length + extra <= self.budget
            if not ok.any():
                break
            ratio = self.p[u] ** power / (np.maximum(extra, 0.0) + 1e-6)
            if noise:
                ratio = ratio * self.rng.uniform(1.0 - noise, 1.0 + noise, len(u))
            j = int(np.argmax(np.where(ok, ratio, -np.inf)))
            r = _put(r, int(pos[j]) + 1, u[j])
            length += float(extra[j])
            u = np.delete(u, j)
        return r, length

    def replace(self, r: np.ndarray, length: float) -> tuple[np.ndarray, float, bool]:
        """Best swap of a visited node for an unvisited one: more prize, or same and shorter."""
        u = self.unvisited(r)
        m = len(r)
        if m < 3 or not len(u):
            return r, length, False
        d = self.d
        cost = self.insertion_costs(r, u)  # (m-1, U)
        i = np.arange(1, m - 1)
        prev, v, nxt = r[i - 1], r[i], r[i + 1]
        saving = d[prev, v] + d[v, nxt] - d[prev, nxt]
        bridge = (
            d[prev[:, None], u] + d[u[None, :], nxt[:, None]] - d[prev, nxt][:, None]
        )  # (m-2, U)
        rows = np.arange(m - 1)
        blocked = (rows[None, :] == (i - 1)[:, None]) | (rows[None, :] == i[:, None])
        elsewhere = np.where(blocked[:, :, None], np.inf, cost[None, :, :])  # (m-2, m-1, U)
        where = np.argmin(elsewhere, axis=1)
        extra = np.take_along_axis(elsewhere, where[:, None, :], axis=1)[:, 0, :]
        use_bridge = bridge <= extra
        extra = np.where(use_bridge, bridge, extra)
        new_len = length - saving[:, None] + extra
        gain = self.p[u][None, :] - self.p[v][:, None]
        ok = (new_len <= self.budget) & ((gain > EPS) | ((gain > -EPS) & (new_len < length - 1e-7)))
        if not ok.any():
            return r, length, False
        top = gain[ok].max()
        k = int(np.argmin(np.where(ok & (gain >= top - EPS), new_len, np.inf)))
        row, col = divmod(k, len(u))
        node = int(u[col])
        if use_bridge[row, col]:
            r = r.copy()
            r[row + 1] = node
        else:
            edge = int(where[row, col])  # edge index in the original route
            r = _put(r, edge + 1, node)
            r = np.delete(r, row + 1 if edge > row else row + 2)
        return r, self.length(r), True

    def drop(self, r: np.ndarray, length: float) -> tuple[np.ndarray, float]:
        """Remove the nodes with the lowest prize per saved length until the route fits."""
        d = self.d
        while length > self.budget and len(r) > 2:
            prev, v, nxt = r[:-2], r[1:-1], r[2:]
            saving = d[prev, v] + d[v, nxt] - d[prev, nxt]
            j = int(np.argmin(self.p[v] / (np.maximum(saving, 0.0) + 1e-6)))
            r = np.delete(r, j + 1)
            length -= float(saving[j])
        return r, self.length(r)

    def local_search(self, r: np.ndarray) -> tuple[np.ndarray, float]:
        while True:
            r = self.tsp_improve(r)
            r, length = self.insert(r, self.length(r))
            r, length, moved = self.replace(r, length)
            if not moved:
                return r, length

    # -- perturbation ----------------------------------------------------------------------
    def perturb(self, r: np.ndarray, length: float) -> tuple[np.ndarray, float]:
        rng = self.rng
        inner = len(r) - 2
        mode = rng.random()
        if inner and mode < MODES[0]:
            k = int(rng.integers(1, max(2, inner // 3 + 1)))
            i = int(rng.integers(1, len(r) - k))
            r = np.concatenate([r[:i], r[i + k :]])
        elif inner and mode < MODES[1]:
            k = int(rng.integers(1, max(2, inner // 4 + 1)))
            drop = rng.choice(np.arange(1, len(r) - 1), size=min(k, inner), replace=False)
            r = np.delete(r, drop)
        else:
            u = self.unvisited(r)
            if len(u):
                k = int(rng.integers(1, min(len(u), ADD_MAX) + 1))
                for node in rng.choice(u, size=k, replace=False, p=self.p[u] / self.p[u].sum()):
                    cost = self.insertion_costs(r, np.array([node]))[:, 0]
                    r = _put(r, int(np.argmin(cost)) + 1, node)
                r = self.tsp_improve(r)
                r, length = self.drop(r, self.length(r))
                return r, length
        power = float(rng.choice([0.5, 1.0, 1.0, 2.0]))
        return self.insert(r, self.length(r), noise=0.3, power=power)

    def repair(self, route: Iterable[int]) -> np.ndarray:
        """Turn any node sequence into a feasible route: keep the first visit of each candidate
        node, in order, between start and end, then drop nodes until it fits."""
        allowed = set(self.candidates.tolist())
        seen: set[int] = set()
        inner = []
        for v in route:
            v = int(v)
            if v in allowed and v not in seen:
                seen.add(v)
                inner.append(v)
        r = np.array([self.s, *inner, self.e], dtype=np.int64)
        r, _ = self.drop(r, self.length(r))
        return r


def _put(r: np.ndarray, pos: int, node: int) -> np.ndarray:
    out = np.empty(len(r) + 1, dtype=r.dtype)
    out[:pos], out[pos], out[pos + 1 :] = r[:pos], node, r[pos:]
    return out


def _better(score: float, length: float, best_score: float, best_length: float) -> bool:
    return score > best_score + EPS or (score > best_score - EPS and length < best_length - 1e-9)


def solve(
    instance: OPInstance,
    time_limit: float = 0.9,
    seed: int = 0,
    initial_routes: Sequence[Sequence[int]] | None = None,
    max_iterations: int | None = None,
    patience: int | None = 2000,
    restart_every: int = 100,
    seeds_to_improve: int = 8,
    from_empty: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> Solution:
    """Iterated local search for the OP; returns the best feasible route found.

    When even the direct leg start -> end exceeds the budget, no route is feasible and
    ``[start, end]`` comes back (``op.is_feasible`` tells).

    ``initial_routes`` (e.g. sampled by the learned policy) are repaired to feasibility, and the
    best ``seeds_to_improve`` of them, together with the greedy construction, start the search.
    The search stops at ``time_limit`` seconds, after ``max_iterations`` perturbations, or after
    ``patience`` perturbations without a new best; the current route is reset to the best one
    every ``restart_every`` perturbations without improvement. ``from_empty=False`` skips the
    greedy construction when initial routes are given (it costs milliseconds at n = 100, most of
    a tight budget when a learned policy has already proposed better routes). ``clock`` measures
    the time limit (benchmarks on a shared machine pass ``time.process_time``: CPU seconds).
    """
    t0 = clock()
    rng = np.random.default_rng(seed)
    search = _Search(instance, rng)
    starts = [np.array([search.s, search.e], dtype=np.int64)]
    if initial_routes:
        seeded = [search.repair(route) for route in initial_routes]
        seeded.sort(key=lambda r: (-search.score(r), search.length(r)))
        starts.extend(seeded[:seeds_to_improve])
        if not from_empty:
            del starts[0]
    best, best_score, best_len = starts[0], -1.0, np.inf
    for r in starts:
        r, length = search.local_search(r)
        score = search.score(r)
        if _better(score, length, best_score, best_len):
            best, best_score, best_len = r, score, length
    cur, cur_score, cur_len = best, best_score, best_len
    iterations = stale = since_best = 0
    while len(search.candidates):
        if max_iterations is not None and iterations >= max_iterations:
            break
        if patience is not None and since_best >= patience:
            break
        if clock() - t0 >= time_limit:
            break
        iterations += 1
        r, length = search.perturb(cur, cur_len)
        r, length = search.local_search(r)
        score = search.score(r)
        if _better(score, length, best_score, best_len):
            best, best_score, best_len = r, score, length
            since_best = stale = 0
        else:
            since_best += 1
            stale += 1
        if score > cur_score - EPS or rng.random() < ACCEPT_WORSE:
            cur, cur_score, cur_len = r, score, length
        if stale >= restart_every:
            cur, cur_score, cur_len, stale = best, best_score, best_len, 0
    route = [int(v) for v in best]
    return Solution(route, best_score, best_len, clock() - t0, iterations)


def greedy(instance: OPInstance) -> Solution:
    """Baseline: best prize-per-extra-length insertion, no local search (Tsiligirides-like)."""
    t0 = time.perf_counter()
    search = _Search(instance, np.random.default_rng(0))
    r = np.array([search.s, search.e], dtype=np.int64)
    r, length = search.insert(r, search.length(r))
    return Solution([int(v) for v in r], search.score(r), length, time.perf_counter() - t0)
