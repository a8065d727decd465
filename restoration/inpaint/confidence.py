"""A fill's expected quality per region, calibrated against real error on the validation split.

The curator sees, per restored region, a predicted PSNR inside the region (dB) and a
confidence: the estimated probability that the fill reaches GOOD_PSNR there. Both come from a
small least-squares model over features computed without the reference:

- size and reach: log of the damaged pixels, mean and largest distance to intact paint;
- what there is to guess: gradient energy and colour spread of the intact ring around it;
- disagreement: how far apart the Telea and push-pull fills are inside it, and how far the
  chosen fill moved from Telea (where the candidates disagree, any one of them is a guess);
- how the chosen fill meets its border (the planner's boundary consistency).

`fit` learns it on regions of validation images (`calibrate_inpaint`); the coefficients live
beside the weights (`inpaint_gated.confidence.json`). Without that file there is no
confidence (None), rather than a number that means nothing.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from museum.common.calibration import fit_logistic, sigmoid, spearman
from restoration.inpaint.classical import blended_fill

__all__ = ["Calibration", "calibration_path", "fit", "region_features", "spearman"]

FEATURES = (
    "log_pixels",
    "mean_reach",
    "max_reach",
    "ring_gradient",
    "ring_spread",
    "fill_disagreement",
    "moved_from_telea",
    "boundary",
)
GOOD_PSNR = 20.0  # dB inside the region: the fill is within a few grey levels of the original
RIDGE = 1e-2


def calibration_path(weights: Path) -> Path:
    """'inpaint_gated.pt' -> 'inpaint_gated.confidence.json'."""
    return weights.with_suffix(".confidence.json")


def region_features(
    crop: np.ndarray,
    mask: np.ndarray,
    filled: np.ndarray,
    boundary: float,
    fills: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """The feature vector (FEATURES order) of one region: crop (H, W, 3) uint8, mask (H, W)
    bool, the chosen fill of the crop, its boundary consistency; `fills`: the crop's Telea and
    push-pull fills (`blended_fill`) when the caller already has them."""
    m8 = mask.astype(np.uint8)
    reach = cv2.distanceTransform(m8, cv2.DIST_L2, 3)[mask]
    ring = cv2.dilate(m8, np.ones((9, 9), np.uint8)).astype(bool) & ~mask
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gradient = np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    ring_gradient = float(gradient[ring].mean()) if ring.any() else 0.0
    ring_spread = float(crop[ring].astype(np.float32).std(axis=0).mean()) if ring.any() else 0.0
    fast, smooth = fills if fills is not None else blended_fill(crop, mask)
    disagreement = _rms(fast[mask], smooth[mask])
    moved = _rms(filled[mask], fast[mask])
    return np.array(
        [
            math.log(max(1, int(mask.sum()))),
            math.log1p(float(reach.mean())),
            math.log1p(float(reach.max())),
            math.log1p(ring_gradient),
            math.log1p(ring_spread),
            math.log1p(disagreement),
            math.log1p(moved),
            boundary,
        ],
        np.float64,
    )


def _rms(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a.astype(np.float32) - b.astype(np.float32)) ** 2)))


@dataclass
class Calibration:
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    slope: float  # logistic of the predicted PSNR: P(PSNR >= GOOD_PSNR)
    offset: float
    regions: int
    features: tuple[str, ...] = FEATURES
    good_psnr: float = GOOD_PSNR

    def predict_psnr(self, features: np.ndarray) -> np.ndarray:
        z = (np.atleast_2d(features) - np.array(self.mean)) / np.array(self.scale)
        return z @ np.array(self.coef) + self.intercept

    def confidence(self, predicted_psnr: np.ndarray) -> np.ndarray:
        return sigmoid(self.slope * predicted_psnr + self.offset)

    def save(self, path: Path) -> None:
        data = asdict(self)
        data["features"] = list(self.features)
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Calibration | None:
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data.get("features", ())) != FEATURES:
            return None  # features changed since it was fitted: refit rather than mislead
        data["features"] = FEATURES
        return cls(**data)


def fit(features: np.ndarray, psnr: np.ndarray) -> Calibration:
    """Ridge least squares of PSNR on standardised features, then a logistic regression of
    (PSNR >= GOOD_PSNR) on the prediction (Newton steps; a slope kept >= 0 so confidence
    rises with the predicted PSNR)."""
    features, psnr = np.asarray(features, np.float64), np.asarray(psnr, np.float64)
    mean, scale = features.mean(axis=0), features.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (features - mean) / scale
    gram = z.T @ z + RIDGE * len(z) * np.eye(z.shape[1])
    centred = psnr - psnr.mean()
    coef = np.linalg.solve(gram, z.T @ centred)
    predicted = z @ coef + psnr.mean()
    slope, offset = fit_logistic(predicted, (psnr >= GOOD_PSNR).astype(np.float64))
    return Calibration(
        mean=mean.tolist(),
        scale=scale.tolist(),
        coef=coef.tolist(),
        intercept=float(psnr.mean()),
        slope=slope,
        offset=offset,
        regions=len(psnr),
    )
