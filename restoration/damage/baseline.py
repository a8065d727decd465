"""Classical crack detectors to compare against: morphological black-hat, or a Frangi ridge filter.

Both give a score map in [0, 1] (dark, thin, elongated = high) that is thresholded like the
network's probabilities, so ODS/OIS compare the two fairly.
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage.filters import frangi

# Each the best F1 at 2 px on the training side of the masonry split (seed 0; see the model card).
DEFAULT_THRESHOLDS = {"blackhat": 0.66, "frangi": 0.58}


def _grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    return image.astype(np.uint8)


def blackhat_scores(image: np.ndarray, *, kernel: int = 15) -> np.ndarray:
    """Black-hat (closing minus image) of the grey image, scaled by a robust maximum to [0, 1]."""
    grey = cv2.GaussianBlur(_grey(image), (3, 3), 0)
    se = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel, kernel))
    hat = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, se).astype(np.float32)
    # Scale by a high percentile, not the maximum, so one black speck does not flatten the rest.
    top = max(float(np.percentile(hat, 99.5)), 1.0)
    return np.clip(hat / top, 0.0, 1.0)


def frangi_scores(
    image: np.ndarray, *, sigmas: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0)
) -> np.ndarray:
    """Frangi vesselness for dark ridges, scaled by a robust maximum to [0, 1]."""
    grey = _grey(image).astype(np.float32) / 255.0
    v = frangi(grey, sigmas=sigmas, black_ridges=True).astype(np.float32)
    top = float(np.percentile(v, 99.5))
    return np.clip(v / top, 0.0, 1.0) if top > 0 else np.zeros_like(v)


def baseline_scores(image: np.ndarray, *, method: str = "blackhat") -> np.ndarray:
    if method == "blackhat":
        return blackhat_scores(image)
    if method == "frangi":
        return frangi_scores(image)
    raise ValueError(f"unknown baseline {method!r}; use 'blackhat' or 'frangi'")


def baseline_detect(
    image: np.ndarray, *, method: str = "blackhat", threshold: float | None = None
) -> np.ndarray:
    """Binary crack mask from the classical detector (default: its calibrated threshold)."""
    scores = baseline_scores(image, method=method)
    return scores >= (DEFAULT_THRESHOLDS[method] if threshold is None else threshold)
