"""REINFORCE with a greedy-rollout baseline for the OP attention policy (Kool et al., 2019).

Instances come on the fly from Kool's random OP distribution (depot and n nodes uniform in the
unit square, prize of node i = (1 + floor(99 d(depot, i) / max_j d(depot, j))) / 100, budget
2 / 3 / 4 for n = 20 / 50 / 100, interpolated in between), with n drawn per batch from a range and,
for a share of batches, a separate end node (start != end). The baseline policy is replaced by the
trained one when its greedy objective on a validation set is better by a one-sided paired t-test
(p < 0.05). The first epoch uses an exponential moving-average baseline (warm-up). Each epoch
writes a training state (for ``resume``), the weights file and a metrics JSON.
"""

from __future__ import annotations

import copy
import json
import math
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch
from scipy import stats

from museum.common.devices import resolve_device
from museum.common.registry import write_checkpoint
from museum.planning.policy import build_policy

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_WEIGHTS = WEIGHTS_DIR / "op_attention.pt"


# -- Kool's random OP distribution ----------------------------------------------------------
def kool_budget(n: int) -> float:
    """Kool's budget: 2 / 3 / 4 at n = 20 / 50 / 100, linear in between (and beyond)."""
    if n <= 50:
        return 2.0 + (n - 20) / 30.0
    return 3.0 + (n - 50) / 50.0


@dataclass
class Batch:
    """B instances with N nodes each; node 0 is the start, the end is 0 (closed) or 1."""

    coords: np.ndarray  # (B, N, 2)
    prizes: np.ndarray  # (B, N)
    budget: np.ndarray  # (B,)
    start: np.ndarray  # (B,) int
    end: np.ndarray  # (B,) int

    def tensors(self, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
        return {
            "coords": torch.as_tensor(self.coords, dtype=torch.float32, device=device),
            "prizes": torch.as_tensor(self.prizes, dtype=torch.float32, device=device),
            "budget": torch.as_tensor(self.budget, dtype=torch.float64, device=device),
            "start": torch.as_tensor(self.start, dtype=torch.long, device=device),
            "end": torch.as_tensor(self.end, dtype=torch.long, device=device),
        }


def kool_instances(
    batch: int, n: int, rng: np.random.Generator, *, closed: bool = True, prize: str = "dist"
) -> Batch:
    """``batch`` random OP instances with n prize nodes (plus the depot, plus an end if open).

    ``prize``: "dist" (Kool's distance prizes), "unif" ((1 + randint(100)) / 100) or "const" (1).
    """
    depot = rng.random((batch, 1, 2))
    nodes = rng.random((batch, n, 2))
    if prize == "dist":
        d = np.linalg.norm(nodes - depot, axis=-1)
        p = (1 + np.floor(99 * d / d.max(axis=1, keepdims=True))) / 100.0
    elif prize == "unif":
        p = (1 + rng.integers(0, 100, size=(batch, n))) / 100.0
    elif prize == "const":
        p = np.ones((batch, n))
    else:
        raise ValueError(f"unknown prize type {prize!r}")
    parts, zeros = [depot], [np.zeros((batch, 1))]
    if not closed:
        parts.append(rng.random((batch, 1, 2)))
        zeros.append(np.zeros((batch, 1)))
    coords = np.concatenate([*parts, nodes], axis=1)
    prizes = np.concatenate([*zeros, p], axis=1)
    end = np.zeros(batch, dtype=np.int64) if closed else np.ones(batch, dtype=np.int64)
    budget = np.full(batch, kool_budget(n))
    return Batch(coords, prizes, budget, np.zeros(batch, dtype=np.int64), end)


# -- training -------------------------------------------------------------------------------
@dataclass
class TrainConfig:
    epochs: int = 10
    steps_per_epoch: int = 250
    batch_size: int = 256
    n_min: int = 20
    n_max: int = 50
    open_fraction: float = 0.25
    lr: float = 1e-4
    grad_clip: float = 1.0
    seed: int = 1234
    val_size: int = 768
    warmup_epochs: int = 1
    ema_beta: float = 0.8
    max_minutes: float | None = None
    log_every: int = 25
    model: str = "op_attention"
    model_config: dict[str, Any] = field(default_factory=dict)


def default_device() -> torch.device:
    return torch.device(resolve_device("auto"))


def _validation_set(cfg: TrainConfig, seed: int) -> list[Batch]:
    """Batches of 128 over three sizes in [n_min, n_max], closed and open."""
    rng = np.random.default_rng([cfg.seed, 7919, seed])
    sizes = sorted({cfg.n_min, (cfg.n_min + cfg.n_max) // 2, cfg.n_max})
    chunks = max(1, cfg.val_size // 128)
    return [
        kool_instances(128, sizes[i % len(sizes)], rng, closed=(i % 4 != 3)) for i in range(chunks)
    ]


@torch.no_grad()
def greedy_objective(
    policy: torch.nn.Module, batches: list[Batch], device: torch.device
) -> np.ndarray:
    """Greedy collected prize per instance, concatenated over batches."""
    was_training = policy.training
    policy.eval()
    out = [policy(**b.tensors(device), decode="greedy").prize[:, 0].cpu().numpy() for b in batches]
    policy.train(was_training)
    return np.concatenate(out)


def _save_weights(path: Path, policy: torch.nn.Module, cfg: TrainConfig, meta: dict) -> None:
    state = {k: v.detach().cpu() for k, v in policy.state_dict().items()}
    payload = {"name": cfg.model, "config": policy.config, "state_dict": state, "meta": meta}
    write_checkpoint(payload, path)


def train(
    cfg: TrainConfig,
    out: Path = DEFAULT_WEIGHTS,
    *,
    state_path: Path | None = None,
    metrics_path: Path | None = None,
    resume: bool = False,
    stream: TextIO = sys.stdout,
) -> dict[str, Any]:
    """Train, writing weights to ``out`` and state/metrics beside it; returns the metrics."""
    out = Path(out)
    state_path = Path(state_path or Path("var/planning") / (out.stem + ".state.pt"))
    metrics_path = Path(metrics_path or out.with_suffix(".metrics.json"))
    device = default_device()
    torch.manual_seed(cfg.seed)
    policy = build_policy(cfg.model, **cfg.model_config).to(device)
    optimizer = torch.optim.Adam(policy.parameters(), lr=cfg.lr)
    baseline = copy.deepcopy(policy).eval()
    history: list[dict[str, Any]] = []
    first_epoch, elapsed_before, baseline_epoch = 0, 0.0, 0
    if resume and state_path.exists():
        state = torch.load(state_path, map_location=device, weights_only=False)
        policy.load_state_dict(state["policy"])
        baseline.load_state_dict(state["baseline"])
        optimizer.load_state_dict(state["optimizer"])
        history, first_epoch = state["history"], state["epoch"] + 1
        elapsed_before, baseline_epoch = state["elapsed_s"], state["baseline_epoch"]
        print(
            f"resumed from {state_path} after epoch {state['epoch'] + 1}", file=stream, flush=True
        )
    val = _validation_set(cfg, baseline_epoch)
    val_base = greedy_objective(baseline, val, device)
    t0 = time.monotonic() - elapsed_before
    budget_s = cfg.max_minutes * 60 if cfg.max_minutes else math.inf
    ema: float | None = None
    stopped = False
    n_params = sum(p.numel() for p in policy.parameters())
    print(f"training {cfg.model} ({n_params:,} parameters) on {device}", file=stream, flush=True)
    for epoch in range(first_epoch, cfg.epochs):
        rng = np.random.default_rng([cfg.seed, epoch])
        gen = torch.Generator(device=device).manual_seed(cfg.seed * 1000 + epoch)
        policy.train()
        rewards, losses = [], []
        for step in range(cfg.steps_per_epoch):
            n = int(rng.integers(cfg.n_min, cfg.n_max + 1))
            batch = kool_instances(cfg.batch_size, n, rng, closed=rng.random() >= cfg.open_fraction)
            inputs = batch.tensors(device)
            res = policy(**inputs, decode="sample", generator=gen)
            reward = res.prize[:, 0]
            if epoch < cfg.warmup_epochs:
                mean = float(reward.mean())
                ema = mean if ema is None else cfg.ema_beta * ema + (1 - cfg.ema_beta) * mean
                base = torch.full_like(reward, ema)
            else:
                with torch.no_grad():
                    base = baseline(**inputs, decode="greedy").prize[:, 0]
            loss = -((reward - base).detach() * res.log_prob[:, 0]).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), cfg.grad_clip)
            optimizer.step()
            rewards.append(float(reward.mean()))
            losses.append(float(loss.detach()))
            elapsed = time.monotonic() - t0
            if (step + 1) % cfg.log_every == 0 or step + 1 == cfg.steps_per_epoch:
                done = (epoch - first_epoch) * cfg.steps_per_epoch + step + 1
                total = (cfg.epochs - first_epoch) * cfg.steps_per_epoch
                pct = 100.0 * done / total
                print(
                    f"epoch {epoch + 1}/{cfg.epochs} step {step + 1}/{cfg.steps_per_epoch} "
                    f"[{pct:5.1f}%] reward {np.mean(rewards[-cfg.log_every :]):.3f} "
                    f"loss {np.mean(losses[-cfg.log_every :]):+.4f} elapsed {elapsed / 60:.1f} min",
                    file=stream,
                    flush=True,
                )
            if elapsed > budget_s:
                stopped = True
                break
        # Baseline update: candidate vs baseline on the validation set (one-sided paired t-test).
        val_cand = greedy_objective(policy, val, device)
        improved = float(val_cand.mean() - val_base.mean())
        p_value = float("nan")
        replaced = False
        if improved > 0:
            p_value = float(stats.ttest_rel(val_cand, val_base).pvalue) / 2
            if p_value < 0.05:
                baseline.load_state_dict(policy.state_dict())
                baseline_epoch = epoch + 1
                val = _validation_set(cfg, baseline_epoch)
                val_base = greedy_objective(baseline, val, device)
                replaced = True
        record = {
            "epoch": epoch + 1,
            "steps": len(rewards),
            "train_reward": float(np.mean(rewards)),
            "loss": float(np.mean(losses)),
            "val_greedy": float(val_cand.mean()),
            "baseline_replaced": replaced,
            "p_value": p_value,
            "elapsed_s": round(time.monotonic() - t0, 1),
        }
        history.append(record)
        print(
            f"epoch {epoch + 1} done: val greedy {record['val_greedy']:.3f} "
            f"(baseline {'replaced' if replaced else 'kept'}, p={p_value:.3g}) "
            f"{record['elapsed_s'] / 60:.1f} min",
            file=stream,
            flush=True,
        )
        meta = {"epochs_done": epoch + 1, "train": asdict(cfg), "elapsed_s": record["elapsed_s"]}
        _save_weights(out, policy, cfg, meta)
        state_path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(
            {
                "policy": policy.state_dict(),
                "baseline": baseline.state_dict(),
                "optimizer": optimizer.state_dict(),
                "history": history,
                "epoch": epoch,
                "elapsed_s": record["elapsed_s"],
                "baseline_epoch": baseline_epoch,
            },
            state_path,
        )
        if stopped:
            print(f"time limit of {cfg.max_minutes} min reached", file=stream, flush=True)
            break
    metrics = {
        "config": asdict(cfg),
        "parameters": n_params,
        "history": history,
        "wall_s": round(time.monotonic() - t0, 1),
        "hardware": {
            "device": str(device),
            "cpu": platform.processor() or platform.machine(),
            "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
        "weights": str(out),
    }
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    return metrics
