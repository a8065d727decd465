"""The filled holes' confidence: fitted on rehearsed holes, it falls as the rehearsal's ring
error rises, says nothing without a rehearsal or a fitted file, and survives a save."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from restoration.mesh.confidence import GOOD_RATIO, ShapeConfidence, fit


def _holes(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Ring errors and real ratios to the fan that follow each other, with noise."""
    rng = np.random.default_rng(seed)
    ring = np.exp(rng.uniform(np.log(0.05), np.log(1.5), n))
    ratio = ring * np.exp(rng.normal(0.0, 0.4, n))
    return ring, ratio


def test_confidence_falls_as_the_rehearsal_predicts_the_ring_worse() -> None:
    ring, ratio = _holes()
    calibration = fit(ring, ratio, fitted_on="test")
    values = [calibration.confidence(r) for r in (0.05, 0.3, 0.6, 1.0, 1.5)]
    assert all(v is not None for v in values)
    assert values == sorted(values, reverse=True)
    assert values[0] > 0.8 and values[-1] < 0.2
    assert calibration.holes == 60 and calibration.good_ratio == GOOD_RATIO
    assert calibration.good_share == pytest.approx(float((ratio <= GOOD_RATIO).mean()))


def test_unrelated_ring_errors_give_no_slope_only_the_base_rate() -> None:
    ring, _ = _holes(seed=1)
    rank = np.argsort(np.argsort(ring))
    ratio = np.where(rank % 2 == 0, 0.2, 0.9)  # good and bad alternate along the ring error
    calibration = fit(ring, ratio, fitted_on="test")
    spread = calibration.confidence(0.05) - calibration.confidence(1.5)
    assert abs(spread) < 0.2


def test_no_confidence_without_a_rehearsal_or_a_fitted_file(tmp_path: Path) -> None:
    calibration = fit(*_holes(), fitted_on="test")
    assert calibration.confidence(None) is None and calibration.confidence(float("inf")) is None
    assert ShapeConfidence.load(tmp_path / "missing.json") is None
    damaged = tmp_path / "damaged.json"
    damaged.write_text(json.dumps({"slope": 1.0}))
    assert ShapeConfidence.load(damaged) is None
    with pytest.raises(ValueError, match="at least 10"):
        fit(np.array([0.1, np.nan] * 5), np.array([0.2] * 10), fitted_on="test")


def test_a_saved_confidence_reads_back_the_same(tmp_path: Path) -> None:
    calibration = fit(*_holes(), fitted_on="eval_mesh_fill --seed 0")
    calibration.save(tmp_path / "c.json")
    again = ShapeConfidence.load(tmp_path / "c.json")
    assert again == calibration
    assert again is not None and again.confidence(0.3) == calibration.confidence(0.3)
