"""Orienteering: the instance format, the independent feasibility checker, the exact integer
program and the heuristic (against brute force on tiny instances, against proven optima and
best-known scores on the classic sets when MOUSEION_DATA is set), and `manage.py plan_tour`."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from museum.planning.exact import solve_exact
from museum.planning.heuristic import greedy, solve
from museum.planning.op import (
    OPFormatError,
    OPInstance,
    is_feasible,
    load_op,
    parse_op,
    route_length,
    route_score,
    route_violations,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "op").glob("*.txt"))
DATA = Path(os.environ.get("MOUSEION_DATA", "/nonexistent"), "orienteering")
needs_data = pytest.mark.skipif(
    not (DATA / "best_known.csv").is_file(),
    reason="MOUSEION_DATA/orienteering not available (set MOUSEION_DATA to the data folder)",
)


def brute_force(instance: OPInstance) -> float:
    """Best score by dynamic programming over subsets (tiny instances only)."""
    d, s, e, budget = instance.dist, instance.start, instance.end, instance.budget + 1e-9
    inner = [v for v in range(instance.n) if v not in (s, e)]
    k = len(inner)
    base = instance.prizes[s] + (instance.prizes[e] if e != s else 0.0)
    best = 0.0 if d[s, e] <= budget else -np.inf
    reach = np.full((1 << k, k), np.inf)
    for j, v in enumerate(inner):
        reach[1 << j, j] = d[s, v]
    for mask in range(1, 1 << k):
        for j in range(k):
            here = reach[mask, j]
            if not np.isfinite(here) or here > budget:
                continue
            if here + d[inner[j], e] <= budget:
                best = max(best, sum(instance.prizes[inner[b]] for b in range(k) if mask >> b & 1))
            for b in range(k):
                if not mask >> b & 1:
                    nxt = mask | 1 << b
                    reach[nxt, b] = min(reach[nxt, b], here + d[inner[j], inner[b]])
    return best + base


def random_instance(n: int, seed: int, closed: bool = False) -> OPInstance:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(size=(n, 2))
    prizes = rng.integers(1, 10, size=n).astype(float)
    prizes[[0, 1]] = 0
    return OPInstance.from_coords(xy, prizes, 1.6, 0, 0 if closed else 1)


# -- format ----------------------------------------------------------------------------------
def test_parse_fixture() -> None:
    inst = load_op(FIXTURES[0])
    assert inst.n == len(FIXTURES[0].read_text().split("\n")) - 2
    assert (inst.start, inst.end, inst.closed, inst.symmetric) == (0, 1, False, True)
    assert inst.prizes[0] == inst.prizes[1] == 0
    assert inst.dist[0, 2] == pytest.approx(np.hypot(*(inst.coords[0] - inst.coords[2])))


def test_parse_tabs_spaces_crlf_blank_lines() -> None:
    inst = parse_op("5 1\r\n0 0 0\r\n\r\n3\t4\t0\r\n 1.5  0 10 \r\n")
    assert inst.budget == 5 and inst.n == 3
    assert inst.dist[0, 1] == 5.0 and list(inst.prizes) == [0, 0, 10]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("5\n0 0 0\n1 1 0\n", "Tmax P"),
        ("5 2\n0 0 0\n1 1 0\n", "single-route"),
        ("five 1\n0 0 0\n1 1 0\n", "not a number"),
        ("-1 1\n0 0 0\n1 1 0\n", "budget"),
        ("5 1\n0 0 0\n", "two points"),
        ("5 1\n0 0 0\n1 1 0\n2 2\n", "x y score"),
        ("5 1\n0 0 0\n1 1 0\n2 2 -3\n", "non-negative"),
        ("5 1\n0 0 0\n1 nan 0\n", "finite"),
    ],
)
def test_parse_rejects_malformed(text: str, message: str) -> None:
    with pytest.raises(OPFormatError, match=message):
        parse_op(text)


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(OPFormatError, match="cannot read"):
        load_op(tmp_path / "absent.txt")


def test_instance_validates_matrix() -> None:
    with pytest.raises(ValueError, match="distance matrix"):
        OPInstance(np.zeros((2, 3)), np.zeros(2), 1.0)
    with pytest.raises(ValueError, match="start and end"):
        OPInstance(np.zeros((2, 2)), np.zeros(2), 1.0, start=0, end=2)


# -- feasibility checker ---------------------------------------------------------------------
@pytest.fixture
def square() -> OPInstance:
    """Unit square: 0 (start) at (0,0), 1 (end) at (1,0), 2 at (0,1), 3 at (1,1); budget 3."""
    return OPInstance.from_coords([[0, 0], [1, 0], [0, 1], [1, 1]], [0, 0, 5, 7], 3.0)


def test_checker_accepts_and_measures(square: OPInstance) -> None:
    assert is_feasible(square, [0, 2, 3, 1])
    assert route_length(square, [0, 2, 3, 1]) == pytest.approx(3.0)
    assert route_score(square, [0, 2, 3, 1]) == 12
    assert is_feasible(square, [0, 1]) and route_score(square, [0, 1]) == 0


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        ([0, 3, 2, 1], "exceeds budget"),  # 1 + 1 + sqrt 2 > 3
        ([0, 2, 2, 1], "more than once"),
        ([0, 2, 0, 1], "more than once"),
        ([2, 3, 1], "starts at"),
        ([0, 2, 3], "ends at"),
        ([0, 9, 1], "out of range"),
        ([0], "at least"),
    ],
)
def test_checker_rejects(square: OPInstance, route: list[int], reason: str) -> None:
    assert not is_feasible(square, route)
    assert any(reason in problem for problem in route_violations(square, route))


def test_checker_tolerance_and_closed_tours(square: OPInstance) -> None:
    tight = OPInstance.from_coords(square.coords, square.prizes, 3.0 - 5e-10)
    assert is_feasible(tight, [0, 2, 3, 1])  # within 1e-9
    tighter = OPInstance.from_coords(square.coords, square.prizes, 3.0 - 1e-8)
    assert not is_feasible(tighter, [0, 2, 3, 1])
    tour = OPInstance.from_coords(square.coords, square.prizes, 4.0, start=0, end=0)
    assert is_feasible(tour, [0, 2, 3, 1, 0]) and is_feasible(tour, [0, 0])
    assert not is_feasible(tour, [0, 2, 3, 1])


# -- solvers on tiny instances ---------------------------------------------------------------
@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_exact_and_heuristic_match_brute_force(path: Path) -> None:
    inst = load_op(path)
    optimum = brute_force(inst)
    exact = solve_exact(inst, time_limit=30)
    assert exact.optimal and exact.score == pytest.approx(optimum)
    assert is_feasible(inst, exact.route)
    heur = solve(inst, time_limit=0.5, seed=1)
    assert heur.score == pytest.approx(optimum) and is_feasible(inst, heur.route)
    assert heur.length == pytest.approx(route_length(inst, heur.route))
    base = greedy(inst)
    assert is_feasible(inst, base.route) and base.score <= optimum


@pytest.mark.parametrize("closed", [False, True])
def test_random_tiny_instances(closed: bool) -> None:
    for seed in range(3):
        inst = random_instance(10, seed, closed)
        optimum = brute_force(inst)
        exact = solve_exact(inst, time_limit=30)
        heur = solve(inst, time_limit=0.3, seed=seed)
        assert exact.score == pytest.approx(optimum) and is_feasible(inst, exact.route)
        assert heur.score == pytest.approx(optimum) and is_feasible(inst, heur.route)
        if closed:
            assert heur.route[0] == heur.route[-1] == 0


def test_heuristic_is_deterministic_and_takes_seed_routes() -> None:
    inst = random_instance(40, 7)
    a = solve(inst, time_limit=30, seed=3, max_iterations=200)
    b = solve(inst, time_limit=30, seed=3, max_iterations=200)
    assert a.route == b.route and a.iterations == 200
    garbage = [[5, 5, 99, -1, 3], list(range(40)), [], [0, 1]]  # repeats, unknown, over budget
    seeded = solve(inst, time_limit=30, seed=3, max_iterations=50, initial_routes=garbage)
    assert is_feasible(inst, seeded.route)
    good = solve(inst, time_limit=0.1, seed=0, max_iterations=0, initial_routes=[a.route])
    assert good.score >= a.score - 1e-9  # a seeded optimum is kept


def test_heuristic_asymmetric_and_degenerate() -> None:
    rng = np.random.default_rng(0)
    dist = rng.uniform(1, 3, size=(12, 12))
    np.fill_diagonal(dist, 0)
    inst = OPInstance(dist, rng.integers(1, 5, 12).astype(float), 10.0, start=2, end=5)
    assert not inst.symmetric
    sol = solve(inst, time_limit=0.3)
    assert is_feasible(inst, sol.route) and sol.score == pytest.approx(brute_force(inst))
    assert solve_exact(inst).score == pytest.approx(sol.score)
    nothing = OPInstance(dist, np.ones(12), 0.5, start=2, end=5)  # even start-end is too far
    for result in (solve(nothing), solve_exact(nothing)):
        assert result.route == [2, 5] and not is_feasible(nothing, result.route)


# -- classic sets (MOUSEION_DATA) ------------------------------------------------------------
def best_known() -> dict[str, dict[str, str]]:
    with (DATA / "best_known.csv").open() as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


@needs_data
@pytest.mark.data
@pytest.mark.parametrize(
    "name",
    [
        "tsiligrides_problem1/tsiligirides_problem_1_budget_10.txt",
        "tsiligrides_problem1/tsiligirides_problem_1_budget_85.txt",
        "tsiligrides_problem3/tsiligirides_problem_3_budget_015.txt",
        "tsiligrides_problem3/tsiligirides_problem_3_budget_050.txt",
        "chao_set64-diamond/chao_set_64_1_20.txt",
    ],
)
def test_exact_proves_published_optimum(name: str) -> None:
    row = best_known()[name]
    assert row["status"] == "optimal"
    inst = load_op(DATA / name)
    result = solve_exact(inst, time_limit=120)
    assert result.optimal and result.score == float(row["best_score"])
    assert is_feasible(inst, result.route)


@needs_data
@pytest.mark.data
@pytest.mark.parametrize(
    "name",
    [
        "tsiligrides_problem1/tsiligirides_problem_1_budget_46.txt",
        "tsiligrides_problem2/tsiligirides_problem_2_budget_40.txt",
        "tsiligrides_problem3/tsiligirides_problem_3_budget_080.txt",
        "chao_set64-diamond/chao_set_64_1_45.txt",
        "chao_set64-diamond/chao_set_64_1_70.txt",
    ],
)
def test_heuristic_near_best_known(name: str) -> None:
    inst = load_op(DATA / name)
    sol = solve(inst, time_limit=0.9, seed=0)
    assert is_feasible(inst, sol.route)
    assert sol.score >= 0.98 * float(best_known()[name]["best_score"])
    assert sol.seconds < 1.5


# -- command ---------------------------------------------------------------------------------
def run_plan_tour(*args: str) -> dict:
    out = io.StringIO()
    call_command("plan_tour", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize("exact", [False, True])
def test_plan_tour_prints_json(exact: bool) -> None:
    path = FIXTURES[0]
    payload = run_plan_tour("--op-file", str(path), "--time-limit", "0.3", "--seed", "2",
                            *(["--exact"] if exact else []))  # fmt: skip
    assert {"score", "route", "length", "seconds"} <= payload.keys()
    inst = load_op(path)
    route = payload["route"]
    assert route[0] == 0 and route[-1] == 1 and is_feasible(inst, route)
    assert payload["score"] == route_score(inst, route) == brute_force(inst)
    assert payload["length"] == pytest.approx(route_length(inst, route))


def test_plan_tour_rejects_malformed_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("10 1\n0 0 0\nnot a point\n")
    with pytest.raises(CommandError, match="malformed OP file"):
        call_command("plan_tour", "--op-file", str(bad))
    done = subprocess.run(
        [sys.executable, "manage.py", "plan_tour", "--op-file", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "malformed" in done.stderr


def test_brute_force_sanity(square: OPInstance) -> None:
    """The reference itself: on the square both prizes fit (0-2-3-1 is exactly 3 long)."""
    assert brute_force(square) == 12
    assert brute_force(OPInstance.from_coords(square.coords, square.prizes, 2.5)) == 7
    assert brute_force(OPInstance.from_coords(square.coords, square.prizes, 2.4)) == 0
