"""`python manage.py eval_damage --images DIR --masks DIR`: our model and the baseline, same run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from restoration.damage import ImageInputError, load_model
from restoration.damage.data import MASONRY, grouped_split, image_mask_pairs
from restoration.damage.evaluation import compare, format_table, load_pairs


class Command(BaseCommand):
    help = (
        "Evaluate crack detection on a folder of images with same-named binary masks (white = "
        "crack): pixel precision, recall and F1 at 0 and 2 px tolerance, ODS, OIS, mIoU and ms per "
        "512² tile, for our model and a classical baseline in the same run. Or --split heldout "
        "--data DIR: the held-out masonry split (prefix-grouped, fixed by --split-seed)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--images", type=Path)
        parser.add_argument("--masks", type=Path)
        parser.add_argument("--split", choices=["heldout", "val", "train"], help="A masonry split")
        parser.add_argument("--data", type=Path, help="Data root for --split")
        parser.add_argument("--split-seed", type=int, default=0)
        parser.add_argument("--weights", type=Path, help="Checkpoint (default: the committed one)")
        parser.add_argument("--threshold", type=float, help="Crack threshold (default: calibrated)")
        parser.add_argument("--baseline", default="blackhat", choices=["blackhat", "frangi"])
        parser.add_argument(
            "--baseline-threshold", type=float, help="Default: calibrated per method"
        )
        parser.add_argument("--no-timing", action="store_true")
        parser.add_argument("--json", type=Path, help="Also write the figures to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        images, masks, names = options["images"], options["masks"], None
        if options["split"]:
            if options["data"] is None:
                raise CommandError("--split needs --data DIR")
            images, masks = (
                options["data"] / MASONRY / "images",
                options["data"] / MASONRY / "masks",
            )
            if not images.is_dir() or not masks.is_dir():
                raise CommandError(f"no masonry crack data under {options['data'] / MASONRY}")
            split = grouped_split(
                [n for n, _, _ in image_mask_pairs(images, masks)], seed=options["split_seed"]
            )
            names = split["test" if options["split"] == "heldout" else options["split"]]
        elif images is None or masks is None:
            raise CommandError("give --images DIR and --masks DIR, or --split heldout --data DIR")
        try:
            pairs = load_pairs(images, masks, names)
            model = load_model(options["weights"])
            result = compare(
                model,
                pairs,
                threshold=options["threshold"],
                baseline_method=options["baseline"],
                baseline_threshold=options["baseline_threshold"],
                timing=not options["no_timing"],
            )
        except (FileNotFoundError, ValueError, ImageInputError) as exc:
            raise CommandError(str(exc)) from exc
        result["split"] = options["split"]
        self.stdout.write(
            f"{len(pairs)} images; crack threshold ours {result['model']['threshold']:.2f}, "
            f"baseline {result['baseline']['threshold']:.2f}"
        )
        self.stdout.write(format_table(result))
        self.stdout.write(json.dumps(result, indent=2))
        if options["json"]:
            options["json"].write_text(json.dumps(result, indent=2))
