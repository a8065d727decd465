"""`python manage.py train_damage --data DIR`: train the damage network (DAMAGE_MODEL_CARD.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from restoration.damage.model import default_weights_path
from restoration.damage.train import TrainConfig, train


class Command(BaseCommand):
    help = (
        "Train the damage segmentation network. DIR is laid out like the shared data folder: "
        "damage/masonry-cracks/{images,masks}, images/ (artworks), meshes/ (GLB scans); missing "
        "parts are skipped. --finetune starts from the committed weights; --corrections DIR holds "
        "<name>.png images with <name>_<class>.png masks (white = damage; class one of crack, "
        "loss, corrosion, fading; a class without a mask is not trained for that image). Writes "
        "the weights (--out), a .metrics.json beside them and a .ckpt checkpoint after each epoch "
        "(--resume)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--data", type=Path, help="Data root (optional with --corrections)")
        parser.add_argument("--epochs", type=int, default=30)
        parser.add_argument("--samples-per-epoch", type=int, default=960)
        parser.add_argument("--batch-size", type=int, default=16)
        parser.add_argument("--crop", type=int, default=224, help="Side of the training crops")
        parser.add_argument(
            "--lr", type=float, default=None, help="Default 4e-3, or 5e-4 with --finetune"
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
        parser.add_argument(
            "--model", default="damage_unet", help="Config name (damage_unet, damage_unet_tiny)"
        )
        parser.add_argument(
            "--finetune", action="store_true", help="Start from the committed (or --init) weights"
        )
        parser.add_argument(
            "--init", type=Path, help="Weights to fine-tune from (default: the committed ones)"
        )
        parser.add_argument("--corrections", type=Path, help="Folder of curator-corrected masks")
        parser.add_argument("--out", type=Path, default=default_weights_path())
        parser.add_argument(
            "--resume", action="store_true", help="Continue from the --out .ckpt checkpoint"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        data, corrections = options["data"], options["corrections"]
        if data is None and corrections is None:
            raise CommandError("give --data DIR, --corrections DIR, or both")
        if data is not None and not data.is_dir():
            raise CommandError(f"--data {data} is not a folder")
        if corrections is not None and not corrections.is_dir():
            raise CommandError(f"--corrections {corrections} is not a folder")
        if min(options["epochs"], options["samples_per_epoch"], options["batch_size"]) < 1:
            raise CommandError("--epochs, --samples-per-epoch and --batch-size must be positive")
        if options["crop"] < 32 or options["crop"] % 32:
            raise CommandError("--crop must be a multiple of 32")
        lr = options["lr"] if options["lr"] is not None else (5e-4 if options["finetune"] else 4e-3)
        cfg = TrainConfig(
            data=data,
            out=options["out"],
            model=options["model"],
            epochs=options["epochs"],
            samples_per_epoch=options["samples_per_epoch"],
            batch_size=options["batch_size"],
            crop=options["crop"],
            lr=lr,
            seed=options["seed"],
            threads=options["threads"],
            finetune=options["finetune"],
            corrections=corrections,
            init_weights=options["init"],
            resume=options["resume"],
        )
        try:
            metrics = train(
                cfg, progress=not options["no_progress"], log=lambda m: self.stderr.write(str(m))
            )
        except (ValueError, FileNotFoundError, KeyError) as exc:
            raise CommandError(str(exc)) from exc
        summary = {"weights": metrics["weights"], "thresholds": metrics["thresholds"]}
        if "masonry_test" in metrics:
            summary["masonry_test"] = {
                k: {
                    m: metrics["masonry_test"][k].get(m)
                    for m in ("f1@0px", "f1@2px", "ods@2px", "miou")
                }
                for k in ("model", "baseline")
            }
        self.stdout.write(json.dumps(summary, indent=2))
