"""`manage.py compare_captures REFERENCE NEW --out DIR`: what changed between two captures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from django.core.management.base import BaseCommand, CommandError

from restoration.damage import ImageInputError, load_image, load_model
from restoration.damage.change import RegistrationError, compare_captures, heat_map
from restoration.damage.inference import predict_probabilities


class Command(BaseCommand):
    help = (
        "Compare a new capture of an object with a reference one: align them (--same-layout for a "
        "new texture of the same UV atlas; otherwise a photograph registered by its features), "
        "measure the colour shift in ΔE00 and, with --detect, find new damage of every class. "
        "Writes delta_e.png (heat map, white = ΔE00 of 10 or more), aligned.png, new_<class>.png "
        "and summary.json to --out, and prints the summary."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("reference", type=Path)
        parser.add_argument("new", type=Path)
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--same-layout", action="store_true")
        parser.add_argument("--detect", action="store_true", help="run the damage detector")
        parser.add_argument("--weights", type=Path, help="checkpoint (default: the committed one)")
        parser.add_argument("--max-pixels", type=int, default=40_000_000)

    def handle(self, *args: Any, **options: Any) -> None:
        images = []
        for name in ("reference", "new"):
            try:
                images.append(load_image(options[name], max_pixels=options["max_pixels"]))
            except ImageInputError as exc:
                raise CommandError(f"{options[name]}: {exc} ({exc.code})") from exc
        reference, new = images
        try:
            result = compare_captures(reference, new, same_layout=options["same_layout"])
            if options["detect"]:
                model = load_model(options["weights"])
                before = predict_probabilities(reference, model)
                after = predict_probabilities(result.registration.aligned, model)
                result = compare_captures(
                    reference, new, same_layout=options["same_layout"],
                    probabilities=(before, after), classes=tuple(model.classes),
                )  # fmt: skip
        except RegistrationError as exc:
            raise CommandError(f"cannot align the captures: {exc} ({exc.code})") from exc
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        out: Path = options["out"]
        out.mkdir(parents=True, exist_ok=True)
        heat = cv2.cvtColor(heat_map(result.delta_e), cv2.COLOR_RGB2BGR)
        cv2.imwrite(str(out / "delta_e.png"), heat)
        aligned = cv2.cvtColor(result.registration.aligned, cv2.COLOR_RGB2BGR)
        cv2.imwrite(str(out / "aligned.png"), aligned)
        for name, mask in result.new_damage.items():
            cv2.imwrite(str(out / f"new_{name}.png"), mask.astype(np.uint8) * 255)
        summary = result.summary()
        (out / "summary.json").write_text(json.dumps(summary, indent=2))
        self.stdout.write(json.dumps(summary, indent=2))
