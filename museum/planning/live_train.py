"""Train the live next-stop policy (live.py) by PPO in the simulated day, with a greedy-rollout
baseline: each round simulates days on training seeds twice, once with every visitor *sampling*
its next stops from the shared policy and once with every visitor taking the policy's best stop
(same arrivals, tastes, parties and dwell draws: each visitor has its own seeded generator). A
visitor's advantage is its return (interest collected - wait weight x minutes waited) in the
sampled day minus its return in the greedy one; every decision of that visitor gets it.

    python3 -m museum.planning.live_train --out OUT --minutes 8 --workers 4 [--device cuda]

Framework-free (no Django): runs where simpy, numpy and torch are. Writes only OUT/snapshots.pt
(several snapshots of the weights, the optimizer state for resuming; replaced atomically every
round) and OUT/log.txt; starting again with the same OUT resumes from its last state. Day seeds
for training are TRAIN_SEED0 + k (k counts days over all runs): the evaluation seeds (0-999)
are never simulated here.
"""

from __future__ import annotations

import time

PROCESS_START = time.monotonic()  # the time limit counts the imports (torch) too
# ruff: noqa: E402

import argparse
import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from museum.planning.building import room_times
from museum.planning.day import random_museum, simulate_day
from museum.planning.live import (
    FEATURES,
    HIDDEN,
    LIVE_DAY,
    MAX_CANDIDATES,
    PLAN_PRICING,
    NextStopPolicy,
)
from museum.planning.live import initial_weights as numpy_initial_weights
from museum.planning.planner import greedy_route

TRAIN_SEED0 = 1_000_000
WAIT_WEIGHT = 0.5  # interest per minute waited (--wait-weight)
MUSEUM = {"rooms": 30, "passages": 60, "objects": 300, "seed": 2, "side": 5}  # simulate_day's
SNAPSHOT_SECONDS = 60.0


class Policy(nn.Module):
    """live.logits in torch: prior · x + MLP(x)."""

    def __init__(self) -> None:
        super().__init__()
        self.prior = nn.Parameter(torch.zeros(len(FEATURES)))
        self.w1 = nn.Linear(len(FEATURES), HIDDEN)
        self.w2 = nn.Linear(HIDDEN, HIDDEN)
        self.w3 = nn.Linear(HIDDEN, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = torch.tanh(self.w2(torch.tanh(self.w1(x))))
        return x @ self.prior + self.w3(hidden).squeeze(-1)

    def load_numpy(self, w: dict[str, np.ndarray]) -> None:
        with torch.no_grad():
            self.prior.copy_(torch.as_tensor(w["prior"]))
            for layer, k in ((self.w1, "1"), (self.w2, "2")):
                layer.weight.copy_(torch.as_tensor(w[f"w{k}"]).T)
                layer.bias.copy_(torch.as_tensor(w[f"b{k}"]))
            self.w3.weight.copy_(torch.as_tensor(w["w3"])[None, :])
            self.w3.bias.copy_(torch.as_tensor(w["b3"]))

    def to_numpy(self) -> dict[str, np.ndarray]:
        def get(t: torch.Tensor) -> np.ndarray:
            return t.detach().float().cpu().numpy().copy()

        return {
            "prior": get(self.prior),
            "w1": get(self.w1.weight).T.copy(),
            "b1": get(self.w1.bias),
            "w2": get(self.w2.weight).T.copy(),
            "b2": get(self.w2.bias),
            "w3": get(self.w3.weight)[0],
            "b3": get(self.w3.bias),
        }


_MUSEUM: Any = None


def _museum() -> Any:
    global _MUSEUM
    if _MUSEUM is None:
        graph, objects = random_museum(
            MUSEUM["rooms"], MUSEUM["passages"], MUSEUM["objects"], seed=MUSEUM["seed"],
            side=MUSEUM["side"],
        )  # fmt: skip
        _MUSEUM = (graph, objects, room_times(graph))
    return _MUSEUM


def rollout(task: tuple[dict[str, np.ndarray], int, int, float, bool, float]) -> dict[str, Any]:
    """One day with every visitor on the policy (sampling or greedy): returns per visitor and,
    when sampling, the decisions (features padded to MAX_CANDIDATES, mask, choice, visitor)."""
    weights, seed, visitors, hours, sample, wait_weight = task
    graph, objects, times = _museum()
    record: list[tuple[int, np.ndarray, int]] = []
    policy = NextStopPolicy(
        objects, times, weights, sample=sample, rng=np.random.default_rng([seed, 7]),
        record=record if sample else None,
    )  # fmt: skip
    results = simulate_day(
        graph, objects, greedy_route, routing="learned", visitors=visitors, hours=hours,
        entrance="r0", exit="r0", chooser=policy, seed=seed, pricing=PLAN_PRICING,
        **LIVE_DAY,
    )  # fmt: skip
    returns = np.zeros(visitors)
    queue = interest = 0.0
    for r in results:
        returns[r.index] = r.interest - wait_weight * r.queue_seconds / 60
        queue += r.queue_seconds / 60
        interest += r.interest
    out: dict[str, Any] = {"returns": returns, "queue": queue, "interest": interest / visitors}
    if sample:
        n = len(record)
        feats = np.zeros((n, MAX_CANDIDATES, len(FEATURES)), np.float32)
        mask = np.zeros((n, MAX_CANDIDATES), bool)
        for i, (_, f, _) in enumerate(record):
            feats[i, : len(f)] = f
            mask[i, : len(f)] = True
        out |= {
            "features": feats,
            "mask": mask,
            "choice": np.array([c for _, _, c in record], np.int64),
            "visitor": np.array([v for v, _, _ in record], np.int64),
        }
    return out


def save(out: Path, state: dict[str, Any]) -> None:
    """Atomically replace OUT/snapshots.pt (written under /tmp, then moved)."""
    with tempfile.NamedTemporaryFile(dir="/tmp", suffix=".pt", delete=False) as tmp:
        torch.save(state, tmp.name)
    shutil.move(tmp.name, out / "snapshots.pt")


def ppo_update(
    policy: Policy, optimiser: torch.optim.Optimizer, batch: dict[str, torch.Tensor],
    *, epochs: int = 4, minibatches: int = 4, clip: float = 0.2, entropy: float = 0.003,
) -> float:  # fmt: skip
    """PPO's clipped objective on one round's decisions; returns the last loss."""
    x, mask, choice, adv = batch["features"], batch["mask"], batch["choice"], batch["advantage"]
    with torch.no_grad():
        old = torch.log_softmax(policy(x).masked_fill(~mask, -1e9), -1)
        old = old.gather(1, choice[:, None]).squeeze(1)
    n = len(choice)
    loss = torch.zeros(())
    for _ in range(epochs):
        for part in torch.randperm(n, device=x.device).chunk(minibatches):
            logp_all = torch.log_softmax(policy(x[part]).masked_fill(~mask[part], -1e9), -1)
            logp = logp_all.gather(1, choice[part, None]).squeeze(1)
            ratio = torch.exp(logp - old[part])
            a = adv[part]
            surrogate = torch.min(ratio * a, ratio.clamp(1 - clip, 1 + clip) * a)
            ent = -(logp_all.exp() * logp_all).masked_fill(~mask[part], 0).sum(-1)
            loss = -(surrogate.mean() + entropy * ent.mean())
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
            optimiser.step()
    return float(loss.detach())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=8.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--visitors", type=int, nargs=2, default=(500, 1000), help="per 8 hours (density)"
    )
    parser.add_argument("--hours", type=float, default=4.0, help="of a simulated day")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument(
        "--wait-weight", type=float, default=WAIT_WEIGHT, help="interest one minute waited costs"
    )
    args = parser.parse_args(argv)
    started = PROCESS_START
    deadline = started + args.minutes * 60
    args.out.mkdir(parents=True, exist_ok=True)
    device = torch.device(args.device)
    torch.set_num_threads(1)
    policy = Policy().to(device)
    policy.load_numpy(numpy_initial_weights())
    optimiser = torch.optim.Adam(policy.parameters(), lr=args.lr)
    state: dict[str, Any] = {"snapshots": [], "days": 0, "steps": 0, "samples": 0, "wall": 0.0}
    if (args.out / "snapshots.pt").exists():
        state = torch.load(args.out / "snapshots.pt", map_location="cpu", weights_only=False)
        policy.load_numpy(state["latest"]["weights"])
        optimiser.load_state_dict(state["latest"]["optimizer"])
    wall0 = state["wall"]
    log = (args.out / "log.txt").open("a", buffering=1)
    log.write(f"start: days {state['days']} steps {state['steps']} device {device} "
              f"workers {args.workers} minutes {args.minutes} "
              f"wait weight {args.wait_weight}\n")  # fmt: skip
    rng = np.random.default_rng([TRAIN_SEED0, state["days"]])
    state["latest"] = state.get("latest") or {
        "days": 0, "steps": 0, "samples": 0, "wall": 0.0, "weights": policy.to_numpy(),
        "optimizer": optimiser.state_dict(),
    }  # fmt: skip
    save(args.out, state)  # a valid file from the first second
    last_snapshot = -SNAPSHOT_SECONDS
    round_seconds = 0.0
    pairs = max(args.workers // 2, 1)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"  # one core per simulating worker
    context = multiprocessing.get_context("spawn")
    with context.Pool(args.workers) as pool:
        while time.monotonic() + round_seconds < deadline:
            t0 = time.monotonic()
            weights = policy.to_numpy()
            seeds = [TRAIN_SEED0 + state["days"] + k for k in range(pairs)]
            per_8h = [int(rng.integers(args.visitors[0], args.visitors[1] + 1)) for _ in seeds]
            sizes = [max(round(n * args.hours / 8), 1) for n in per_8h]
            tasks = [(weights, s, n, args.hours, flag, args.wait_weight)
                     for s, n in zip(seeds, sizes, strict=True)
                     for flag in (True, False)]  # fmt: skip
            pending = pool.map_async(rollout, tasks)
            pending.wait(max(deadline - time.monotonic(), 0.0))
            if not pending.ready():  # out of time: this round is dropped, the last state stays
                log.write("time is up during a round: its days are dropped\n")
                pool.terminate()
                break
            days = pending.get()
            state["days"] += pairs
            parts: dict[str, list[np.ndarray]] = {k: [] for k in ("features", "mask", "choice")}
            advantages = []
            for sampled, greedy in zip(days[::2], days[1::2], strict=True):
                adv = sampled["returns"] - greedy["returns"]
                advantages.append(adv[sampled["visitor"]])
                for k in parts:
                    parts[k].append(sampled[k])
            adv = np.concatenate(advantages)
            adv = (adv - adv.mean()) / (adv.std() + 1e-6)
            batch = {k: torch.as_tensor(np.concatenate(v), device=device) for k, v in parts.items()}
            batch["advantage"] = torch.as_tensor(adv, dtype=torch.float32, device=device)
            loss = ppo_update(policy, optimiser, batch)
            state["steps"] += 16
            state["samples"] += len(adv)
            state["wall"] = wall0 + time.monotonic() - started
            greedy_q = np.mean([d["queue"] / n for d, n in zip(days[1::2], sizes, strict=True)])
            greedy_i = np.mean([d["interest"] for d in days[1::2]])
            sampled_q = np.mean([d["queue"] / n for d, n in zip(days[::2], sizes, strict=True)])
            log.write(
                f"t {time.monotonic() - started:6.0f}s days {state['days']} steps "
                f"{state['steps']} decisions {state['samples']} loss {loss:+.4f} greedy "
                f"queue/party {greedy_q:.3f} interest {greedy_i:.3f} sampled queue "
                f"{sampled_q:.3f}\n"
            )
            entry = {k: state[k] for k in ("days", "steps", "samples", "wall")}
            state["latest"] = entry | {
                "weights": policy.to_numpy(),
                "optimizer": optimiser.state_dict(),
            }
            if time.monotonic() - last_snapshot >= SNAPSHOT_SECONDS:
                state["snapshots"].append(entry | {"weights": policy.to_numpy()})
                last_snapshot = time.monotonic()
            save(args.out, state)
            round_seconds = time.monotonic() - t0
    state["wall"] = wall0 + time.monotonic() - started
    state["snapshots"].append(
        {k: state[k] for k in ("days", "steps", "samples", "wall")}
        | {"weights": policy.to_numpy(), "final": True}
    )
    save(args.out, state)
    log.write(f"done: days {state['days']} steps {state['steps']} wall {state['wall']:.0f}s\n")
    log.close()


if __name__ == "__main__":
    main()
