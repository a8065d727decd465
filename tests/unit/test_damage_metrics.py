"""Crack metrics against cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from restoration.damage.metrics import Counts, evaluate, iou, pixel_counts, prf


def vline(col: int, shape: tuple[int, int] = (20, 20), rows: slice = slice(None)) -> np.ndarray:
    m = np.zeros(shape, bool)
    m[rows, col] = True
    return m


def test_identical_masks_score_one() -> None:
    truth = vline(10)
    assert prf(truth, truth, tolerance=0) == (1.0, 1.0, 1.0)


def test_one_pixel_shift_misses_at_0px_and_hits_at_2px() -> None:
    truth, pred = vline(10), vline(11)
    assert prf(pred, truth, tolerance=0) == (0.0, 0.0, 0.0)
    assert prf(pred, truth, tolerance=2) == (1.0, 1.0, 1.0)


def test_three_pixel_shift_misses_at_2px_too() -> None:
    assert prf(vline(13), vline(10), tolerance=2) == (0.0, 0.0, 0.0)


def test_diagonal_neighbour_is_within_2px_but_not_1px() -> None:
    truth = np.zeros((5, 5), bool)
    pred = np.zeros((5, 5), bool)
    truth[1, 1] = True
    pred[2, 2] = True  # sqrt(2) ~ 1.41 px away
    assert prf(pred, truth, tolerance=1)[2] == 0.0
    assert prf(pred, truth, tolerance=2)[2] == 1.0


def test_half_found_line_without_false_positives() -> None:
    truth = vline(5)  # 20 pixels
    pred = vline(5, rows=slice(0, 10))  # the upper 10
    p, r, f1 = prf(pred, truth, tolerance=0)
    assert (p, r) == (1.0, 0.5)
    assert f1 == pytest.approx(2 / 3)


def test_counts_with_a_false_positive_blob() -> None:
    truth = vline(2)  # 20 px
    pred = truth.copy()
    pred[0:5, 15:19] = True  # 20 px far from the truth
    c = pixel_counts(pred, truth, tolerance=2)
    assert c == Counts(tp_pred=20, pred=40, tp_true=20, true=20)
    assert c.precision == 0.5 and c.recall == 1.0


def test_empty_prediction_and_truth_conventions() -> None:
    empty = np.zeros((8, 8), bool)
    assert prf(empty, empty) == (1.0, 1.0, 1.0)
    assert prf(empty, vline(3, (8, 8)))[1:] == (0.0, 0.0)
    assert prf(vline(3, (8, 8)), empty)[0] == 0.0


def test_shape_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="shape"):
        prf(np.zeros((4, 4), bool), np.zeros((4, 5), bool))


def test_ods_ois_and_miou_by_hand() -> None:
    # Image A: the truth scores 0.9, a false pixel 0.6. Image B: the truth scores 0.4, nothing else.
    truth_a = np.zeros((1, 4), bool)
    truth_a[0, 0] = True
    prob_a = np.array([[0.9, 0.6, 0.0, 0.0]])
    truth_b = np.zeros((1, 4), bool)
    truth_b[0, 3] = True
    prob_b = np.array([[0.0, 0.0, 0.0, 0.4]])
    res = evaluate(
        [prob_a, prob_b],
        [truth_a, truth_b],
        threshold=0.5,
        tolerances=(0,),
        thresholds=[0.3, 0.5, 0.7],
    )
    # At 0.5: A predicts 2 (1 hit), B predicts 0 of 1 -> P 1/2, R 1/2.
    assert res["precision@0px"] == 0.5 and res["recall@0px"] == 0.5
    # ODS: at 0.3 -> 3 predicted, 2 hits, R 1 -> F1 0.8; at 0.5 -> 0.5; at 0.7 -> P 1, R 1/2 -> 2/3.
    assert res["ods@0px"] == pytest.approx(0.8)
    assert res["ods_threshold@0px"] == 0.3
    # OIS: A is perfect at 0.7, B at 0.3: pooled counts are perfect.
    assert res["ois@0px"] == pytest.approx(1.0)
    # mIoU at 0.5: crack 1 / 3 (one hit; union = A's two predicted + B's truth); background:
    # 5 true negatives over 7 pixels that are background in either -> (1/3 + 5/7) / 2.
    assert res["iou_crack"] == pytest.approx(1 / 3)
    assert res["miou"] == pytest.approx((1 / 3 + 5 / 7) / 2)


def test_iou_helper() -> None:
    a = np.array([[1, 1, 0, 0]], bool)
    b = np.array([[0, 1, 1, 0]], bool)
    assert iou(a, b) == pytest.approx(1 / 3)
    assert iou(np.zeros(3, bool), np.zeros(3, bool)) == 1.0


def test_evaluate_refuses_empty_or_unequal_lists() -> None:
    with pytest.raises(ValueError):
        evaluate([], [], threshold=0.5)
    with pytest.raises(ValueError):
        evaluate([np.zeros((2, 2))], [], threshold=0.5)
