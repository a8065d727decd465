"""`python manage.py train_inpaint --data DIR`: train the inpainting generator (progress bar,
`--resume`, fixed seed) and write weights for `restoration.inpaint`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from restoration.inpaint.learned import WEIGHTS
from restoration.inpaint.train import TrainConfig, train


class Command(BaseCommand):
    help = "Train the gated-convolution inpainting generator with its SN-PatchGAN discriminator."

    def add_arguments(self, parser: Any) -> None:
        defaults = TrainConfig(data=Path("."), out=WEIGHTS)
        parser.add_argument(
            "--data",
            type=Path,
            required=True,
            help="data root holding images/, damage/masonry-cracks/ and meshes/ (each optional)",
        )
        parser.add_argument("--out", type=Path, default=WEIGHTS)
        for name in (
            "iterations",
            "batch",
            "crop",
            "seed",
            "width",
            "save_every",
            "val_every",
            "threads",
        ):
            parser.add_argument(
                f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name)
            )
        parser.add_argument("--lr", type=float, default=defaults.lr)
        parser.add_argument("--adversarial", type=float, default=defaults.adversarial)
        parser.add_argument("--device", default="auto")
        parser.add_argument("--minutes", type=float, default=0.0, help="time budget (0: none)")
        parser.add_argument("--no-bf16", dest="bf16", action="store_false")
        parser.add_argument(
            "--context", type=float, default=1.0, help="fills over this x the crop side"
        )
        parser.add_argument("--init", type=Path, help="start from these weights (fine-tune)")
        parser.add_argument("--resume", action="store_true", help="continue from OUT's .ckpt")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["data"].is_dir():
            raise CommandError(f"--data {options['data']} is not a folder")
        fields = TrainConfig.__dataclass_fields__
        config = TrainConfig(**{k: v for k, v in options.items() if k in fields})
        try:
            path = train(config, log=lambda line: self.stdout.write(line))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"weights written to {path}"))
