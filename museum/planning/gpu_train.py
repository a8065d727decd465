"""POMO-style training of the OP attention policy on a GPU, instances generated on the device.

``python3 -m museum.planning.gpu_train --out OUT --minutes 8 --device cuda --workers 1``

Kwon et al. ("POMO", NeurIPS 2020) on top of Kool et al.'s model (``policy.py``): every instance
is decoded from S forced first nodes (multi-start) and the shared baseline is the mean reward
of those S rollouts; each instance gets one of the 8 symmetries of the square (x/y flips,
rotations) as data augmentation. A curriculum widens the sizes from n = 20..50 to 20..120 over
the run (twice that, up to 240, for museum-like instances) and mixes three families: Kool's
random OP (distance prizes, closed), the same with a separate end node and uniform prizes, and
museum-like instances (objects grouped in rooms on a grid, corridor (L1) walking plus dwell
times, lognormal interests, entrance != exit).

Framework-free (no Django). Writes at most two files under ``--out``: ``snapshots.pt`` (policy
weights at several moments, each with steps, samples, wall seconds and a validation score, plus
the optimiser state of the last one for ``--resume``), saved atomically via /tmp at least every
``--snapshot-s`` seconds, and ``log.txt`` (flushed progress).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

import torch

from museum.planning.policy import build_policy

T_START = time.monotonic()  # the clock of --minutes starts at import when run as a script
_CLOCK = [T_START]
MODEL_CONFIG = {"embed_dim": 64, "n_layers": 3, "n_heads": 8, "ff_dim": 256, "tanh_clip": 10.0}
FAMILIES = ("kool", "museum", "kool", "open")  # cycled: half Kool's distribution
DEFAULT_INIT = Path(__file__).resolve().parent / "weights" / "op_attention.pt"
VAL_SEED = 4_242_001  # validation stream; the test stream is evaluate.HELDOUT_SEED (numpy)


# -- instance generators (torch, on the training device) -----------------------------------------
def kool_budget(n: int) -> float:
    """2 / 3 / 4 at n = 20 / 50 / 100, linear in between and beyond."""
    return 2.0 + (n - 20) / 30.0 if n <= 50 else 3.0 + (n - 50) / 50.0


def generate(
    family: str, batch: int, n: int, gen: torch.Generator, device: torch.device
) -> dict[str, torch.Tensor]:
    """``batch`` instances with n prize nodes: the policy's inputs (node 0 start, 1 end if open)."""

    def rand(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, generator=gen, device=device)

    start = torch.zeros(batch, dtype=torch.long, device=device)
    if family == "kool":
        coords = rand(batch, n + 1, 2)
        d = (coords[:, 1:] - coords[:, :1]).norm(dim=-1)
        p = (1 + torch.floor(99 * d / d.max(dim=1, keepdim=True).values)) / 100
        prizes = torch.cat([torch.zeros(batch, 1, device=device), p], dim=1)
        dist = torch.cdist(coords.double(), coords.double())
        budget = torch.full((batch,), kool_budget(n), dtype=torch.float64, device=device)
        return _pack(coords, prizes, budget, start, start.clone(), dist)
    if family == "open":
        coords = rand(batch, n + 2, 2)
        p = (1 + torch.floor(100 * rand(batch, n))) / 100
        prizes = torch.cat([torch.zeros(batch, 2, device=device), p], dim=1)
        dist = torch.cdist(coords.double(), coords.double())
        scale = 0.6 + 0.8 * rand(batch).double()
        budget = dist[:, 0, 1] + scale * kool_budget(n)
        return _pack(coords, prizes, budget, start, start + 1, dist)
    if family == "museum":
        return _museum(batch, n, rand, device)
    raise ValueError(f"unknown family {family!r}")


def _museum(batch: int, n: int, rand: Any, device: torch.device) -> dict[str, torch.Tensor]:
    """Objects in rooms on a jittered g x g grid; walking = L1 between rooms (corridors), a
    fixed step inside a room, plus half the dwell of both ends (the planner's symmetric form)."""
    g = int(rand(1).item() * 5) + 4  # 4..8 rooms a side
    cells = torch.stack(
        torch.meshgrid(
            torch.arange(g, device=device), torch.arange(g, device=device), indexing="ij"
        ),
        dim=-1,
    ).reshape(-1, 2)
    rooms = (cells[None].float() + 0.5 + 0.3 * (rand(batch, g * g, 2) - 0.5)) / g  # (B, R, 2)
    room_of = torch.floor(rand(batch, n + 2) * g * g).long()
    room_of[:, 0] = 0  # entrance in a corner room, exit in a random room
    coords = rooms.gather(1, room_of[..., None].expand(-1, -1, 2))
    walk = (coords[:, :, None] - coords[:, None]).abs().sum(-1).double()
    same = room_of[:, :, None] == room_of[:, None]
    walk = torch.where(same, torch.full_like(walk, 0.1 / g), walk)
    dwell = (0.02 + 0.1 * rand(batch, n + 2)).double()
    dwell[:, :2] = 0
    dist = walk + (dwell[:, :, None] + dwell[:, None]) / 2
    eye = torch.eye(n + 2, dtype=torch.bool, device=device)
    dist = dist.masked_fill(eye, 0.0)
    interest = torch.exp(0.7 * torch.randn_like(dwell)).float()
    prizes = torch.cat([torch.zeros(batch, 2, device=device), interest[:, 2:]], dim=1)
    prizes = prizes / prizes.max(dim=1, keepdim=True).values
    budget = dist[:, 0, 1] + (0.5 + 2.0 * rand(batch).double()) * (1 + n / 60)
    start = torch.zeros(batch, dtype=torch.long, device=device)
    return _pack(
        coords + 0.004 * (rand(batch, n + 2, 2) - 0.5), prizes, budget, start, start + 1, dist
    )


def _pack(
    coords: torch.Tensor,
    prizes: torch.Tensor,
    budget: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
    dist: torch.Tensor,
) -> dict[str, torch.Tensor]:
    return {
        "coords": coords.float(),
        "prizes": prizes.float(),
        "budget": budget.double(),
        "start": start,
        "end": end,
        "dist": dist.double(),
    }


def augment(coords: torch.Tensor, which: torch.Tensor) -> torch.Tensor:
    """One of the 8 symmetries of the unit square per instance (``which`` in 0..7)."""
    x, y = coords[..., 0], coords[..., 1]
    k = which[:, None]
    x = torch.where(k % 2 == 1, 1 - x, x)
    y = torch.where((k // 2) % 2 == 1, 1 - y, y)
    swap = k >= 4
    return torch.stack([torch.where(swap, y, x), torch.where(swap, x, y)], dim=-1)


def first_nodes(inputs: dict[str, torch.Tensor], starts: int, gen: torch.Generator) -> torch.Tensor:
    """(B, S) distinct random first nodes per instance, among the nodes with a prize."""
    prizes = inputs["prizes"]
    score = torch.rand(prizes.shape, generator=gen, device=prizes.device)
    score = score.masked_fill(prizes <= 0, -1.0)
    return score.topk(starts, dim=1).indices


def sizes_at(progress: float, n_min: int, n_max: int) -> tuple[int, int]:
    """Curriculum: the largest size grows from 50 to n_max over the first 60 % of the run."""
    top = 50 + (n_max - 50) * min(1.0, progress / 0.6)
    return n_min, max(n_min, int(top))


# -- validation ---------------------------------------------------------------------------------
def validation_sets(
    device: torch.device, size: int = 64
) -> list[tuple[str, dict[str, torch.Tensor]]]:
    gen = torch.Generator(device=device).manual_seed(VAL_SEED)
    return [
        (f"{f}{n}", generate(f, size, n, gen, device))
        for f, n in (("kool", 20), ("kool", 50), ("kool", 100), ("museum", 100))
    ]


@torch.no_grad()
def validate(
    policy: torch.nn.Module, sets: list[tuple[str, dict[str, torch.Tensor]]], device: torch.device
) -> dict[str, float]:
    """Mean best-of-multi-start greedy prize per set (16 starts, no augmentation)."""
    policy.eval()
    gen = torch.Generator(device=device).manual_seed(1)
    out = {}
    for name, inputs in sets:
        with autocast(device):
            res = policy(**inputs, decode="greedy", first=first_nodes(inputs, 16, gen))
        out[name] = round(float(res.prize.max(dim=1).values.mean()), 4)
    policy.train()
    return out


def autocast(device: torch.device) -> Any:
    """bfloat16 autocast on CUDA (matmuls; softmax, norms and feasibility stay wide)."""
    if device.type == "cuda" or os.environ.get("POL_CPU_BF16"):
        if device.type == "cpu":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


# -- snapshots ----------------------------------------------------------------------------------
def save_snapshots(out: Path, payload: dict[str, Any]) -> None:
    """torch.save to a temp file under /tmp, then move it onto out/snapshots.pt (atomic)."""
    fd, tmp = tempfile.mkstemp(prefix="pol-snap-", suffix=".pt", dir="/tmp")
    os.close(fd)
    torch.save(payload, tmp)
    os.chmod(tmp, 0o644)
    shutil.move(tmp, out / "snapshots.pt")


def cpu_state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in module.state_dict().items()}


def log(stream: TextIO, text: str) -> None:
    stream.write(f"[{time.monotonic() - _CLOCK[0]:7.1f}s] {text}\n")
    stream.flush()


# -- training -----------------------------------------------------------------------------------
def train(args: argparse.Namespace, stream: TextIO) -> dict[str, Any]:
    device = torch.device(args.device)
    torch.manual_seed(args.seed)
    policy = build_policy("op_attention", **MODEL_CONFIG).to(device)
    optimizer = torch.optim.Adam(policy.parameters(), lr=args.lr, weight_decay=1e-6)
    snaps: list[dict[str, Any]] = []
    steps = samples = 0
    wall_before = 0.0
    if args.resume:
        prev = torch.load(args.resume, map_location="cpu", weights_only=True)
        policy.load_state_dict(prev["snapshots"][-1]["state_dict"])
        optimizer.load_state_dict(prev["optimizer"])
        snaps, steps, samples = prev["snapshots"], prev["steps"], prev["samples"]
        wall_before = float(prev["wall_s"])
        log(stream, f"resumed from {args.resume} at step {steps}")
    elif args.init and Path(args.init).is_file():
        policy.load_state_dict(
            torch.load(args.init, map_location="cpu", weights_only=True)["state_dict"]
        )
        log(stream, f"initialised from {args.init}")
    gen = torch.Generator(device=device).manual_seed(args.seed + steps)
    val = validation_sets(device, args.val_size)
    limit = args.minutes * 60 - args.margin_s

    def run_s() -> float:
        return time.monotonic() - _CLOCK[0]

    last_snap = last_log = run_s()
    recent: list[tuple[float, float, float]] = []

    def snapshot(final: bool = False) -> None:
        score = validate(policy, val, device)
        if snaps and snaps[-1]["steps"] == steps:
            snaps.pop()  # the final snapshot replaces one taken at the same step
        snaps.append(
            {
                "steps": steps,
                "samples": samples,
                "wall_s": round(wall_before + run_s(), 1),
                "val": score,
                "state_dict": cpu_state(policy),
            }
        )
        del snaps[: max(0, len(snaps) - args.keep)]
        payload = {
            "name": "op_attention",
            "config": policy.config,
            "snapshots": snaps,
            "optimizer": optimizer.state_dict(),
            "steps": steps,
            "samples": samples,
            "wall_s": round(wall_before + run_s(), 1),
            "args": vars(args),
            "final": final,
        }
        save_snapshots(Path(args.out), payload)
        log(stream, f"snapshot {len(snaps)} at step {steps}: val {score}")

    policy.train()
    stop_at = steps + args.max_steps if args.max_steps else None
    while run_s() < limit and (stop_at is None or steps < stop_at):
        lo, hi = sizes_at(run_s() / max(limit, 1.0), args.n_min, args.n_max)
        n = int(
            torch.randint(lo, hi + 1, (1,), generator=torch.Generator().manual_seed(steps)).item()
        )
        family = FAMILIES[steps % len(FAMILIES)]
        if family == "museum":  # museum problems are larger (hundreds of candidate objects)
            n = min(2 * n, args.n_max_museum)
        starts = min(n, args.starts)
        batch = max(8, args.rollouts // (starts * n))
        inputs = generate(family, batch, n, gen, device)
        which = torch.randint(0, 8, (batch,), generator=gen, device=device)
        inputs["coords"] = augment(inputs["coords"], which)
        with autocast(device):
            res = policy(
                **inputs, decode="sample", generator=gen, first=first_nodes(inputs, starts, gen)
            )
        reward = res.prize.float()
        advantage = reward - reward.mean(dim=1, keepdim=True)  # POMO's shared baseline
        loss = -(advantage * res.log_prob.float()).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), args.grad_clip)
        optimizer.step()
        steps += 1
        samples += batch
        recent.append(
            (float(reward.mean()), float(reward.max(dim=1).values.mean()), float(loss.detach()))
        )
        if run_s() - last_log >= args.log_s:
            mean, best, lss = (sum(r[i] for r in recent) / len(recent) for i in range(3))
            log(
                stream,
                f"step {steps} samples {samples} sizes {lo}..{hi} (last n={n}, {family}) "
                f"reward {mean:.3f} best-of-{starts} {best:.3f} loss {lss:+.4f}",
            )
            recent.clear()
            last_log = run_s()
        if run_s() - last_snap >= args.snapshot_s:
            snapshot()
            last_snap = run_s()
    snapshot(final=True)
    log(stream, f"done: {steps} steps, {samples} instances, {run_s():.0f} s")
    return {"steps": steps, "samples": samples, "snapshots": len(snaps)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=8.0)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--workers", type=int, default=1, help="CPU threads (instances are on device)")
    ap.add_argument("--data", default=None, help="unused: instances are generated")
    ap.add_argument("--init", default=str(DEFAULT_INIT), help="weights to start from ('' = none)")
    ap.add_argument("--resume", default=None, help="a snapshots.pt to continue from")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--grad-clip", type=float, default=1.0)
    ap.add_argument("--n-min", type=int, default=20)
    ap.add_argument("--n-max", type=int, default=120)
    ap.add_argument("--max-steps", type=int, default=0, help="also stop after this many steps")
    ap.add_argument("--val-size", type=int, default=64, help="instances per validation set")
    ap.add_argument("--n-max-museum", type=int, default=240)
    ap.add_argument("--starts", type=int, default=64, help="POMO starts per instance")
    ap.add_argument("--rollouts", type=int, default=600_000, help="batch x starts x n per step")
    ap.add_argument("--snapshot-s", type=float, default=60.0)
    ap.add_argument("--keep", type=int, default=10, help="snapshots kept in the file")
    ap.add_argument("--log-s", type=float, default=20.0)
    ap.add_argument("--margin-s", type=float, default=8.0, help="stop this early to save")
    ap.add_argument("--seed", type=int, default=20261204)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None, *, started: float | None = None) -> None:
    """Train; ``started`` is when the --minutes clock began (default: now)."""
    _CLOCK[0] = started if started is not None else time.monotonic()
    args = parse_args(argv)
    torch.set_num_threads(max(1, args.workers))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "log.txt").open("a", encoding="utf-8") as stream:
        log(
            stream, f"args {vars(args)}; torch {torch.__version__}; python {sys.version.split()[0]}"
        )
        if torch.device(args.device).type == "cuda":
            log(stream, f"gpu {torch.cuda.get_device_name()}")
        train(args, stream)


if __name__ == "__main__":
    main(started=T_START)
