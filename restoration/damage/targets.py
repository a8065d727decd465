"""#18's measures of a shipped detector, on the validation and test sides, with classical baselines.

Framework-free; `tests/bench/test_bench_damage_targets.py` prints them. Per side
(`calibration_data.split_sides`, grouped by source):

- false alarms: the share of pixels of the sound held-out artworks each class paints (the
  calibrated confident band; fading is never painted from one image, so for fading the share
  above its uncertain band is reported as well);
- drawn damage (`drawn_damage`): real crack shapes of that side's masonry photographs and losses
  on that side's artworks; recall (0 and 2 px) and precision of what is painted;
- ECE per class, raw and calibrated (`calibration_data.measure`);
- baselines from the same run: black-hat for cracks (its threshold from the masonry train side),
  the colour distance from a wide median for the other classes (threshold: best F1 on the
  validation side's drawn losses; the same map serves corrosion and fading).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .baseline import DEFAULT_THRESHOLDS, blackhat_scores
from .calibration_data import Predicted, measure, predict_side, split_sides
from .config import DAMAGE_CLASSES
from .drawn_damage import DrawnCrop, drawn_crops, loss_baseline_scores, side_crack_shapes
from .evaluation import best_threshold
from .inference import predict_probabilities
from .metrics import pixel_counts
from .model import DamageModel

TARGETS = {"false_alarm": 0.02, "drawn_recall": 0.6, "ece": 0.05}


@dataclass
class SideData:
    predicted: Predicted  # the raw network on the calibration side
    drawn: list[DrawnCrop]
    drawn_probs: list[np.ndarray]


def load_sides(root: Path, model: DamageModel, sides: tuple[str, ...]) -> dict[str, SideData]:
    """Raw-network predictions on each side's images, sound artworks and drawn crops."""
    split = split_sides(root)
    calibration, model.calibration = model.calibration, None
    try:

        def predict(image: np.ndarray) -> np.ndarray:
            return predict_probabilities(image, model)

        out = {}
        for side in sides:
            drawn = drawn_crops(split[side].sound, side_crack_shapes(root, side), side=side)
            out[side] = SideData(
                predict_side(split[side], predict), drawn, [predict(c.image) for c in drawn]
            )
        return out
    finally:
        model.calibration = calibration


def painted(model: DamageModel, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(painted, at least uncertain) masks (C, H, W) from raw probabilities."""
    cal = model.calibration
    if cal is None:
        cuts = np.array([model.thresholds[c] for c in model.classes])[:, None, None]
        return probs >= cuts, probs >= cuts
    p = cal.calibrate(probs, model.classes)
    confident = np.array([cal.classes[c].confident for c in model.classes])[:, None, None]
    uncertain = np.array([cal.classes[c].uncertain for c in model.classes])[:, None, None]
    return p >= confident, p >= uncertain


def _recall_precision(preds: list[np.ndarray], truths: list[np.ndarray]) -> dict[str, float]:
    out = {}
    for tol in (0, 2):
        counts = [pixel_counts(p, t, tolerance=tol) for p, t in zip(preds, truths, strict=True)]
        found, true = sum(c.tp_true for c in counts), sum(c.true for c in counts)
        hit, pred = sum(c.tp_pred for c in counts), sum(c.pred for c in counts)
        out[f"recall@{tol}px"] = found / true if true else float("nan")
        out[f"precision@{tol}px"] = hit / pred if pred else float("nan")
    return out


def colour_threshold(val: SideData) -> float:
    """The colour-distance baseline's threshold: best F1 (0 px) on validation's drawn losses
    with the sound validation artworks as negatives."""
    scores = [loss_baseline_scores(c.image) for c in val.drawn]
    truths = [c.loss for c in val.drawn]
    for image in val.predicted.side.sound:
        scores.append(loss_baseline_scores(image))
        truths.append(np.zeros(image.shape[:2], bool))
    return best_threshold(scores, truths, tolerance=0)


def side_figures(model: DamageModel, data: SideData, colour_cut: float) -> dict[str, Any]:
    """Every #18 figure of one side for the model and the baselines."""
    sound = data.predicted.side.sound
    marks = [painted(model, p) for p in data.predicted.sound]
    false_alarm = {
        name: float(np.mean([m[0][c].mean() for m in marks]))
        for c, name in enumerate(DAMAGE_CLASSES)
    }
    fading = DAMAGE_CLASSES.index("fading")
    hat = [blackhat_scores(i) >= DEFAULT_THRESHOLDS["blackhat"] for i in sound]
    colour = [loss_baseline_scores(i) >= colour_cut for i in sound]
    drawn_marks = [painted(model, p)[0] for p in data.drawn_probs]
    loss = DAMAGE_CLASSES.index("loss")
    with_loss = [i for i, c in enumerate(data.drawn) if c.loss.any()]
    return {
        "false_alarm": false_alarm,
        "fading_above_uncertain": float(np.mean([m[1][fading].mean() for m in marks])),
        "baseline_false_alarm": {
            "crack (black-hat)": float(np.mean([h.mean() for h in hat])),
            "other classes (colour distance)": float(np.mean([c.mean() for c in colour])),
        },
        "drawn_crack": _recall_precision(
            [m[0] for m in drawn_marks], [c.crack for c in data.drawn]
        ),
        "drawn_loss": _recall_precision(
            [drawn_marks[i][loss] for i in with_loss], [data.drawn[i].loss for i in with_loss]
        ),
        "baseline_drawn_crack": _recall_precision(
            [blackhat_scores(c.image) >= DEFAULT_THRESHOLDS["blackhat"] for c in data.drawn],
            [c.crack for c in data.drawn],
        ),
        "baseline_drawn_loss": _recall_precision(
            [loss_baseline_scores(data.drawn[i].image) >= colour_cut for i in with_loss],
            [data.drawn[i].loss for i in with_loss],
        ),
        "ece_raw": {k: v["ece"] for k, v in measure(data.predicted, None, model).items()},
        "ece": (
            {k: v["ece"] for k, v in measure(data.predicted, model.calibration, model).items()}
            if model.calibration
            else {}
        ),
    }


def figures(root: Path, model: DamageModel, sides: tuple[str, ...] = ("val", "test")) -> dict:
    """{side: side_figures} with the baselines' thresholds fixed on validation."""
    data = load_sides(root, model, tuple(dict.fromkeys(("val", *sides))))
    cut = colour_threshold(data["val"])
    out: dict[str, Any] = {"colour_distance_threshold": cut}
    for side in sides:
        out[side] = side_figures(model, data[side], cut)
    return out


def format_figures(result: dict[str, Any]) -> str:
    """A plain table per side: model, baseline, ratio, target."""
    lines = []
    for side in ("val", "test"):
        if side not in result:
            continue
        r = result[side]
        lines.append(f"[{side}] false alarms on sound artworks (target <= 2 %):")
        for name, v in r["false_alarm"].items():
            lines.append(f"  {name:<10} painted {v:7.2%}")
        lines.append(f"  fading above its uncertain band {r['fading_above_uncertain']:7.2%}")
        for name, v in r["baseline_false_alarm"].items():
            lines.append(f"  baseline {name}: {v:7.2%}")
        for kind in ("crack", "loss"):
            ours, base = r[f"drawn_{kind}"], r[f"baseline_drawn_{kind}"]
            lines.append(f"[{side}] drawn {kind} (target recall >= 0.6):")
            for key in ("recall@0px", "recall@2px", "precision@2px"):
                ratio = ours[key] / base[key] if base[key] else float("inf")
                lines.append(
                    f"  {key:<14} ours {ours[key]:.3f}  baseline {base[key]:.3f}  ratio {ratio:.2f}"
                )
        lines.append(f"[{side}] ECE (target <= 0.05): calibrated vs raw network (the baseline)")
        for name, raw in r["ece_raw"].items():
            cal = r["ece"].get(name, float("nan"))
            lines.append(f"  {name:<10} {cal:.4f} vs {raw:.4f}  ratio {cal / raw:.2f}")
    return "\n".join(lines)
