"""The per-region predicted PSNR and confidence: fitted on some regions, it must order other
regions by their real error; confidence rises with the predicted PSNR; no calibration, no
confidence."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from restoration.inpaint.confidence import (
    FEATURES,
    Calibration,
    fit,
    region_features,
    spearman,
)
from restoration.inpaint.evaluate import masked_psnr
from restoration.inpaint.inference import restore_texture


def textured(seed: int, noise: float, size: int = 96) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    base = np.stack([xx, yy, xx + yy], axis=2) * (100.0 / size) + 60
    return np.clip(base + rng.normal(0, noise, base.shape), 0, 255).astype(np.uint8)


def hole(size: int, radius: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cy, cx = rng.integers(radius + 4, size - radius - 4, 2)
    yy, xx = np.mgrid[0:size, 0:size]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2


def regions(seeds: range) -> tuple[np.ndarray, np.ndarray]:
    """Telea fills of holes of varied size in images of varied noise: features, real PSNR."""
    features, psnr = [], []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        image = textured(seed, noise=float(rng.choice([1.0, 6.0, 20.0, 45.0])))
        mask = hole(96, int(rng.integers(3, 14)), seed)
        out = restore_texture(image, mask, method="telea", calibration=None)
        region = out.regions[0]
        assert region.confidence is None and region.predicted_psnr is None
        boundary = region.candidates[0].parts["boundary"]
        features.append(region_features(image, mask, out.image, boundary))
        psnr.append(masked_psnr(out.image, image, mask))
    return np.stack(features), np.array(psnr)


def test_a_calibration_fitted_on_some_regions_orders_other_regions_by_real_error() -> None:
    train_x, train_y = regions(range(0, 40))
    test_x, test_y = regions(range(100, 130))
    calibration = fit(train_x, train_y)
    predicted = calibration.predict_psnr(test_x)
    assert spearman(predicted, test_y) >= 0.5
    # The hole's size alone (what the former score mostly used) orders them less well.
    assert spearman(predicted, test_y) > spearman(-test_x[:, 0], test_y)


def test_confidence_rises_with_the_predicted_psnr(tmp_path: Path) -> None:
    x, y = regions(range(0, 30))
    calibration = fit(x, y)
    grid = np.linspace(5, 45, 30)
    confidence = calibration.confidence(grid)
    assert np.all(np.diff(confidence) >= 0)
    assert ((confidence >= 0) & (confidence <= 1)).all()
    path = tmp_path / "w.confidence.json"
    calibration.save(path)
    loaded = Calibration.load(path)
    assert loaded is not None and np.allclose(loaded.predict_psnr(x), calibration.predict_psnr(x))


def test_restore_texture_reports_the_calibrated_prediction() -> None:
    x, y = regions(range(0, 20))
    calibration = fit(x, y)
    image = textured(7, 10.0)
    out = restore_texture(image, hole(96, 8, 7), method="telea", calibration=calibration)
    region = out.regions[0]
    assert region.predicted_psnr is not None and 0.0 <= (region.confidence or 0.0) <= 1.0


def test_a_calibration_for_other_features_is_refused(tmp_path: Path) -> None:
    x, y = regions(range(0, 12))
    path = tmp_path / "old.json"
    fit(x, y).save(path)
    path.write_text(path.read_text().replace(FEATURES[0], "something_else"))
    assert Calibration.load(path) is None
    assert Calibration.load(tmp_path / "missing.json") is None
