"""Pixel metrics for thin-structure segmentation: P/R/F1 with a distance tolerance, ODS, OIS, mIoU.

With tolerance t, a predicted pixel is a true positive for precision when a ground-truth pixel lies
within t px (Euclidean), and a ground-truth pixel counts as found for recall when a prediction lies
within t px (the usual relaxed crack-detection measure). t = 0 is the plain pixel measure.
ODS: one threshold for the whole set (best F1 of the pooled counts). OIS: the best threshold per
image, counts pooled. mIoU: the mean over {background, crack} of the pooled IoU at a threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

DEFAULT_THRESHOLDS = np.round(np.linspace(0.02, 0.98, 49), 4)


@dataclass(frozen=True)
class Counts:
    """Pooled counts: predictions that hit, predictions, truth pixels found, truth pixels."""

    tp_pred: int = 0
    pred: int = 0
    tp_true: int = 0
    true: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.tp_pred + other.tp_pred,
            self.pred + other.pred,
            self.tp_true + other.tp_true,
            self.true + other.true,
        )

    @property
    def precision(self) -> float:
        # An empty prediction on an empty truth is perfect; on a non-empty truth it scores 0 recall.
        return self.tp_pred / self.pred if self.pred else (1.0 if not self.true else 0.0)

    @property
    def recall(self) -> float:
        return self.tp_true / self.true if self.true else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _near(mask: np.ndarray, tolerance: float) -> np.ndarray:
    """Pixels within `tolerance` px of a True pixel of `mask`."""
    if tolerance <= 0:
        return mask
    if not mask.any():
        return mask
    return ndimage.distance_transform_edt(~mask) <= tolerance


def pixel_counts(pred: np.ndarray, truth: np.ndarray, *, tolerance: float = 0) -> Counts:
    """Counts for one binary prediction against one binary truth of the same shape."""
    pred = np.asarray(pred, bool)
    truth = np.asarray(truth, bool)
    if pred.shape != truth.shape:
        raise ValueError(f"prediction {pred.shape} and truth {truth.shape} differ in shape")
    return Counts(
        tp_pred=int((pred & _near(truth, tolerance)).sum()),
        pred=int(pred.sum()),
        tp_true=int((truth & _near(pred, tolerance)).sum()),
        true=int(truth.sum()),
    )


def prf(pred: np.ndarray, truth: np.ndarray, *, tolerance: float = 0) -> tuple[float, float, float]:
    """(precision, recall, F1) of one binary prediction."""
    c = pixel_counts(pred, truth, tolerance=tolerance)
    return c.precision, c.recall, c.f1


def _counts_by_threshold(
    prob: np.ndarray,
    truth: np.ndarray,
    thresholds: Sequence[float] | np.ndarray,
    tolerance: float,
) -> list[Counts]:
    truth = np.asarray(truth, bool)
    near_truth = _near(truth, tolerance)
    out = []
    for t in thresholds:
        pred = prob >= t
        out.append(
            Counts(
                int((pred & near_truth).sum()),
                int(pred.sum()),
                int((truth & _near(pred, tolerance)).sum()),
                int(truth.sum()),
            )
        )
    return out


def iou(pred: np.ndarray, truth: np.ndarray) -> float:
    pred, truth = np.asarray(pred, bool), np.asarray(truth, bool)
    union = (pred | truth).sum()
    return float((pred & truth).sum() / union) if union else 1.0


def evaluate(
    probs: Sequence[np.ndarray],
    truths: Sequence[np.ndarray],
    *,
    threshold: float,
    tolerances: Sequence[float] = (0, 2),
    thresholds: Sequence[float] | np.ndarray = DEFAULT_THRESHOLDS,
) -> dict[str, float]:
    """All figures for score maps in [0, 1] against binary truths, pooled over the set.

    `threshold` gives the fixed-threshold P/R/F1 and mIoU; ODS and OIS sweep `thresholds`.
    """
    if len(probs) != len(truths) or not probs:
        raise ValueError("need as many score maps as truths, and at least one")
    out: dict[str, float] = {"threshold": float(threshold), "images": len(probs)}
    for tol in tolerances:
        fixed = Counts()
        ods = [Counts() for _ in thresholds]
        ois = Counts()
        for prob, truth in zip(probs, truths, strict=True):
            fixed = fixed + pixel_counts(prob >= threshold, truth, tolerance=tol)
            per = _counts_by_threshold(prob, truth, thresholds, tol)
            ods = [a + b for a, b in zip(ods, per, strict=True)]
            ois = ois + max(per, key=lambda c: c.f1)
        key = f"{tol:g}px"
        out[f"precision@{key}"] = fixed.precision
        out[f"recall@{key}"] = fixed.recall
        out[f"f1@{key}"] = fixed.f1
        best = int(np.argmax([c.f1 for c in ods]))
        out[f"ods@{key}"] = ods[best].f1
        out[f"ods_threshold@{key}"] = float(thresholds[best])
        out[f"ois@{key}"] = ois.f1
    inter = union = inter_bg = union_bg = 0
    for prob, truth in zip(probs, truths, strict=True):
        pred, truth = prob >= threshold, np.asarray(truth, bool)
        inter += int((pred & truth).sum())
        union += int((pred | truth).sum())
        inter_bg += int((~pred & ~truth).sum())
        union_bg += int((~pred | ~truth).sum())
    iou_crack = inter / union if union else 1.0
    iou_bg = inter_bg / union_bg if union_bg else 1.0
    out["iou_crack"] = iou_crack
    out["miou"] = (iou_crack + iou_bg) / 2
    return out
