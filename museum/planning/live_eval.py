"""Live re-routing, measured: routings on the same simulated days (same seeds), mean and spread.

    python3 -m museum.planning.live_eval --visitors 600 900 --seeds 0 1 2 3 4 \
        --routings aware replan learned [--weights W.npz] [--processes 2]

Framework-free. The museum and the day settings are simulate_day's (live.LIVE_DAY: log-normal
dwell, parties of 1-4); `learned` is live.NextStopPolicy with the given weights (default: the
committed ones). Seeds below 1,000,000 are never simulated by the trainer (live_train.py).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from museum.planning.building import room_times
from museum.planning.crowd import CROWD_PRICING
from museum.planning.day import Routing, random_museum, simulate_day, summarise
from museum.planning.live import LIVE_DAY, PLAN_PRICING, NextStopPolicy, load_weights
from museum.planning.planner import greedy_route, solve_problem

MUSEUM = {"rooms": 30, "passages": 60, "objects": 300, "seed": 2, "side": 5}


def search_route(problem: Any) -> list[int]:
    route, _, _ = solve_problem(problem, time_limit=0.02, use_policy=False)
    return route


def layout(museum: dict[str, int] | None = None) -> tuple[Any, Any]:
    """The benchmark museum (simulate_day's defaults; the trainer's)."""
    m = museum or MUSEUM
    return random_museum(m["rooms"], m["passages"], m["objects"], seed=m["seed"], side=m["side"])


def run_day(
    routing: Routing,
    visitors: int,
    seed: int,
    *,
    weights: dict[str, np.ndarray] | None = None,
    solver: str = "greedy",
    hours: float = 8.0,
    museum: dict[str, int] | None = None,
    temperature: float = 0.0,
) -> dict[str, Any]:
    """One day as simulate_day prints it; `temperature` > 0: learned visitors sample."""
    graph, objects = layout(museum)
    chooser = None
    if routing == "learned":
        chooser = NextStopPolicy(
            objects, room_times(graph), weights or load_weights(), sample=temperature > 0,
            temperature=temperature or 1.0, rng=np.random.default_rng([seed, 99]),
        )  # fmt: skip
    started = time.perf_counter()
    results = simulate_day(
        graph, objects, greedy_route if solver == "greedy" else search_route, routing=routing,
        visitors=visitors, hours=hours, entrance="r0", exit="r0", chooser=chooser, seed=seed,
        pricing=PLAN_PRICING if routing == "learned" else CROWD_PRICING, **LIVE_DAY,
    )  # fmt: skip
    day = summarise(routing, results)
    return {
        "routing": routing,
        "visitors": day.visitors,
        "seed": seed,
        "queue_minutes": round(day.total_queue_minutes, 2),
        "queue_minutes_per_visitor": round(day.queue_minutes, 3),
        "p95_wait_minutes": round(day.p95_wait_minutes, 3),
        "interest_per_visitor": round(day.interest, 4),
        "overran_share": round(day.overran_share, 4),
        "gave_up_share": round(day.gave_up_share, 4),
        "seconds": round(time.perf_counter() - started, 2),
    }


Task = tuple[Routing, int, int, dict[str, np.ndarray] | None, str, float]


def _task(args: Task) -> dict[str, Any]:
    routing, visitors, seed, weights, solver, temperature = args
    return run_day(routing, visitors, seed, weights=weights, solver=solver, temperature=temperature)


def evaluate(
    routings: Sequence[Routing],
    visitors: Sequence[int],
    seeds: Sequence[int],
    *,
    weights: dict[str, np.ndarray] | None = None,
    solver: str = "greedy",
    processes: int = 1,
    temperature: float = 0.0,
) -> list[dict[str, Any]]:
    tasks: list[Task] = [
        (r, n, s, weights, solver, temperature) for n in visitors for s in seeds for r in routings
    ]
    if processes <= 1:
        return [_task(t) for t in tasks]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        return pool.map(_task, tasks, chunksize=1)


def table(rows: Sequence[dict[str, Any]], reference: Sequence[str] = ("aware", "replan")) -> str:
    """Mean ± standard deviation over seeds per (visitors, routing), and the learned routing's
    paired ratios to the best reference routing (lowest mean queue) of the same visitors."""
    lines = [f"{'visitors':>8} {'routing':<8} {'seeds':>5} {'queue min (total)':>20} "
             f"{'p95 wait':>14} {'interest':>16} {'gave up':>15}"]  # fmt: skip
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["visitors"], row["routing"]), []).append(row)
    for (n, routing), days in sorted(groups.items()):
        q = np.array([d["queue_minutes"] for d in days])
        p = np.array([d["p95_wait_minutes"] for d in days])
        i = np.array([d["interest_per_visitor"] for d in days])
        g = np.array([d.get("gave_up_share", 0.0) for d in days])
        lines.append(
            f"{n:>8} {routing:<8} {len(days):>5} {q.mean():>11.1f} ± {q.std():>6.1f} "
            f"{p.mean():>6.2f} ± {p.std():>5.2f} {i.mean():>7.3f} ± {i.std():>6.3f} "
            f"{g.mean():>6.1%} ± {g.std():>5.1%}"
        )
    for n in sorted({n for n, _ in groups}):
        refs = [(r, groups[(n, r)]) for r in reference if (n, r) in groups]
        if (n, "learned") not in groups or not refs:
            continue
        best, base = min(refs, key=lambda item: np.mean([d["queue_minutes"] for d in item[1]]))
        by_seed = {d["seed"]: d for d in base}
        pairs = [(d, by_seed[d["seed"]]) for d in groups[(n, "learned")] if d["seed"] in by_seed]
        q = np.array([1 - a["queue_minutes"] / b["queue_minutes"] for a, b in pairs])
        i = np.array([a["interest_per_visitor"] / b["interest_per_visitor"] - 1 for a, b in pairs])
        lines.append(
            f"{n} visitors, learned vs {best} ({len(pairs)} paired days): queue {q.mean():.1%} "
            f"± {q.std():.1%} lower (worst day {q.min():.1%}), interest {i.mean():+.1%} "
            f"± {i.std():.1%} (worst day {i.min():+.1%})"
        )
    return "\n".join(lines)


def snapshot_weights(path: Path, index: int = -1) -> dict[str, np.ndarray]:
    """The weights of one snapshot of live_train.py's snapshots.pt (needs torch)."""
    import torch

    state = torch.load(path, map_location="cpu", weights_only=False)
    return {k: np.asarray(v, np.float32) for k, v in state["snapshots"][index]["weights"].items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", type=int, nargs="+", default=[600, 900])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--routings", nargs="+", default=["aware", "replan", "learned"])
    parser.add_argument(
        "--weights", type=Path, default=None,
        help="an .npz of live.py, or a trainer's snapshots.pt (see --snapshot)",
    )  # fmt: skip
    parser.add_argument("--snapshot", type=int, default=-1, help="which one of snapshots.pt")
    parser.add_argument("--temperature", type=float, default=0.0, help="> 0: learned samples")
    parser.add_argument("--solver", choices=["greedy", "search"], default="greedy")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None, help="write the rows here")
    args = parser.parse_args(argv)
    weights = None
    if args.weights and args.weights.suffix == ".pt":
        weights = snapshot_weights(args.weights, args.snapshot)
    elif args.weights:
        weights = load_weights(args.weights)
    rows = evaluate(
        args.routings, args.visitors, args.seeds, weights=weights, solver=args.solver,
        processes=args.processes, temperature=args.temperature,
    )  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print(table(rows))


if __name__ == "__main__":
    main()
