"""Fit and measure the per-class calibration on grouped validation and test splits.

Framework-free; `manage.py calibrate_damage` is the entry point. The data, split so that no
source sits on two sides:

- crack: the masonry patches' validation and test sides (grouped by source photograph, the
  training split, `data.grouped_split`), plus synthetic damage on artworks (below);
- every class: synthetic damage (`synth.py`) drawn on the artworks and scan textures the training
  held out (the first tenth of its seeded permutation, never trained on), which are split again
  by their manifest's `split_group` (artist, Mucha year, Morris design) into validation and test;
- false alarms: the same held-out artworks as they are (sound), every pixel negative for every
  class (hard negatives: paint, ornament lines, brush strokes, print textures).

Choices (Platt parameters, the confident and uncertain cut-offs) are made on validation only;
the test side is read once, when asked, and reported beside validation.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .calibration import Calibration, expected_calibration_error, fit_class
from .config import DAMAGE_CLASSES
from .data import (
    IMAGE_SUFFIXES,
    DamageDataset,
    grouped_split,
    heritage_images,
    masonry_pairs,
    read_mask,
)
from .imageio import load_image
from .model import DamageModel, weights_digest

SYNTH_PER_SIDE = 48


@dataclass
class Side:
    """Images with per-class truth (None: that class is not labelled on the image)."""

    images: list[np.ndarray] = field(default_factory=list)
    truths: list[list[np.ndarray | None]] = field(default_factory=list)
    sound: list[np.ndarray] = field(default_factory=list)
    sources: dict[str, int] = field(default_factory=dict)


def heritage_groups(root: Path) -> list[str]:
    """The split group of every image `data.heritage_images` returns, in its order."""
    groups: dict[str, str] = {}
    manifest = root / "images" / "manifest.csv"
    if manifest.is_file():
        with manifest.open(newline="") as handle:
            groups = {row["file"]: row["split_group"] for row in csv.DictReader(handle)}
    folder = root / "images"
    names = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return [groups.get(name, name) for name in names]


def split_sides(root: Path, *, seed: int = 0) -> dict[str, Side]:
    """Validation and test sides (see the module docstring)."""
    sides = {"val": Side(), "test": Side()}
    pairs = masonry_pairs(root)
    split = grouped_split([n for n, _, _ in pairs], seed=seed)
    by_name = {n: (i, m) for n, i, m in pairs}
    for side in ("val", "test"):
        for name in split[side]:
            image, mask = by_name[name]
            sides[side].images.append(load_image(image))
            sides[side].truths.append([read_mask(mask), None, None, None])
        sides[side].sources["masonry patches"] = len(split[side])
    heritage = heritage_images(root)
    groups = heritage_groups(root)
    groups += ["scan-textures"] * (len(heritage) - len(groups))
    # The training's held-out tenth (train.train: permutation with its seed, first len // 10).
    held = np.random.default_rng(seed).permutation(len(heritage))[: len(heritage) // 10]
    held_groups = sorted({groups[i] for i in held})
    np.random.default_rng(seed + 7).shuffle(held_groups)
    val_groups = set(held_groups[::2])
    for side in ("val", "test"):
        chosen = [heritage[i] for i in held if (groups[i] in val_groups) == (side == "val")]
        sides[side].sound = chosen
        sides[side].sources["held-out artworks"] = len(chosen)
        if not chosen:
            continue
        offset = 2000 if side == "val" else 3000
        synthetic = DamageDataset(
            masonry=[], heritage=chosen, corrections=[], length=SYNTH_PER_SIDE, seed=seed + offset
        )
        for index in range(SYNTH_PER_SIDE):
            sample = synthetic.sample(index)
            sides[side].images.append(sample.image)
            sides[side].truths.append([m > 0.5 for m in sample.masks])
        sides[side].sources["synthetic damage crops"] = SYNTH_PER_SIDE
    return sides


Predict = Callable[[np.ndarray], np.ndarray]


@dataclass
class Predicted:
    """The raw network's (C, H, W) probabilities on a side's images and sound artworks, computed
    once and shared by the fit and both measurements."""

    side: Side
    probs: list[np.ndarray]
    sound: list[np.ndarray]


def predict_side(side: Side, predict: Predict) -> Predicted:
    return Predicted(
        side, [predict(image) for image in side.images], [predict(image) for image in side.sound]
    )


def _class_data(
    side: Side, probs: list[np.ndarray], sound_probs: list[np.ndarray], c: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    scores: list[np.ndarray] = []
    truths: list[np.ndarray] = []
    for p, truth in zip(probs, side.truths, strict=True):
        labelled = truth[c]
        if labelled is not None:
            scores.append(p[c])
            truths.append(labelled)
    for p in sound_probs:
        scores.append(p[c])
        truths.append(np.zeros(p.shape[1:], bool))
    return scores, truths


def measure(
    predicted: Predicted, calibration: Calibration | None, model: DamageModel
) -> dict[str, dict[str, float]]:
    """Per class: ECE (raw or calibrated), false-alarm shares on sound artworks (painted and
    uncertain), recall on labelled damage (confident, and confident + uncertain)."""
    side, probs, sound = predicted.side, predicted.probs, predicted.sound
    if calibration is not None:
        probs = [calibration.calibrate(p, model.classes) for p in probs]
        sound = [calibration.calibrate(p, model.classes) for p in sound]
    out = {}
    for c, name in enumerate(DAMAGE_CLASSES):
        scores, truths = _class_data(side, probs, sound, c)
        if not scores:
            continue
        flat_p = np.concatenate([s.ravel() for s in scores])
        flat_t = np.concatenate([t.ravel() for t in truths])
        if calibration is not None:
            cut = calibration.classes[name]
            painted, maybe = cut.confident, cut.uncertain
        else:
            painted = maybe = model.thresholds[name]
        sound_pixels = np.concatenate([p[c].ravel() for p in sound]) if sound else np.zeros(1)
        positives = flat_p[flat_t]
        out[name] = {
            "ece": expected_calibration_error(flat_p, flat_t),
            "false_alarm": float((sound_pixels >= painted).mean()),
            "false_uncertain": float(((sound_pixels >= maybe) & (sound_pixels < painted)).mean()),
            "recall": float((positives >= painted).mean()) if positives.size else float("nan"),
            "recall_with_uncertain": (
                float((positives >= maybe).mean()) if positives.size else float("nan")
            ),
        }
    return out


def fit(validation: Predicted, weights: Path) -> Calibration:
    """Per-class calibration fitted on the validation side only."""
    val, probs, sound = validation.side, validation.probs, validation.sound
    classes = {}
    for c, name in enumerate(DAMAGE_CLASSES):
        scores, truths = _class_data(val, probs, sound, c)
        classes[name] = fit_class(name, scores, truths, sound=[p[c] for p in sound])
    meta: dict[str, Any] = {
        "fitted_on": {k: v for k, v in val.sources.items()},
        "rule": "Platt scaling per class on validation pixels; confident = best F1 at >= 0.5; "
        "uncertain = covers 90 % of validation damage with the confident band, raised to cover "
        "at most 3 % of sound artworks; fading: hint only",
    }
    return Calibration(weights_digest(weights), classes, meta)
