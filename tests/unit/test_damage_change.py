"""Change detection between two captures (restoration/damage/change.py) on a registered pair with
known changes: scikit-image's bundled astronaut photograph (public domain, NASA), faded in one
known patch, and for the photograph case also moved by a known homography."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from restoration.damage.change import (
    VISIBLE_DELTA_E,
    RegistrationError,
    compare_captures,
    register,
)

PATCH = (slice(300, 400), slice(60, 180))  # rows, columns of the faded area


def faded(image: np.ndarray) -> np.ndarray:
    """Light damage of the kind fading is: 35 % of the way towards a pale warm grey."""
    out = image.astype(np.float32)
    out[PATCH] = out[PATCH] * 0.65 + np.array([225, 215, 200], np.float32) * 0.35
    return out.round().astype(np.uint8)


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return data.astronaut()


def test_a_new_texture_of_the_same_layout_shows_the_faded_patch_and_nothing_else(astronaut):
    result = compare_captures(astronaut, faded(astronaut), same_layout=True)
    inside = result.delta_e[PATCH]
    outside = result.delta_e.copy()
    outside[PATCH] = 0
    assert np.median(inside) >= VISIBLE_DELTA_E
    assert outside.max() == 0
    patch_share = inside.size / astronaut.shape[0] / astronaut.shape[1]
    assert result.summary()["visible_share"] == pytest.approx(patch_share, rel=0.25)


def test_a_texture_baked_at_another_resolution_is_resized_to_the_first(astronaut):
    bigger = cv2.resize(faded(astronaut), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    result = compare_captures(astronaut, bigger, same_layout=True)
    outside = result.delta_e.copy()
    outside[PATCH] = 0
    assert np.percentile(outside, 99) < 3 and np.median(result.delta_e[PATCH]) >= VISIBLE_DELTA_E


def test_a_new_photograph_is_registered_by_its_features_and_the_change_found(astronaut):
    h, w = astronaut.shape[:2]
    # The second photograph: turned 4 degrees, 92 % the size, shifted, on a larger frame.
    moved = cv2.getRotationMatrix2D((w / 2, h / 2), 4.0, 0.92)
    moved[:, 2] += (30, 18)
    known = np.vstack([moved, [0, 0, 1]])
    photo = cv2.warpPerspective(faded(astronaut), known, (w + 60, h + 40))
    registration = register(astronaut, photo, same_layout=False)
    corners = np.float32([[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1], [w / 2, h / 2]])
    mapped = cv2.perspectiveTransform(
        cv2.perspectiveTransform(corners[None], known), registration.homography
    )[0]
    assert np.abs(mapped - corners).max() < 1.5  # back to where they were, within 1.5 px
    result = compare_captures(astronaut, photo, same_layout=False)
    outside = result.delta_e.copy()
    outside[PATCH] = 0
    covered = result.valid.copy()
    covered[PATCH] = False
    # Resampling blurs edges a little; the unchanged picture stays under "noticeable" mostly.
    assert np.median(outside[covered]) < 1.0
    assert np.median(result.delta_e[PATCH]) >= VISIBLE_DELTA_E


def test_new_damage_is_what_the_detector_finds_now_and_did_not_before(astronaut):
    h, w = astronaut.shape[:2]
    before = np.zeros((2, h, w), np.float32)
    after = before.copy()
    after[0, 200, 100:300] = 0.9  # a new crack
    after[1, 50:80, 50:80] = 0.8  # a loss that was already there
    before[1, 50:80, 50:80] = 0.7
    result = compare_captures(
        astronaut, astronaut.copy(), same_layout=True, probabilities=(before, after),
        classes=("crack", "loss"),
    )  # fmt: skip
    assert result.new_damage["crack"].sum() == 200
    assert result.new_damage["loss"].sum() == 0
    assert result.summary()["new_damage_share"]["crack"] == pytest.approx(200 / (h * w), abs=1e-6)


def test_captures_of_different_objects_are_refused_clearly(astronaut):
    with pytest.raises(RegistrationError) as caught:
        register(astronaut, data.coffee(), same_layout=False)
    assert caught.value.code == "no_agreement"
    blank = np.full_like(astronaut, 128)
    with pytest.raises(RegistrationError) as caught:
        register(astronaut, blank, same_layout=False)
    assert caught.value.code == "too_few_features"


def test_bad_arrays_are_refused(astronaut):
    with pytest.raises(ValueError, match="uint8 RGB"):
        register(astronaut, astronaut[..., 0], same_layout=True)
    with pytest.raises(ValueError, match="probabilities"):
        compare_captures(
            astronaut, astronaut, same_layout=True,
            probabilities=(np.zeros((1, 4, 4)), np.zeros((1, 4, 4))), classes=("crack",),
        )  # fmt: skip


def test_the_command_writes_the_maps_and_prints_the_summary(astronaut, tmp_path):
    import io
    import json

    from django.core.management import CommandError, call_command
    from PIL import Image

    Image.fromarray(astronaut).save(tmp_path / "before.png")
    Image.fromarray(faded(astronaut)).save(tmp_path / "after.png")
    out = io.StringIO()
    call_command(
        "compare_captures", str(tmp_path / "before.png"), str(tmp_path / "after.png"),
        "--same-layout", "--out", str(tmp_path / "change"), stdout=out,
    )  # fmt: skip
    summary = json.loads(out.getvalue())
    assert summary["method"] == "same_layout" and summary["visible_share"] > 0.02
    assert (tmp_path / "change" / "delta_e.png").stat().st_size > 0
    detected = io.StringIO()
    call_command(
        "compare_captures", str(tmp_path / "before.png"), str(tmp_path / "after.png"),
        "--same-layout", "--detect", "--out", str(tmp_path / "detected"), stdout=detected,
    )  # fmt: skip
    shares = json.loads(detected.getvalue())["new_damage_share"]
    assert set(shares) == {"crack", "loss", "corrosion", "fading"}
    assert (tmp_path / "detected" / "new_crack.png").exists()
    (tmp_path / "not-an-image.png").write_bytes(b"hello")
    with pytest.raises(CommandError, match=r"not-an-image\.png"):
        call_command(
            "compare_captures", str(tmp_path / "before.png"), str(tmp_path / "not-an-image.png"),
            "--out", str(tmp_path / "x"), stdout=io.StringIO(),
        )  # fmt: skip
    Image.fromarray(data.coffee()).save(tmp_path / "other.png")
    with pytest.raises(CommandError, match="cannot align"):
        call_command(
            "compare_captures", str(tmp_path / "before.png"), str(tmp_path / "other.png"),
            "--out", str(tmp_path / "y"), stdout=io.StringIO(),
        )  # fmt: skip
