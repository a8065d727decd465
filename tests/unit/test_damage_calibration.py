"""Per-class calibration and the "uncertain" band (restoration/damage/calibration.py), and how the
committed detector applies its sidecar."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest

from restoration.damage import detect, load_model, model_version
from restoration.damage.calibration import (
    Calibration,
    ClassCalibration,
    apply,
    expected_calibration_error,
    fit_class,
    fit_platt,
)
from restoration.damage.model import calibration_path, default_weights_path


def overconfident(seed: int = 0, n: int = 200_000) -> tuple[np.ndarray, np.ndarray]:
    """Scores whose stated probability is far too sure: true p = sigmoid(0.4 * logit - 1)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(-1.0, 3.0, n)
    truth = rng.random(n) < 1 / (1 + np.exp(-(0.4 * logits - 1.0)))
    return (1 / (1 + np.exp(-logits))).astype(np.float32), truth


def test_platt_scaling_makes_a_stated_probability_right_that_often():
    scores, truth = overconfident()
    a, b = fit_platt(scores, truth)
    assert a == pytest.approx(0.4, abs=0.05) and b == pytest.approx(-1.0, abs=0.1)
    held_scores, held_truth = overconfident(seed=1)
    before = expected_calibration_error(held_scores, held_truth)
    after = expected_calibration_error(apply(held_scores, a, b), held_truth)
    assert before > 0.1 and after < 0.01
    # Among pixels stated at about 0.9, about 90 % are damaged.
    calibrated = apply(held_scores, a, b)
    near = (calibrated > 0.85) & (calibrated < 0.95)
    assert held_truth[near].mean() == pytest.approx(0.9, abs=0.04)


def test_the_bands_paint_only_the_sure_and_say_uncertain_below():
    scores, truth = overconfident()
    crack = fit_class("crack", [scores], [truth])
    assert crack.confident >= 0.5 and crack.uncertain < crack.confident
    calibration = Calibration("digest", {"crack": crack}, {})
    probabilities = np.array([[[0.999, 0.6, 0.001]]], np.float32)
    calibrated = calibration.calibrate(probabilities, ["crack"])
    painted, uncertain = calibration.bands(calibrated, ["crack"])
    assert painted["crack"].tolist() == [[True, False, False]]
    assert uncertain["crack"].tolist() == [[False, True, False]]


def test_fading_is_only_ever_a_hint_from_one_image():
    scores, truth = overconfident()
    fading = fit_class("fading", [scores], [truth])
    assert fading.confident > 1.0  # never painted without a reference capture
    calibration = Calibration("digest", {"fading": fading}, {})
    painted, uncertain = calibration.bands(np.ones((1, 2, 2), np.float32), ["fading"])
    assert not painted["fading"].any() and uncertain["fading"].all()


def test_the_hint_band_is_kept_small_on_sound_objects():
    scores, truth = overconfident()
    sound = np.random.default_rng(2).beta(2, 5, 100_000).astype(np.float32)  # pale but sound
    free = fit_class("loss", [scores], [truth])
    kept = fit_class("loss", [scores, sound], [truth, np.zeros(sound.size, bool)], sound=[sound])
    on_sound = apply(sound, kept.a, kept.b)
    assert ((on_sound >= kept.uncertain) & (on_sound < kept.confident)).mean() <= 0.031
    assert kept.uncertain >= free.uncertain


def test_calibration_needs_both_kinds_of_pixel():
    with pytest.raises(ValueError, match="both damaged and sound"):
        fit_platt(np.full(10, 0.3, np.float32), np.zeros(10, bool))


def test_the_committed_detector_applies_its_sidecar_and_says_so():
    model = load_model(device="cpu")
    assert model.calibration is not None
    assert model.version == model_version() and "+cal" in model.version
    image = np.full((64, 64, 3), 200, np.uint8)
    result = detect(image, model=model, explain=False)
    assert result.calibrated and set(result.uncertain) == set(model.classes)
    summary = result.summary()
    assert summary["calibrated"] is True
    assert all("uncertain_share" in entry for entry in summary["classes"].values())
    assert not result.masks["fading"].any()  # a hint at most


def test_a_sidecar_fitted_on_other_weights_is_not_used(tmp_path):
    weights = tmp_path / "damage_unet.pt"
    shutil.copy(default_weights_path(), weights)
    stale = Calibration.load(calibration_path(default_weights_path()))
    dataclasses.replace(stale, weights="00000000").save(calibration_path(weights))
    model = load_model(weights, device="cpu")
    assert model.calibration is None and "+cal" not in model.version
    assert "+cal" not in model_version(weights)


def test_a_calibration_survives_its_file(tmp_path):
    calibration = Calibration("abcd1234", {"crack": ClassCalibration(0.5, -1.0, 0.6, 0.2)}, {})
    again = Calibration.load(calibration.save(tmp_path / "c.json"))
    assert again == calibration
