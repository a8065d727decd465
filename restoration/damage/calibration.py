"""Per-class calibration of the detector's probabilities, and the "uncertain" band.

Framework-free. A stated probability should be right that often: Platt scaling per class
(p' = sigmoid(a * logit(p) + b), two numbers fitted by likelihood on validation pixels) maps the
network's scores to calibrated probabilities. Each class then has two cut-offs on the calibrated
scale, both chosen on validation:

- `confident`: painted as damage (at least 0.5, so a painted pixel is more likely damaged than
  not; above that, the best F1 on validation);
- `uncertain`: from here up to `confident` the class says "uncertain" instead of painting: the
  band that, with the confident pixels, covers 90 % of validation's damaged pixels, raised where
  needed so that it covers at most 3 % of sound artworks' pixels (a hint on a tenth of a sound
  object would be noise, not a hint).

Classes listed in `HINT_ONLY` are never confident from one image: fading cannot be told from a
pale pigment without a reference capture (change.py), so a single image gives only a hint.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize

HINT_ONLY = ("fading",)
EPS = 1e-6
# Pixels per class used to fit (random, seeded): calibration needs thousands, not millions.
FIT_PIXELS = 400_000
UNCERTAIN_COVERAGE = 0.9
UNCERTAIN_ON_SOUND = 0.03
BINS = 15


@dataclass(frozen=True)
class ClassCalibration:
    a: float
    b: float
    confident: float  # calibrated probability from which the class is painted
    uncertain: float  # calibrated probability from which the class says "uncertain"


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p.astype(np.float64), EPS, 1 - EPS)
    return np.log(p / (1 - p))


def apply(p: np.ndarray, a: float, b: float) -> np.ndarray:
    """Calibrated probabilities (same shape, float32)."""
    z = np.clip(a * _logit(p) + b, -30, 30)
    return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


def _sample(
    scores: Sequence[np.ndarray], truths: Sequence[np.ndarray], n: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    s = np.concatenate([x.ravel() for x in scores]).astype(np.float32)
    t = np.concatenate([x.ravel() for x in truths]).astype(bool)
    if s.size > n:
        pick = np.random.default_rng(seed).choice(s.size, n, replace=False)
        s, t = s[pick], t[pick]
    return s, t


def fit_platt(scores: np.ndarray, truths: np.ndarray) -> tuple[float, float]:
    """(a, b) minimising the binary cross-entropy of sigmoid(a * logit(score) + b)."""
    z, y = _logit(scores), truths.astype(np.float64)
    if y.all() or not y.any():
        raise ValueError("calibration needs both damaged and sound pixels")

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        a, b = params
        q = np.clip(1.0 / (1.0 + np.exp(-(a * z + b))), EPS, 1 - EPS)
        nll = -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))
        grad = q - y
        return float(nll), np.array([np.mean(grad * z), np.mean(grad)])

    result = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    a, b = (float(v) for v in result.x)
    return a, b


def expected_calibration_error(probs: np.ndarray, truths: np.ndarray, bins: int = BINS) -> float:
    """ECE over equal-width bins: the mean |accuracy - confidence| weighted by bin size."""
    p, y = probs.ravel().astype(np.float64), truths.ravel().astype(np.float64)
    index = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for k in range(bins):
        inside = index == k
        if inside.any():
            total += inside.sum() * abs(y[inside].mean() - p[inside].mean())
    return float(total / max(p.size, 1))


def _best_f1_cut(p: np.ndarray, y: np.ndarray, floor: float) -> float:
    cuts = np.unique(np.concatenate([[floor], np.linspace(floor, 0.99, 50)]))
    best, best_f1 = floor, -1.0
    for cut in cuts:
        painted = p >= cut
        tp = float((painted & y).sum())
        f1 = 2 * tp / max(float(painted.sum() + y.sum()), 1.0)
        if f1 > best_f1:
            best, best_f1 = float(cut), f1
    return best


def _coverage_cut(p: np.ndarray, y: np.ndarray, coverage: float, ceiling: float) -> float:
    positives = np.sort(p[y])
    if positives.size == 0:
        return ceiling
    cut = float(positives[int((1 - coverage) * positives.size)])
    return min(max(cut, 0.05), ceiling)


def fit_class(
    name: str,
    scores: Sequence[np.ndarray],
    truths: Sequence[np.ndarray],
    *,
    sound: Sequence[np.ndarray] = (),
    seed: int = 0,
) -> ClassCalibration:
    """Calibration and bands of one class from validation images' scores and truth masks;
    `sound`: scores on sound objects (also among `scores`, as negatives), for the hint budget."""
    s, t = _sample(scores, truths, FIT_PIXELS, seed)
    a, b = fit_platt(s, t)
    p = apply(s, a, b)
    confident = 1.01 if name in HINT_ONLY else _best_f1_cut(p, t, 0.5)
    ceiling = min(confident, 0.99)
    uncertain = _coverage_cut(p, t, UNCERTAIN_COVERAGE, ceiling)
    if sound:
        on_sound = apply(np.concatenate([x.ravel() for x in sound]), a, b)
        budget = float(np.quantile(on_sound, 1 - UNCERTAIN_ON_SOUND))
        uncertain = min(max(uncertain, budget), ceiling)
    return ClassCalibration(a, b, confident, uncertain)


@dataclass(frozen=True)
class Calibration:
    """Every class's calibration, for the weights whose digest is `weights`."""

    weights: str
    classes: dict[str, ClassCalibration]
    meta: dict[str, Any]

    def calibrate(self, probabilities: np.ndarray, names: Sequence[str]) -> np.ndarray:
        out = probabilities.astype(np.float32, copy=True)
        for i, name in enumerate(names):
            if name in self.classes:
                c = self.classes[name]
                out[i] = apply(probabilities[i], c.a, c.b)
        return out

    def bands(
        self, calibrated: np.ndarray, names: Sequence[str]
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """(confident masks, uncertain masks) per class from calibrated (C, H, W) probabilities."""
        confident, uncertain = {}, {}
        for i, name in enumerate(names):
            c = self.classes[name]
            confident[name] = calibrated[i] >= c.confident
            uncertain[name] = (calibrated[i] >= c.uncertain) & ~confident[name]
        return confident, uncertain

    def save(self, path: Path) -> Path:
        body = {
            "weights": self.weights,
            "classes": {k: asdict(v) for k, v in self.classes.items()},
            "meta": self.meta,
        }
        path.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
        return path

    @classmethod
    def load(cls, path: Path) -> Calibration:
        body = json.loads(path.read_text())
        classes = {k: ClassCalibration(**v) for k, v in body["classes"].items()}
        return cls(str(body["weights"]), classes, dict(body.get("meta", {})))
