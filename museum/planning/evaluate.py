"""Evaluate the learned OP policy on seeded held-out instances from Kool's distribution.

``python -m museum.planning.evaluate --n 20 --instances 200`` prints the mean objective of a greedy
insertion heuristic (measured in the same run), the policy decoded greedily and with 128 / 1280
samples, next to the published figures (Kool et al., ICLR 2019, Table 1) where they exist.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from museum.planning.learned import load_policy
from museum.planning.train import Batch, kool_instances

# Kool, van Hoof and Welling (ICLR 2019), Table 1, OP with distance prizes, closed tour.
PUBLISHED: dict[str, dict[int, float]] = {
    "Gurobi, exact": {20: 5.39},
    "Compass (genetic algorithm)": {20: 5.37, 50: 16.17, 100: 33.19},
    "Tsiligirides greedy": {20: 4.08, 50: 12.46, 100: 25.69},
    "attention model, greedy": {20: 5.19, 50: 15.64, 100: 31.62},
    "attention model, 1280 samples": {20: 5.30, 50: 16.07, 100: 32.68},
}
HELDOUT_SEED = 20190506


def greedy_insertion(
    dist: np.ndarray, prizes: np.ndarray, budget: float, start: int, end: int
) -> list[int]:
    """Insert the node with the best prize per added length, at its cheapest place."""
    route = [start, end]
    length = float(dist[start, end])
    free = np.ones(len(prizes), dtype=bool)
    free[[start, end]] = False
    while free.any():
        cand = np.flatnonzero(free)
        a, b = np.asarray(route[:-1]), np.asarray(route[1:])
        added = dist[np.ix_(a, cand)].T + dist[np.ix_(cand, b)] - dist[a, b][None, :]
        pos = added.argmin(axis=1)
        cost = added[np.arange(len(cand)), pos]
        fits = length + cost <= budget + 1e-9
        if not fits.any():
            break
        ratio = np.where(fits, prizes[cand] / np.maximum(cost, 1e-9), -np.inf)
        best = int(ratio.argmax())
        route.insert(int(pos[best]) + 1, int(cand[best]))
        length += float(cost[best])
        free[cand[best]] = False
    return route


def heldout(n: int, instances: int, *, closed: bool = True, seed: int = HELDOUT_SEED) -> Batch:
    """Seeded held-out instances (a stream separate from the training seeds)."""
    return kool_instances(
        instances, n, np.random.default_rng([seed, n, int(closed)]), closed=closed
    )


def _dist(coords: np.ndarray) -> np.ndarray:
    return np.linalg.norm(coords[:, :, None, :] - coords[:, None, :, :], axis=-1)


@torch.inference_mode()
def evaluate(
    n: int,
    instances: int = 200,
    *,
    samples: tuple[int, ...] = (128, 1280),
    closed: bool = True,
    policy: torch.nn.Module | None = None,
    seed: int = 0,
    chunk: int = 4,
    pomo: bool = True,
) -> dict[str, Any]:
    """Mean objective and time per method on ``instances`` held-out instances of size n."""
    batch = heldout(n, instances, closed=closed)
    dist = _dist(batch.coords)
    rows: dict[str, dict[str, float]] = {}
    t = time.perf_counter()
    ins = [
        greedy_insertion(dist[i], batch.prizes[i], batch.budget[i], 0, int(batch.end[i]))
        for i in range(instances)
    ]
    score = np.array([batch.prizes[i][list(set(r))].sum() for i, r in enumerate(ins)])
    rows["greedy insertion"] = {"mean": float(score.mean()), "seconds": time.perf_counter() - t}
    policy = policy if policy is not None else load_policy()
    dev = next(policy.parameters()).device
    inputs = batch.tensors(dev)
    inputs["dist"] = torch.as_tensor(dist, dtype=torch.float64, device=dev)
    t = time.perf_counter()
    greedy = policy(**inputs, decode="greedy").prize[:, 0].cpu().numpy()
    rows["attention, greedy"] = {"mean": float(greedy.mean()), "seconds": time.perf_counter() - t}
    gen = torch.Generator(device=dev).manual_seed(seed)
    for s in samples:
        t = time.perf_counter()
        best = []
        for lo in range(0, instances, chunk):
            part = {k: v[lo : lo + chunk] for k, v in inputs.items()}
            res = policy(**part, decode="sample", n_samples=s, generator=gen)
            best.append(res.prize.max(dim=1).values.cpu().numpy())
        value = np.concatenate(best)  # best of s samples, as in Kool's table (greedy not mixed in)
        rows[f"attention, {s} samples"] = {
            "mean": float(value.mean()),
            "seconds": time.perf_counter() - t,
        }
    if pomo:
        t = time.perf_counter()
        value = pomo_objective(policy, inputs, chunk=chunk)
        rows["attention, POMO: all starts x 8 augmentations, greedy"] = {
            "mean": float(value.mean()),
            "seconds": time.perf_counter() - t,
        }
    for row in rows.values():
        row["ms_per_instance"] = 1000 * row.pop("seconds") / instances
    return {"n": n, "instances": instances, "closed": closed, "rows": rows}


def pomo_objective(
    policy: torch.nn.Module, inputs: dict[str, torch.Tensor], *, chunk: int = 4
) -> np.ndarray:
    """Best greedy route over every forced first node (POMO's multi-start) and the 8 symmetries
    of the unit square (POMO's instance augmentation), per instance."""
    from museum.planning.gpu_train import augment

    count, n = inputs["prizes"].shape
    best = []
    for lo in range(0, count, chunk):
        part = {k: v[lo : lo + chunk] for k, v in inputs.items()}
        b = len(part["prizes"])
        rep = {k: v.repeat_interleave(8, dim=0) for k, v in part.items()}
        rep["coords"] = augment(rep["coords"], torch.arange(8).repeat(b))
        nodes = torch.arange(n)[None].expand(b * 8, -1)
        keep = (nodes != rep["start"][:, None]) & (nodes != rep["end"][:, None])
        first = nodes[keep].view(b * 8, -1)
        res = policy(**rep, decode="greedy", first=first)
        best.append(res.prize.view(b, -1).max(dim=1).values.cpu().numpy())
    return np.concatenate(best)


def format_table(results: list[dict[str, Any]]) -> str:
    """A Markdown table: measured rows, then the published ones, one column per size."""
    sizes = [r["n"] for r in results]
    head = "| method | " + " | ".join(f"n={n}" for n in sizes) + " | ms / instance |"
    lines = [head, "|---" * (len(sizes) + 2) + "|"]
    for name in results[0]["rows"]:
        vals = " | ".join(f"{r['rows'][name]['mean']:.2f}" for r in results)
        ms = " / ".join(f"{r['rows'][name]['ms_per_instance']:.0f}" for r in results)
        lines.append(f"| {name} (this run) | {vals} | {ms} |")
    if all(r["closed"] for r in results):
        for name, figures in PUBLISHED.items():
            vals = " | ".join(f"{figures[n]:.2f}" if n in figures else "-" for n in sizes)
            lines.append(f"| {name} (published) | {vals} | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="20", help="size(s), e.g. 20 or 20,50,100")
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--samples", default="128,1280")
    parser.add_argument("--open", action="store_true", help="start != end (a separate end node)")
    parser.add_argument("--weights", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.add_argument("--no-pomo", action="store_true", help="skip the POMO row")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    policy = load_policy(args.weights)
    samples = tuple(int(s) for s in args.samples.split(",") if s.strip())
    results = []
    for n in (int(v) for v in args.n.split(",")):
        res = evaluate(
            n,
            args.instances,
            samples=samples,
            closed=not args.open,
            policy=policy,
            seed=args.seed,
            pomo=not args.no_pomo,
        )
        results.append(res)
    print(format_table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
