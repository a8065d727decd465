"""Ablation: what the learned policy adds to the search. `make bench`.

On seeded instances of Kool et al.'s distribution, the ILS heuristic alone against the same
heuristic seeded with routes sampled from the trained attention policy, under the SAME total
time per instance (policy sampling time is taken out of the search's budget). Tight budgets
show the difference best; MOUSEION_BENCH_ABLATION_N sets instances per size (default 50).
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from museum.planning.heuristic import solve
from museum.planning.op import is_feasible
from tests.bench.test_bench_op import SEED, kool_instance

torch = pytest.importorskip("torch")

N_PER_SIZE = int(os.environ.get("MOUSEION_BENCH_ABLATION_N", "50"))
BUDGETS_S = (0.15, 0.5)
SAMPLES = 128


def run_pair(instance, seconds: float) -> tuple[float, float, float]:
    from museum.planning.learned import propose_routes

    alone = solve(instance, time_limit=seconds, seed=0)
    start = time.perf_counter()
    routes = propose_routes(instance, n_samples=SAMPLES, top_k=8)
    sampling = time.perf_counter() - start
    seeded = solve(
        instance, time_limit=max(0.01, seconds - sampling), seed=0, initial_routes=routes
    )
    assert is_feasible(instance, alone.route) and is_feasible(instance, seeded.route)
    return alone.score, seeded.score, sampling


@pytest.mark.timeout(1800)
def test_bench_policy_ablation() -> None:
    torch.set_num_threads(1)
    print(f"\nAblation, {N_PER_SIZE} instances per size, {SAMPLES} policy samples, same time")
    print(f"{'n':>4} {'seconds':>8} {'search alone':>13} {'policy+search':>14} {'ratio':>7} "
          f"{'wins/ties/losses':>17} {'sampling s':>11}")  # fmt: skip
    for n in (20, 50, 100):
        for seconds in BUDGETS_S:
            rng = np.random.default_rng(SEED + n)
            alone, seeded, sampling = [], [], []
            for _ in range(N_PER_SIZE):
                a, s, t = run_pair(kool_instance(n, rng), seconds)
                alone.append(a), seeded.append(s), sampling.append(t)
            alone_arr, seeded_arr = np.array(alone), np.array(seeded)
            wins = int((seeded_arr > alone_arr + 1e-9).sum())
            losses = int((seeded_arr < alone_arr - 1e-9).sum())
            ties = N_PER_SIZE - wins - losses
            print(
                f"{n:>4} {seconds:>8.2f} {alone_arr.mean():>13.3f} {seeded_arr.mean():>14.3f} "
                f"{seeded_arr.mean() / alone_arr.mean():>7.3f} {wins:>7}/{ties}/{losses:<7} "
                f"{np.mean(sampling):>11.3f}"
            )
    assert alone and seeded
