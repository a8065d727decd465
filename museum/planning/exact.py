"""Exact OP by integer programming (HiGHS) with lazily added subtour elimination cuts.

Arc variables x_ij and visit variables y_i; maximise the prizes of visited nodes subject to one
path from start to end (a tour when they coincide), flow balance and the length budget. The MIP
is solved without subtour constraints; every cycle detached from the path found in the answer
gets generalised subtour elimination cuts, sum_{i,j in S} x_ij <= sum_{i in S} y_i - y_k for
each k in S, and the MIP is solved again until the answer is one path. For small instances.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import highspy
import numpy as np

from museum.planning.op import FEASIBILITY_TOL, OPInstance, route_length, route_score


@dataclass(frozen=True)
class ExactSolution:
    """Best route found; ``optimal`` when HiGHS proved it within the time limit."""

    route: list[int]
    score: float
    length: float
    seconds: float
    optimal: bool
    bound: float
    rounds: int


def solve_exact(
    instance: OPInstance, time_limit: float = 60.0, mip_gap: float = 1e-6
) -> ExactSolution:
    """Solve the OP to optimality (or the best proven-feasible route when time runs out)."""
    t0 = time.perf_counter()
    d, p, s, e = instance.dist, instance.prizes, instance.start, instance.end
    budget = instance.budget + FEASIBILITY_TOL * 0.5
    reach = d[s] + d[:, e] <= budget
    nodes = sorted({s, e} | set(np.flatnonzero(reach).tolist()))
    arcs = [
        (i, j)
        for i in nodes
        for j in nodes
        if i != j and j != s and i != e  # nothing enters the start or leaves the end
    ]
    if instance.closed:
        arcs = [(i, j) for i in nodes for j in nodes if i != j] + [(s, s)]  # (s, s): empty tour
    nx, ny = len(arcs), len(nodes)
    col_of = {v: nx + k for k, v in enumerate(nodes)}

    with _silenced_stdout():  # HiGHS prints a banner from C++ when constructed
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", mip_gap)
    h.setOptionValue("threads", 1)
    cost = np.concatenate([np.zeros(nx), [-p[v] for v in nodes]])
    lower = np.zeros(nx + ny)
    upper = np.ones(nx + ny)
    for v in {s, e}:
        lower[col_of[v]] = 1.0
    h.addVars(nx + ny, lower, upper)
    h.changeColsCost(nx + ny, np.arange(nx + ny, dtype=np.int32), cost)
    h.changeColsIntegrality(
        nx + ny,
        np.arange(nx + ny, dtype=np.int32),
        np.full(nx + ny, highspy.HighsVarType.kInteger),
    )

    def add_row(lo: float, hi: float, cols: list[int], vals: list[float]) -> None:
        h.addRow(lo, hi, len(cols), np.array(cols, np.int32), np.array(vals, float))

    out_arcs: dict[int, list[int]] = {v: [] for v in nodes}
    in_arcs: dict[int, list[int]] = {v: [] for v in nodes}
    for k, (i, j) in enumerate(arcs):
        out_arcs[i].append(k)
        in_arcs[j].append(k)
    for v in nodes:  # flow: in(v) = out(v) = y_v (start and end fixed to one arc)
        if v != s or instance.closed:
            add_row(0, 0, [*in_arcs[v], col_of[v]], [1.0] * len(in_arcs[v]) + [-1.0])
        if v != e or instance.closed:
            add_row(0, 0, [*out_arcs[v], col_of[v]], [1.0] * len(out_arcs[v]) + [-1.0])
    add_row(-np.inf, budget, list(range(nx)), [float(d[i, j]) for i, j in arcs])
    index = {arc: k for k, arc in enumerate(arcs)}
    for i in nodes:  # no 2-cycles away from the depot
        for j in nodes:
            if i < j and s not in (i, j) and e not in (i, j):
                add_row(-np.inf, 1, [index[i, j], index[j, i]], [1.0, 1.0])

    best_route, rounds, optimal, bound = [s, e], 0, False, float("inf")
    while True:
        remaining = time_limit - (time.perf_counter() - t0)
        if remaining <= 0:
            break
        h.setOptionValue("time_limit", remaining)
        h.run()
        rounds += 1
        status = h.getModelStatus()
        if h.getInfo().primal_solution_status != 2:  # no feasible answer
            break
        bound = -h.getInfo().mip_dual_bound
        x = np.asarray(h.getSolution().col_value[:nx])
        chosen = [arcs[k] for k in np.flatnonzero(x > 0.5)]
        route, cycles = _split(chosen, s, e)
        if route_score(instance, route) > route_score(instance, best_route):
            best_route = route
        if not cycles:
            optimal = status == highspy.HighsModelStatus.kOptimal
            break
        if status != highspy.HighsModelStatus.kOptimal:
            break
        for cycle in cycles:
            inside = [index[i, j] for i in cycle for j in cycle if i != j and (i, j) in index]
            for k in cycle:
                cols = inside + [col_of[v] for v in cycle if v != k]
                add_row(-np.inf, 0, cols, [1.0] * len(inside) + [-1.0] * (len(cycle) - 1))
    score = route_score(instance, best_route)
    bound = score if optimal else max(bound, score)
    return ExactSolution(
        best_route,
        score,
        route_length(instance, best_route),
        time.perf_counter() - t0,
        optimal,
        bound,
        rounds,
    )


@contextlib.contextmanager
def _silenced_stdout() -> Iterator[None]:
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _split(chosen: list[tuple[int, int]], s: int, e: int) -> tuple[list[int], list[list[int]]]:
    """The path from s along the chosen arcs, and the cycles that are detached from it."""
    succ = dict(chosen)
    route, v = [s], succ.get(s)
    while v is not None and v != e and v not in route:
        route.append(v)
        v = succ.get(v)
    route.append(e)
    on_path = set(route)
    cycles, seen = [], set(on_path)
    for start in succ:
        if start in seen:
            continue
        cycle, v = [], start
        while v not in seen:
            seen.add(v)
            cycle.append(v)
            v = succ[v]
        cycles.append(cycle)
    return route, cycles
