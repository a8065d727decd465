"""`python manage.py detect_damage IMAGE --out DIR`: masks, probability maps, Grad-CAM, summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from restoration.damage import (
    DAMAGE_CLASSES,
    ImageInputError,
    detect,
    load_image,
    load_model,
    write_outputs,
)


class Command(BaseCommand):
    help = (
        "Detect damage (crack, loss, corrosion, fading) on one image. Writes <class>_mask.png, "
        "probability_<class>.png, probability.png (colour map of the highest probability), "
        "gradcam.png and summary.json (with area in cm² when --metres-per-pixel is given) to --out."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("image", type=Path)
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--weights", type=Path, help="Checkpoint (default: the committed one)")
        parser.add_argument("--metres-per-pixel", type=float, help="Scale of the image, for areas")
        parser.add_argument("--explain-class", default="crack", choices=DAMAGE_CLASSES)
        parser.add_argument("--no-explain", action="store_true", help="Skip the Grad-CAM map")
        parser.add_argument("--tile", type=int, default=512)
        parser.add_argument("--overlap", type=int, default=64)
        parser.add_argument("--max-pixels", type=int, default=40_000_000)

    def handle(self, *args: Any, **options: Any) -> None:
        mpp = options["metres_per_pixel"]
        if mpp is not None and not mpp > 0:
            raise CommandError("--metres-per-pixel must be positive")
        try:
            image = load_image(options["image"], max_pixels=options["max_pixels"])
        except ImageInputError as exc:
            raise CommandError(f"{options['image']}: {exc} ({exc.code})") from exc
        try:
            model = load_model(options["weights"])
            result = detect(
                image,
                model=model,
                explain=not options["no_explain"],
                explain_class=options["explain_class"],
                tile=options["tile"],
                overlap=options["overlap"],
            )
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        paths = write_outputs(result, options["out"], metres_per_pixel=mpp, image=image)
        summary = result.summary(metres_per_pixel=mpp)
        summary["files"] = {k: str(v) for k, v in paths.items()}
        self.stdout.write(json.dumps(summary, indent=2))
