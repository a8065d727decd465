"""Choose a snapshot of a `gpu_train` run on validation and export it as committed weights.

    python -m restoration.damage.snapshots --snapshots RUN/snapshots.pt --data ROOT \
        [--current restoration/weights/damage_unet.pt] [--export LABEL --out W.pt]

Framework-free. Every candidate (the EMA weights of each snapshot, the last raw weights, and the
current committed weights for comparison) is scored on the VALIDATION side only:

- masonry val patches (grouped by photograph): ODS F1 at 2 px;
- drawn damage on the validation artworks (`drawn_damage`, real crack shapes of the masonry val
  photographs) plus the sound validation artworks as negatives: crack ODS F1 at 2 px.

The rule: the best mean of the two. The exported checkpoint's thresholds are chosen on
validation too: crack at the masonry val ODS threshold, the other classes at the best F1 (0 px)
on the validation side's synthetic damage crops.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch

from .calibration_data import split_sides
from .config import DAMAGE_CLASSES
from .drawn_damage import drawn_crops, side_crack_shapes
from .evaluation import best_threshold
from .inference import predict_probabilities
from .metrics import evaluate
from .model import DAMAGE_MODELS, DamageModel, DamageUNet, load_model, save_weights


def candidates(path: Path) -> dict[str, tuple[str, dict[str, torch.Tensor], dict[str, Any]]]:
    """label -> (config name, state dict, info) for every snapshot of a gpu_train run."""
    run = torch.load(path, map_location="cpu", weights_only=False)
    out = {}
    for snap in run["snapshots"]:
        info = {k: snap[k] for k in ("steps", "samples", "wall_s", "loss")}
        out[f"ema@{snap['steps']}"] = (run["model"], snap["ema"], info)
    last = run.get("last")
    if last:
        info = {k: last[k] for k in ("steps", "samples", "wall_s")}
        out[f"raw@{last['steps']}"] = (run["model"], last["raw"], info)
    return out


def to_model(name: str, state: dict[str, torch.Tensor], label: str) -> DamageModel:
    net: DamageUNet = DAMAGE_MODELS.create(name)
    net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    thresholds = dict.fromkeys(net.config.classes, 0.5)
    return DamageModel(net, net.config, thresholds, f"candidate-{label}", "cpu")


class Validation:
    """The validation data, loaded once for every candidate."""

    def __init__(self, root: Path) -> None:
        self.side = split_sides(root)["val"]
        n_masonry = self.side.sources["masonry patches"]
        self.masonry = list(
            zip(self.side.images[:n_masonry], self.side.truths[:n_masonry], strict=True)
        )
        self.synthetic = list(
            zip(self.side.images[n_masonry:], self.side.truths[n_masonry:], strict=True)
        )
        self.drawn = drawn_crops(self.side.sound, side_crack_shapes(root, "val"), side="val")

    def score(self, model: DamageModel) -> dict[str, Any]:
        def probs(image: np.ndarray) -> np.ndarray:
            return predict_probabilities(image, model)

        masonry = evaluate(
            [probs(i)[0] for i, _ in self.masonry],
            [cast(np.ndarray, t[0]) for _, t in self.masonry],
            threshold=0.5,
            tolerances=(2,),
        )
        drawn_p = [probs(c.image) for c in self.drawn]
        sound_p = [probs(i) for i in self.side.sound]
        drawn = evaluate(
            [p[0] for p in drawn_p] + [p[0] for p in sound_p],
            [c.crack for c in self.drawn] + [np.zeros(p.shape[1:], bool) for p in sound_p],
            threshold=0.5,
            tolerances=(2,),
        )
        loss = evaluate(
            [p[1] for p in drawn_p] + [p[1] for p in sound_p],
            [c.loss for c in self.drawn] + [np.zeros(p.shape[1:], bool) for p in sound_p],
            threshold=0.5,
            tolerances=(0,),
        )
        sound = {
            name: float(np.mean([(p[c] >= 0.5).mean() for p in sound_p]))
            for c, name in enumerate(DAMAGE_CLASSES)
        }
        return {
            "masonry_val_ods@2px": masonry["ods@2px"],
            "masonry_val_ods_threshold": masonry["ods_threshold@2px"],
            "drawn_crack_ods@2px": drawn["ods@2px"],
            "drawn_crack_recall@0.5": drawn["recall@2px"],
            "drawn_loss_ods@0px": loss["ods@0px"],
            "sound_flagged@0.5": sound,
            "selection": (masonry["ods@2px"] + drawn["ods@2px"]) / 2,
        }

    def thresholds(self, model: DamageModel, crack: float) -> dict[str, float]:
        out = {"crack": crack}
        probs = [predict_probabilities(i, model) for i, _ in self.synthetic]
        for c, name in enumerate(DAMAGE_CLASSES[1:], start=1):
            scores: list[np.ndarray] = []
            truths: list[np.ndarray] = []
            for p, (_, truth) in zip(probs, self.synthetic, strict=True):
                labelled = truth[c]
                if labelled is not None:
                    scores.append(p[c])
                    truths.append(labelled)
            out[name] = best_threshold(scores, truths, tolerance=0)
        return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--snapshots", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--current", type=Path, default=None, help="committed weights to compare")
    ap.add_argument("--only", nargs="*", default=None, help="labels to score (default: all)")
    ap.add_argument("--export", default=None, help="label to export (default: the best)")
    ap.add_argument("--out", type=Path, default=None, help="write the chosen weights here")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    cands = candidates(args.snapshots)
    val = Validation(args.data)
    results: dict[str, Any] = {}
    if args.current:
        current = load_model(args.current, device="cpu")
        current.calibration = None
        results["current"] = val.score(current)
        print("current", json.dumps(results["current"]), flush=True)
    for label, (name, state, info) in cands.items():
        if args.only and label not in args.only:
            continue
        results[label] = {**info, **val.score(to_model(name, state, label))}
        print(label, json.dumps(results[label]), flush=True)
    ranked = [k for k in results if k != "current"]
    best = args.export or max(ranked, key=lambda k: results[k]["selection"])
    print(f"best on validation: {best}")
    if args.out:
        name, state, info = cands[best]
        model = to_model(name, state, best)
        model.thresholds = val.thresholds(model, results[best]["masonry_val_ods_threshold"])
        meta = {"snapshot": best, **info, "validation": results[best], "candidates": results}
        save_weights(model, args.out, meta=meta)
        print(f"wrote {args.out} with thresholds {model.thresholds}")


if __name__ == "__main__":
    main()
