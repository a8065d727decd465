"""Choose the OP policy among a training run's snapshots, export it, and time policy+search.

``python -m museum.planning.policy_eval select --snapshots RUN/snapshots.pt --out WEIGHTS``
scores every snapshot (and the weights in place now) on VALIDATION instances only: Kool's random
OP at n = 50 and 100 and visits of a seeded 119-room museum (another seed than the benchmark's),
as the policy's best multi-start greedy route relative to greedy insertion on the same
instance; the best snapshot is written to WEIGHTS with its provenance.

``python -m museum.planning.policy_eval compare --split val|bench`` prints search alone against
policy+search at equal CPU-time budgets (the benchmark, tests/bench/test_bench_op_fast.py, runs
the same function on its own seeds).

Seeds: validation uses ``VAL_SEED`` streams; the test instances of ``evaluate`` use
``evaluate.HELDOUT_SEED``; the benchmark uses ``BENCH_SEED``. No stream is reused across them.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from museum.common.registry import write_checkpoint
from museum.planning import fast_policy, heuristic
from museum.planning.building import ObjectRecord, room_times, visit_problem
from museum.planning.day import random_museum
from museum.planning.evaluate import greedy_insertion
from museum.planning.op import OPInstance, is_feasible
from museum.planning.policy import build_policy
from museum.planning.train import kool_budget

VAL_SEED = 5150
BENCH_SEED = 7070
KOOL_SIZES = (50, 100)
VISIT_MINUTES = (30, 60, 120)
# The policy+search configuration in use (configured()), chosen on validation (model card).
DEPLOYED = "16x1g"


@dataclass(frozen=True)
class Case:
    """One instance to plan, with room coordinates for museum visits (else None)."""

    name: str
    instance: OPInstance
    coords: np.ndarray | None = None


def kool_cases(n: int, count: int, seed: int) -> list[Case]:
    """Kool's distribution, closed tour, distance prizes (as tests/bench/test_bench_op.py)."""
    rng = np.random.default_rng([seed, n])
    cases = []
    for i in range(count):
        xy = rng.uniform(size=(n + 1, 2))
        d = np.linalg.norm(xy[1:] - xy[0], axis=1)
        prizes = np.concatenate([[0.0], (1 + np.floor(99 * d / d.max())) / 100])
        inst = OPInstance.from_coords(xy, prizes, kool_budget(n), start=0, end=0)
        cases.append(Case(f"kool{n}-{i}", inst))
    return cases


def museum_cases(count: int, seed: int) -> list[Case]:
    """Visits of a seeded 119-room, ~300-passage, 1,800-object museum (the benchmark's size),
    each with its own taste (lognormal weights on the objects' interest) and length."""
    graph, objects = random_museum(119, 300, 1800, seed=seed)
    times = room_times(graph)
    rng = np.random.default_rng([seed, 1])
    cases = []
    for i in range(count):
        minutes = VISIT_MINUTES[i % len(VISIT_MINUTES)]
        taste = rng.lognormal(0.0, 0.5, size=len(objects))
        visitor = [
            ObjectRecord(o.id, o.room, o.dwell_seconds, o.interest * t)
            for o, t in zip(objects, taste, strict=True)
        ]
        p = visit_problem(graph, visitor, minutes=minutes, entrance="r0", exit="r118", times=times)
        inst = OPInstance(p.matrix, p.prizes, p.budget, p.start, p.end)
        cases.append(Case(f"museum{minutes}-{i}", inst, p.coords))
    return cases


def validation_cases(per_size: int = 32, museum: int = 6) -> dict[str, list[Case]]:
    out = {f"kool{n}": kool_cases(n, per_size, VAL_SEED) for n in KOOL_SIZES}
    out["museum"] = museum_cases(museum, VAL_SEED)
    return out


def _score(inst: OPInstance, route: list[int]) -> float:
    assert is_feasible(inst, route), "an infeasible route"
    return float(inst.prizes[list(set(route))].sum())


def insertion_score(case: Case) -> float:
    i = case.instance
    return _score(i, greedy_insertion(i.dist, i.prizes, i.budget, i.start, i.end))


def policy_quality(
    policy: torch.nn.Module, cases: list[Case], *, starts: int = 8, augmentations: int = 1
) -> float:
    """Mean ratio of the policy's best multi-start greedy route to greedy insertion."""
    ratios = []
    for case in cases:
        routes = fast_policy.policy_routes(
            case.instance, starts=starts, augmentations=augmentations, coords=case.coords,
            policy=policy, top_k=1,
        )  # fmt: skip
        base = insertion_score(case)
        ratios.append((_score(case.instance, routes[0]) if routes else 0.0) / max(base, 1e-9))
    return float(np.mean(ratios))


def policy_from(state: dict[str, Any], config: dict[str, Any]) -> torch.nn.Module:
    policy = build_policy("op_attention", **config)
    policy.load_state_dict(state)
    return policy.eval()


def select(snapshots: Path, out: Path | None, current: torch.nn.Module | None) -> dict[str, Any]:
    """Score each snapshot on validation; export the best one to ``out``."""
    run = torch.load(snapshots, map_location="cpu", weights_only=True)
    cases = validation_cases()
    rows = []
    candidates: list[tuple[str, torch.nn.Module, dict[str, Any]]] = []
    if current is not None:
        candidates.append(("weights in place", current, {}))
    for k, snap in enumerate(run["snapshots"]):
        meta = {key: snap[key] for key in ("steps", "samples", "wall_s", "val")}
        candidates.append((f"snapshot {k}", policy_from(snap["state_dict"], run["config"]), meta))
    for name, policy, meta in candidates:
        scores = {key: policy_quality(policy, group) for key, group in cases.items()}
        scores["mean"] = float(np.mean(list(scores.values())))
        rows.append({"name": name, **meta, **scores})
        print(f"{name:18} steps {meta.get('steps', '-'):>6} "
              + " ".join(f"{k} {v:.4f}" for k, v in scores.items()), flush=True)  # fmt: skip
    best = max(range(len(rows)), key=lambda i: rows[i]["mean"])
    print(f"chosen on validation: {rows[best]['name']}")
    if out is not None and candidates[best][2]:
        name, policy, meta = candidates[best]
        state = {k: v.detach().cpu() for k, v in policy.state_dict().items()}
        payload = {"name": "op_attention", "config": run["config"], "state_dict": state,
                   "meta": {"snapshot": name, **meta, "trainer": run.get("args", {})}}  # fmt: skip
        write_checkpoint(payload, out)
        print(f"wrote {out}")
    return {"rows": rows, "chosen": rows[best]["name"]}


Solver = Callable[[Case, float, int], heuristic.Solution]


def search_alone(case: Case, seconds: float, seed: int) -> heuristic.Solution:
    return heuristic.solve(case.instance, time_limit=seconds, seed=seed, clock=time.process_time)


def policy_search(
    case: Case,
    seconds: float,
    seed: int,
    *,
    starts: int = 8,
    augmentations: int = 1,
    with_greedy: bool = True,
) -> heuristic.Solution:
    return fast_policy.plan(
        case.instance, time_limit=seconds, seed=seed, starts=starts,
        augmentations=augmentations, coords=case.coords, with_greedy=with_greedy,
        clock=time.process_time,
    ).solution  # fmt: skip


def configured(spec: str) -> Solver:
    """``"8x1"``: 8 starts, 1 augmentation; a trailing ``g`` adds the greedy route as a seed."""
    starts, augmentations = (int(v) for v in spec.rstrip("g").split("x"))

    def solve(case: Case, seconds: float, seed: int) -> heuristic.Solution:
        return policy_search(case, seconds, seed, starts=starts, augmentations=augmentations,
                             with_greedy=spec.endswith("g"))  # fmt: skip

    return solve


def compare(
    cases: list[Case], seconds: float, seeds: tuple[int, ...], solvers: dict[str, Solver]
) -> dict[str, dict[str, Any]]:
    """Per solver: per-seed mean score over the cases, their mean and spread, CPU times.

    Budgets are CPU seconds of this process (``time.process_time``): the benchmark machine is
    shared, and wall-clock budgets there measure the neighbours' load. After the first learned
    solver, "search, same time" runs the search alone for exactly the CPU time that solver
    used on that case (its local search may overrun the budget, as the search's own does).
    """
    out: dict[str, dict[str, Any]] = {}
    names = list(solvers)
    learned = next((n for n in names if n != "search"), None)
    if learned is not None:
        names.append("search, same time")
    scores: dict[str, list[list[float]]] = {n: [] for n in names}
    used: dict[str, list[float]] = {n: [] for n in names}
    for seed in seeds:
        per: dict[str, list[float]] = {n: [] for n in names}
        for case in cases:
            spent_learned = seconds
            for name in names:
                solve: Solver
                if name == "search, same time":
                    solve, budget = search_alone, max(spent_learned, seconds)
                else:
                    solve, budget = solvers[name], seconds
                t0 = time.process_time()
                sol = solve(case, budget, seed)
                spent = time.process_time() - t0
                if name == learned:
                    spent_learned = spent
                used[name].append(spent)
                per[name].append(_score(case.instance, sol.route))
        for name in names:
            scores[name].append(per[name])
    for name in names:
        per_seed = [float(np.mean(v)) for v in scores[name]]
        out[name] = {
            "mean": float(np.mean(per_seed)),
            "std": float(np.std(per_seed)),
            "per_seed": per_seed,
            "cpu_ms_mean": 1000 * float(np.mean(used[name])),
            "cpu_ms_p95": 1000 * float(np.percentile(used[name], 95)),
        }
    return out


def format_row(seconds: float, group: str, name: str, r: dict[str, Any], base: float) -> str:
    return (
        f"{seconds * 1000:5.0f} ms {group:7} {name:24} {r['mean']:9.4f} ±{r['std']:.4f} "
        f"ratio {r['mean'] / base:.4f} cpu {r['cpu_ms_mean']:.1f} ms (p95 {r['cpu_ms_p95']:.1f})"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sel = sub.add_parser("select")
    sel.add_argument("--snapshots", required=True)
    sel.add_argument("--out", default=None)
    cmp_ = sub.add_parser("compare")
    cmp_.add_argument("--split", choices=("val", "bench"), default="val")
    cmp_.add_argument("--seconds", default="0.02,0.2")
    cmp_.add_argument("--count", type=int, default=20)
    cmp_.add_argument("--seeds", default="0,1,2")
    cmp_.add_argument("--configs", default="8x1", help="starts x augmentations[g], e.g. 8x1,16x2g")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    if args.cmd == "select":
        from museum.planning.learned import load_policy

        select(
            Path(args.snapshots), Path(args.out) if args.out else None, load_policy(device="cpu")
        )
        return
    seed = VAL_SEED if args.split == "val" else BENCH_SEED
    groups = {f"n={n}": kool_cases(n, args.count, seed + 1) for n in KOOL_SIZES}
    groups["museum"] = museum_cases(max(3, args.count // 4), seed + 1)
    solvers: dict[str, Solver] = {"search": search_alone}
    for cfg in args.configs.split(","):
        solvers[f"policy+search {cfg}"] = configured(cfg)
    fast_policy.decoder()
    seeds = tuple(int(v) for v in args.seeds.split(","))
    for seconds in (float(v) for v in args.seconds.split(",")):
        for group, cases in groups.items():
            res = compare(cases, seconds, seeds, solvers)
            base = res["search"]["mean"]
            for name, r in res.items():
                print(format_row(seconds, group, name, r, base), flush=True)


if __name__ == "__main__":
    main()
