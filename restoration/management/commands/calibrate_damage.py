"""`manage.py calibrate_damage --data ROOT`: fit the detector's calibration on validation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from restoration.damage.calibration_data import fit, measure, predict_side, split_sides
from restoration.damage.inference import predict_probabilities
from restoration.damage.model import calibration_path, default_weights_path, load_model


class Command(BaseCommand):
    help = (
        "Fit Platt scaling and the confident / uncertain cut-offs of every damage class on the "
        "validation side (masonry patches and synthetic damage on held-out artworks, grouped by "
        "source), print ECE, false alarms on sound artworks and recall before and after, and with "
        "--read-test the same on the test side (read once). --write stores the sidecar next to "
        "the weights (damage_unet.calibration.json)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--data", type=Path, required=True, help="the shared data root")
        parser.add_argument("--weights", type=Path, default=None)
        parser.add_argument("--read-test", action="store_true")
        parser.add_argument("--write", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        root: Path = options["data"]
        if not (root / "damage" / "masonry-cracks").is_dir() or not (root / "images").is_dir():
            raise CommandError(f"{root} has no damage/masonry-cracks and images/ folders")
        weights = options["weights"] or default_weights_path()
        model = load_model(weights)
        model.calibration = None  # fit and measure the raw network

        def predict(image: Any) -> Any:
            return predict_probabilities(image, model)

        sides = split_sides(root)
        validation = predict_side(sides["val"], predict)
        calibration = fit(validation, weights)
        report: dict[str, Any] = {"sources": {k: s.sources for k, s in sides.items()}}
        report["val"] = {
            "raw": measure(validation, None, model),
            "calibrated": measure(validation, calibration, model),
        }
        if options["read_test"]:  # only now is the test side predicted at all
            test = predict_side(sides["test"], predict)
            report["test"] = {
                "raw": measure(test, None, model),
                "calibrated": measure(test, calibration, model),
            }
        report["cuts"] = {
            name: {"a": round(c.a, 4), "b": round(c.b, 4), "confident": round(c.confident, 4),
                   "uncertain": round(c.uncertain, 4)}
            for name, c in calibration.classes.items()
        }  # fmt: skip
        self.stdout.write(_table(report))
        if options["write"]:
            meta = dict(calibration.meta, report=_rounded(report))
            path = type(calibration)(calibration.weights, calibration.classes, meta).save(
                calibration_path(weights)
            )
            self.stdout.write(f"wrote {path}")
        self.stdout.write(json.dumps(_rounded(report)))


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def _table(report: dict[str, Any]) -> str:
    lines = [f"{'side':<5} {'class':<10} {'model':<10} {'ECE':>7} {'false alarm':>11} "
             f"{'uncertain':>9} {'recall':>7} {'recall+unc':>10}"]  # fmt: skip
    for side in ("val", "test"):
        for kind in ("raw", "calibrated"):
            for name, row in report.get(side, {}).get(kind, {}).items():
                lines.append(
                    f"{side:<5} {name:<10} {kind:<10} {row['ece']:>7.4f} "
                    f"{row['false_alarm']:>11.2%} {row['false_uncertain']:>9.2%} "
                    f"{row['recall']:>7.3f} {row['recall_with_uncertain']:>10.3f}"
                )
    return "\n".join(lines)
