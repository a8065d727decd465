"""`python manage.py eval_inpaint --images DIR [--masks DIR] [--mask-kind thin|large]`: every
inpainting method on the same images and masks, in one run (PSNR, SSIM, CIEDE2000, seconds)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from restoration.inpaint.data import split_groups
from restoration.inpaint.evaluate import eval_images, evaluate
from restoration.inpaint.inference import CHOICES, LEARNED, METHODS
from restoration.inpaint.learned import THIN_MAX_RADIUS, THIN_WEIGHTS, WEIGHTS, load_inpainter
from restoration.inpaint.masks import KINDS


class Command(BaseCommand):
    help = "Compare the learned inpainting with Telea, Navier-Stokes and biharmonic in one run."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--images", type=Path, required=True)
        parser.add_argument("--masks", type=Path, help="same-named binary PNGs (white = fill)")
        parser.add_argument("--mask-kind", choices=KINDS, default="large")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--methods", default=",".join(METHODS))
        parser.add_argument("--weights", type=Path, default=WEIGHTS)
        parser.add_argument(
            "--thin-weights",
            default=str(THIN_WEIGHTS),
            help="the thin-damage refiner's weights, or 'none' to fill cracks with the "
            "generator as well",
        )
        parser.add_argument(
            "--thin-max-radius",
            type=float,
            default=THIN_MAX_RADIUS,
            help="px: damaged regions nowhere farther than this from intact paint go to the "
            "thin refiner",
        )
        parser.add_argument("--max-side", type=int, default=1024, help="downscale larger images")
        parser.add_argument(
            "--split",
            choices=["test", "val", "train", "all"],
            default="test",
            help="artworks of this split (groups of manifest.csv, else file names; "
            "restoration.inpaint.data.split_groups). Make every choice on val; read test "
            "once per shipped model. 'all' for a folder never used in training.",
        )
        parser.add_argument("--limit", type=int, default=0)
        parser.add_argument("--per-image", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        folder: Path = options["images"]
        if not folder.is_dir():
            raise CommandError(f"--images {folder} is not a folder")
        methods = [m.strip() for m in options["methods"].split(",") if m.strip()]
        unknown = set(methods) - set(CHOICES)
        if unknown:
            raise CommandError(f"unknown methods {sorted(unknown)}; known: {', '.join(CHOICES)}")
        inpainter = None
        if {LEARNED, "plan", "auto"} & set(methods):
            if not options["weights"].is_file():
                raise CommandError(f"no weights at {options['weights']}")
            thin = options["thin_weights"]
            thin_path = None if thin == "none" else Path(thin)
            if thin_path is not None and not thin_path.is_file():
                if thin_path != THIN_WEIGHTS:
                    raise CommandError(f"no thin refiner weights at {thin_path}")
                thin_path = None
            inpainter = load_inpainter(options["weights"], thin=thin_path or False)
            inpainter = replace(inpainter, thin_max_radius=options["thin_max_radius"])
            self.stdout.write(f"learned: {inpainter.version}")
        names = None
        if options["split"] != "all":
            names = {n for n, side in split_groups(folder).items() if side == options["split"]}
        images = eval_images(folder, names)
        if options["limit"]:
            images = images[: options["limit"]]
        if not images:
            raise CommandError(f"no images in {folder}")
        self.stdout.write(
            f"split {options['split']}: {len(images)} images, masks "
            + (
                f"from {options['masks']}"
                if options["masks"]
                else f"{options['mask_kind']} seed {options['seed']}"
            )
        )

        def show(row: Any) -> None:
            if options["per_image"]:
                self.stdout.write(
                    f"  {row.image:<48} {row.method:<11} {row.psnr:6.2f} dB {row.seconds:6.2f} s"
                )

        report = evaluate(
            images,
            methods,
            masks=options["masks"],
            kind=options["mask_kind"],
            seed=options["seed"],
            max_side=options["max_side"],
            inpainter=inpainter,
            on_row=show,
        )
        if not report.rows:
            raise CommandError("no image had a usable mask")
        self.stdout.write(report.table(LEARNED))
        self.stdout.write("Per region: rank correlation of the prediction with the real PSNR")
        self.stdout.write(report.region_table())
        accuracy = report.plan_accuracy(LEARNED)
        if accuracy:
            self.stdout.write(accuracy)
