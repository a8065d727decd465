"""Small statistics shared by the calibrated confidences (inpainting regions, filled holes):
a one-feature logistic regression and Spearman's rank correlation. Framework-free (numpy,
scipy)."""

from __future__ import annotations

import math

import numpy as np


def fit_logistic(x: np.ndarray, y: np.ndarray, steps: int = 50) -> tuple[float, float]:
    """(slope, offset) of P(y = 1) = sigmoid(slope * x + offset) by Newton steps, the slope kept
    >= 0 (confidence rises with the feature); a slope of 0 falls back to the base rate."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    design = np.stack([x, np.ones_like(x)], axis=1)
    w = np.array([0.0, 0.0])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(design @ w)))
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + 1e-3 * np.eye(2)
        w = w + np.linalg.solve(hessian, design.T @ (y - p))
    slope = max(0.0, float(w[0]))
    prior = math.log((y.mean() + 1e-3) / (1 - y.mean() + 1e-3))
    offset = float(w[1]) if slope > 0 else prior
    return slope, offset


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, np.float64)))


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (average ranks for ties); nan below three pairs or when
    one side is constant."""
    from scipy.stats import spearmanr

    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:  # undefined on a constant input
        return float("nan")
    return float(spearmanr(a, b).statistic)
