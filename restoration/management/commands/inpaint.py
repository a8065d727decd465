"""`python manage.py inpaint IMAGE MASK OUT [--method NAME]`: fill the white pixels of MASK in
IMAGE and write OUT; prints one JSON line per region (method, score, predicted PSNR, confidence)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from restoration.inpaint import InpaintInputError, restore_texture
from restoration.inpaint.imageio import read_image, read_mask, write_image
from restoration.inpaint.inference import CHOICES


class Command(BaseCommand):
    help = (
        "Inpaint IMAGE where MASK is white; --method auto (our best), plan (try all, keep the "
        "best score), gated, telea, ns or biharmonic."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("image", type=Path)
        parser.add_argument("mask", type=Path)
        parser.add_argument("out", type=Path)
        parser.add_argument("--method", default="auto", choices=CHOICES)
        parser.add_argument("--device", default="auto")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rgb, alpha, mode = read_image(options["image"])
            mask = read_mask(options["mask"])
            result = restore_texture(rgb, mask, method=options["method"], device=options["device"])
        except InpaintInputError as exc:
            raise CommandError(f"{exc} ({exc.code})") from exc
        write_image(options["out"], result.image, alpha, mode)
        for region in result.regions:
            self.stdout.write(json.dumps(region.as_dict()))
        self.stdout.write(
            f"{len(result.regions)} regions, {int(mask.sum())} px filled with "
            f"{options['method']} on {result.device} in {result.seconds:.2f} s -> {options['out']}"
        )
