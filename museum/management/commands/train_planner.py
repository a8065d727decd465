"""Train the learned route planner (attention policy for the Orienteering Problem)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


def _sizes(text: str) -> tuple[int, int]:
    parts = [int(p) for p in text.replace("-", ",").split(",") if p.strip()]
    if not 1 <= len(parts) <= 2 or min(parts) < 2:
        raise ValueError("expected N or NMIN,NMAX with N >= 2")
    return min(parts), max(parts)


class Command(BaseCommand):
    help = "Train the OP attention policy (REINFORCE, greedy-rollout baseline; CPU or CUDA)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--epochs", type=int, default=10)
        parser.add_argument("--steps-per-epoch", type=int, default=250)
        parser.add_argument("--batch-size", type=int, default=256)
        parser.add_argument("--n-nodes", default="20,50", help="N or NMIN,NMAX (prize nodes)")
        parser.add_argument("--open-fraction", type=float, default=0.25, help="share start != end")
        parser.add_argument("--lr", type=float, default=1e-4)
        parser.add_argument("--embed-dim", type=int, default=128)
        parser.add_argument("--layers", type=int, default=3)
        parser.add_argument("--max-minutes", type=float, default=None, help="stop after this long")
        parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
        parser.add_argument("--out", default=None, help="weights file (default: the committed one)")
        parser.add_argument("--metrics", default=None, help="metrics JSON (default: beside --out)")
        parser.add_argument("--state", default=None, help="training state for --resume")
        parser.add_argument("--resume", action="store_true")
        parser.add_argument("--seed", type=int, default=1234)

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            import torch

            from museum.planning.train import DEFAULT_WEIGHTS, TrainConfig, train
        except ImportError as exc:  # torch is in the optional "ml" extra
            raise CommandError(f"training needs torch (pip install .[ml]): {exc}") from None
        try:
            n_min, n_max = _sizes(opts["n_nodes"])
        except ValueError as exc:
            raise CommandError(f"--n-nodes: {exc}") from None
        torch.set_num_threads(opts["threads"])
        cfg = TrainConfig(
            epochs=opts["epochs"],
            steps_per_epoch=opts["steps_per_epoch"],
            batch_size=opts["batch_size"],
            n_min=n_min,
            n_max=n_max,
            open_fraction=opts["open_fraction"],
            lr=opts["lr"],
            seed=opts["seed"],
            max_minutes=opts["max_minutes"],
            model_config={
                "embed_dim": opts["embed_dim"],
                "n_layers": opts["layers"],
                "ff_dim": 4 * opts["embed_dim"],
            },
        )
        out = Path(opts["out"]) if opts["out"] else DEFAULT_WEIGHTS
        metrics = train(
            cfg,
            out,
            state_path=Path(opts["state"]) if opts["state"] else None,
            metrics_path=Path(opts["metrics"]) if opts["metrics"] else None,
            resume=opts["resume"],
            stream=sys.stdout,
        )
        last = metrics["history"][-1] if metrics["history"] else {}
        val = last.get("val_greedy", float("nan"))
        self.stdout.write(
            self.style.SUCCESS(
                f"wrote {out} after {len(metrics['history'])} epochs in "
                f"{metrics['wall_s'] / 60:.1f} min (val greedy {val:.3f})"
            )
        )
