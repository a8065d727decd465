"""`python manage.py calibrate_inpaint --images DIR --weights A.pt[,B.pt...] [--seeds 0]`:
every choice about the learned inpainting, made on the VALIDATION split only.

- Each candidate weights file (e.g. snapshots of a GPU run, `restoration.inpaint.snapshots`) is
  run on the validation artworks with large and thin masks beside the classical methods, same
  masks; the one with the largest mean gain over the best classical method is chosen.
- The per-region predicted PSNR and confidence (restoration.inpaint.confidence) are fitted on
  the regions the chosen model and the classical methods filled, and written beside the chosen
  weights (`<weights>.confidence.json`); the grouped (by image) cross-validated Spearman is
  printed.
- With `--plan`, the no-reference planner runs with the first candidate and its picks are
  checked against the reference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from restoration.inpaint.confidence import calibration_path, fit, spearman
from restoration.inpaint.data import split_groups
from restoration.inpaint.evaluate import RegionRow, Report, eval_images, evaluate
from restoration.inpaint.inference import LEARNED
from restoration.inpaint.learned import WEIGHTS, load_inpainter
from restoration.inpaint.masks import KINDS


class Command(BaseCommand):
    help = "Choose between inpainting weights and fit their confidence, on the validation split."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--images", type=Path, required=True)
        parser.add_argument("--weights", default=str(WEIGHTS), help="comma-separated candidates")
        parser.add_argument("--out", type=Path, help="calibration file; default: beside the choice")
        parser.add_argument("--seeds", default="0")
        parser.add_argument("--classical", default="telea,ns")
        parser.add_argument("--plan", action="store_true")
        parser.add_argument("--limit", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        folder: Path = options["images"]
        if not folder.is_dir():
            raise CommandError(f"--images {folder} is not a folder")
        names = {n for n, side in split_groups(folder).items() if side == "val"}
        images = eval_images(folder, names)[: options["limit"] or None]
        if not images:
            raise CommandError(f"no validation images in {folder}")
        candidates = [Path(w) for w in options["weights"].split(",") if w]
        classical = [m for m in options["classical"].split(",") if m]
        seeds = [int(s) for s in options["seeds"].split(",")]
        self.stdout.write(f"validation split: {len(images)} images, seeds {seeds}")

        def run(methods: list[str], inpainter: Any, kind: str) -> Report:
            merged = Report()
            for seed in seeds:
                part = evaluate(
                    images,
                    methods,
                    kind=kind,
                    seed=seed,
                    inpainter=inpainter,
                    features=True,
                    calibration=None,
                )
                merged.rows += part.rows
                merged.regions += part.regions
            return merged

        baseline = {kind: run(classical, None, kind) for kind in KINDS}
        gains: dict[Path, float] = {}
        chosen_regions: dict[Path, list[RegionRow]] = {}
        for number, weights in enumerate(candidates):
            inpainter = load_inpainter(weights)
            methods = [LEARNED, "plan"] if options["plan"] and number == 0 else [LEARNED]
            per_kind = []
            chosen_regions[weights] = []
            for kind in KINDS:
                ours = run(methods, inpainter, kind)
                report = Report(
                    baseline[kind].rows + ours.rows, baseline[kind].regions + ours.regions
                )
                self.stdout.write(f"\n{weights.name}, {kind} masks (validation):")
                self.stdout.write(report.table(LEARNED))
                accuracy = report.plan_accuracy(LEARNED)
                if accuracy:
                    self.stdout.write(accuracy)
                best = report.best_classical(LEARNED)
                assert best is not None
                per_kind.append(
                    float(
                        report.values(LEARNED, "psnr").mean() - report.values(best, "psnr").mean()
                    )
                )
                chosen_regions[weights] += [r for r in ours.regions if r.method == LEARNED]
            gains[weights] = float(np.mean(per_kind))
        choice = max(candidates, key=lambda w: gains[w])
        self.stdout.write(
            "\nmean gain over the best classical (large, thin averaged): "
            + ", ".join(f"{w.name} {g:+.2f} dB" for w, g in gains.items())
            + f"; chosen: {choice}"
        )
        regions = chosen_regions[choice] + [r for k in KINDS for r in baseline[k].regions]
        features = np.stack([r.features for r in regions if r.features is not None])
        psnr = np.array([r.psnr for r in regions])
        calibration = fit(features, psnr)
        out = options["out"] or calibration_path(choice)
        calibration.save(out)
        cross = cross_validated(regions)
        self.stdout.write(f"confidence fitted on {len(regions)} validation regions -> {out}")
        for method in [LEARNED, *classical]:
            keep = np.array([r.method == method for r in regions])
            reach = np.array([r.reach_score for r in regions])[keep]
            self.stdout.write(
                f"  {method:<11} Spearman with real PSNR, cross-validated by image: "
                f"{spearman(cross[keep], psnr[keep]):+.2f} (former reach score "
                f"{spearman(reach, psnr[keep]):+.2f}, {int(keep.sum())} regions)"
            )
        self.stdout.write(f"  all         {spearman(cross, psnr):+.2f}")
        for kind in KINDS:  # within a mask kind: the harder test (thin vs large is easy)
            keep = np.array([r.kind == kind for r in regions])
            self.stdout.write(
                f"  {kind} masks only: {spearman(cross[keep], psnr[keep]):+.2f} "
                f"({int(keep.sum())} regions)"
            )


def cross_validated(regions: list[RegionRow], folds: int = 5) -> np.ndarray:
    """Each region's prediction from a fit on the other images' regions (grouped CV)."""
    names = sorted({r.image for r in regions})
    fold_of = {name: i % folds for i, name in enumerate(names)}
    features = np.stack([r.features for r in regions if r.features is not None])
    psnr = np.array([r.psnr for r in regions])
    predicted = np.zeros(len(regions))
    for fold in range(folds):
        held = np.array([fold_of[r.image] == fold for r in regions])
        if held.any() and not held.all():
            predicted[held] = fit(features[~held], psnr[~held]).predict_psnr(features[held])
    return predicted
