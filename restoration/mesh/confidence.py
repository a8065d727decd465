"""How far to trust a filled hole, calibrated against the real error of validation holes.

The rehearsal (`candidates.validate`) widens a hole by two rings of known surface, fills the
wider hole with each method and measures how far the removed ring lies from each fill, relative
to the flat cap (the fan): the chosen method's `ring_error`. On the validation holes of
`eval_mesh_fill` it ranks with the real error (Chamfer to the removed surface over the fan's).
The confidence shown to curators is the estimated probability that the fill is a
reconstruction rather than a cap: at most GOOD_RATIO times the flat cap's error. It is a
logistic fit on log(ring_error), written by `eval_mesh_fill --fit-confidence` beside the
weights (`mesh_fill.confidence.json`); without that file, or for a hole the rehearsal could not
run on, there is no confidence (None) rather than a number that means nothing.

Framework-free (numpy).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from museum.common.calibration import fit_logistic, sigmoid

GOOD_RATIO = 0.5  # the bar: half the flat cap's distance to the lost surface, or less
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "weights" / "mesh_fill.confidence.json"
RING_ERROR_FLOOR = 1e-3  # log() of a perfect rehearsal


@dataclass
class ShapeConfidence:
    slope: float  # P(ratio <= good_ratio) = sigmoid(-slope * log(ring_error) + offset)
    offset: float
    holes: int  # validation holes it was fitted on
    good_share: float  # share of those holes at or under good_ratio
    fitted_on: str  # the command and seeds, for the card
    good_ratio: float = GOOD_RATIO

    def confidence(self, ring_error: float | None) -> float | None:
        if ring_error is None or not math.isfinite(ring_error):
            return None
        x = -math.log(max(ring_error, RING_ERROR_FLOOR))
        return round(float(sigmoid(np.array(self.slope * x + self.offset))), 4)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> ShapeConfidence | None:
        if not path.is_file():
            return None
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (TypeError, ValueError):
            return None  # an older or damaged file: no confidence rather than a wrong one


def fit(ring_errors: np.ndarray, ratios: np.ndarray, *, fitted_on: str) -> ShapeConfidence:
    """Logistic regression of (ratio <= GOOD_RATIO) on -log(ring_error), over holes that had
    a rehearsal (finite ring error) and a measured ratio to the fan."""
    ring_errors = np.asarray(ring_errors, np.float64)
    ratios = np.asarray(ratios, np.float64)
    keep = np.isfinite(ring_errors) & np.isfinite(ratios)
    if keep.sum() < 10:
        raise ValueError(f"need at least 10 rehearsed holes to fit, got {int(keep.sum())}")
    x = -np.log(np.maximum(ring_errors[keep], RING_ERROR_FLOOR))
    good = (ratios[keep] <= GOOD_RATIO).astype(np.float64)
    slope, offset = fit_logistic(x, good)
    return ShapeConfidence(slope, offset, int(keep.sum()), float(good.mean()), fitted_on)
