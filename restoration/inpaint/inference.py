"""`restore_texture`: inpaint every damaged region of a texture, cropping around each one so a
large texture with small damage costs little, and score each fill without a reference."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from restoration.inpaint import learned
from restoration.inpaint.classical import CLASSICAL, blended_fill
from restoration.inpaint.confidence import Calibration, calibration_path, region_features
from restoration.inpaint.types import CandidateScore, InpaintInputError, InpaintOutput, RegionResult

LEARNED = "gated"
METHODS = (LEARNED, *CLASSICAL)
# "auto" is our best by evaluation (the learned model; Telea where no weights are installed);
# "plan" tries every method per region and keeps the best no-reference score: the calibrated
# predicted PSNR inside the region where a calibration is installed (on the validation split it
# picks the method that is best by the reference in 18 of 21 regions on large masks and 19 of 21
# on thin ones; the boundary + realism score it replaced picked it in 0 of 21 on large masks),
# else boundary consistency + realism.
CHOICES = ("auto", "plan", *METHODS)
MAX_PIXELS = 40_000_000
MERGE_GAP = 24  # regions closer than this share a crop
MIN_CONTEXT = 32
BIHARMONIC_MAX_PIXELS = 40_000  # biharmonic solves one sparse system per region: slow beyond

Progress = Callable[[float], None]
# Picks one method among those scoring within PREFERENCE_TOLERANCE of the best (curators' bandit).
Preference = Callable[[list[str]], str]
PREFERENCE_TOLERANCE = 0.05
# The same in dB when the score is the predicted PSNR (its mean abs error is ~1-1.5 dB on
# validation regions, so predictions this close are a tie).
PREDICTED_TOLERANCE_DB = 0.3
# The methods calibrate_inpaint fits the prediction on (the learned model, --classical telea,ns):
# "plan" scored by prediction tries only these. Biharmonic fills are outside it (their predicted
# PSNR is 2 dB off on validation regions and would win thin masks it loses).
PREDICTED_METHODS = (LEARNED, "telea", "ns")


def check_inputs(image: np.ndarray, mask: np.ndarray) -> None:
    """Refuse what cannot be inpainted faithfully, with a reason a curator can act on."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InpaintInputError(
            "unsupported_mode", "The image must be 8-bit RGB (convert 16-bit or palette first)."
        )
    if mask.shape != image.shape[:2]:
        raise InpaintInputError(
            "size_mismatch",
            f"The mask is {mask.shape[1]}x{mask.shape[0]} px but the image is "
            f"{image.shape[1]}x{image.shape[0]} px; they must match.",
        )
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise InpaintInputError("too_large", f"The image has more than {MAX_PIXELS:,} pixels.")
    if not mask.any():
        raise InpaintInputError("empty_mask", "The mask marks no pixel: nothing to inpaint.")
    if mask.all():
        raise InpaintInputError(
            "full_mask", "The mask covers the whole image: there is nothing left to inpaint from."
        )


def damaged_regions(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Crops (x0, y0, x1, y1) around groups of nearby damage, each with context around it."""
    h, w = mask.shape
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (MERGE_GAP, MERGE_GAP))
    grouped = cv2.dilate(mask.astype(np.uint8), kernel)
    count, _, stats, _ = cv2.connectedComponentsWithStats(grouped, connectivity=8)
    boxes = []
    for x, y, bw, bh, _ in stats[1:count]:
        margin = max(MIN_CONTEXT, int(0.5 * max(bw, bh)))
        boxes.append(
            (
                max(0, x - margin),
                max(0, y - margin),
                min(w, x + bw + margin),
                min(h, y + bh + margin),
            )
        )
    return _merge_overlapping(boxes)


def _merge_overlapping(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    merged = True
    out: list[tuple[int, int, int, int]] = []
    while merged:
        merged, out = False, []
        for box in boxes:
            for i, other in enumerate(out):
                if (
                    box[0] < other[2]
                    and other[0] < box[2]
                    and box[1] < other[3]
                    and other[1] < box[3]
                ):
                    out[i] = (
                        min(box[0], other[0]),
                        min(box[1], other[1]),
                        max(box[2], other[2]),
                        max(box[3], other[3]),
                    )
                    merged = True
                    break
            else:
                out.append(box)
        boxes = out
    return sorted(boxes, key=lambda b: (b[1], b[0]))


def boundary_consistency(filled: np.ndarray, mask: np.ndarray) -> float:
    """How smoothly the fill meets its surroundings, in (0, 1]: colour steps across the mask
    border compared with the steps inside the intact ring around it."""
    inner = mask & ~cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    ring = cv2.dilate(mask.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool) & ~mask
    if not inner.any() or not ring.any():
        return 1.0
    lab = cv2.cvtColor(filled, cv2.COLOR_RGB2LAB).astype(np.float32)
    grad = np.hypot(cv2.Sobel(lab, cv2.CV_32F, 1, 0), cv2.Sobel(lab, cv2.CV_32F, 0, 1)).sum(axis=2)
    step = float(grad[inner].mean())
    usual = float(grad[ring].mean()) + 8.0
    return float(np.exp(-max(0.0, step - usual) / usual))


def default_calibration() -> Calibration | None:
    """The committed weights' calibration (None when absent: no confidence is shown)."""
    return Calibration.load(calibration_path(learned.WEIGHTS))


def _run(
    method: str,
    crop: np.ndarray,
    crop_mask: np.ndarray,
    inpainter: Any,
    fills: tuple[np.ndarray, np.ndarray] | None,
) -> np.ndarray:
    if method == LEARNED:
        return inpainter.fill(crop, crop_mask, fills)
    if method == "telea" and fills is not None:
        return fills[0]  # the same cv2 call, already made for the net's input
    return CLASSICAL[method](crop, crop_mask)


def restore_texture(
    image: np.ndarray,
    mask: np.ndarray,
    *,
    method: str = "auto",
    device: str | None = None,
    progress: Progress | None = None,
    inpainter: Any = None,
    prefer: Preference | None = None,
    calibration: Calibration | bool | None = True,
) -> InpaintOutput:
    """Inpaint `mask` in `image` region by region; unmasked pixels are returned unchanged.

    With `prefer` (method "plan"), the measured score bounds the choice: `prefer` picks only
    among candidates within PREFERENCE_TOLERANCE of the best score. Each region gets a
    predicted PSNR and a confidence from `calibration` (True: the committed one; None/False:
    none)."""
    start = time.perf_counter()
    mask = np.asarray(mask).astype(bool)
    check_inputs(image, mask)
    if method not in CHOICES:
        raise InpaintInputError(
            "unknown_method", f"Unknown method {method!r}; choose one of {', '.join(CHOICES)}."
        )
    if inpainter is None and method in ("auto", "plan", LEARNED):
        if learned.weights_available():
            inpainter = learned.load_inpainter(device=device)
        elif method == LEARNED:
            raise InpaintInputError("unknown_method", "The learned inpainting weights are missing.")
    tried = _methods_to_try(method, inpainter)
    if calibration is True:
        calibration = getattr(inpainter, "calibration", None) or default_calibration()
    calibrated = calibration if isinstance(calibration, Calibration) else None
    # With several methods and a calibration, candidates are ranked by their predicted PSNR.
    predictor = calibrated if len(tried) > 1 else None
    if predictor is not None:
        tried = [name for name in tried if name in PREDICTED_METHODS]
    out = image.copy()
    regions: list[RegionResult] = []
    boxes = damaged_regions(mask)
    for number, (x0, y0, x1, y1) in enumerate(boxes):
        region_start = time.perf_counter()
        crop, crop_mask = image[y0:y1, x0:x1], mask[y0:y1, x0:x1]
        # Telea and push-pull once per crop: the net's input and two confidence features.
        fills = (
            blended_fill(crop, crop_mask) if LEARNED in tried or calibrated is not None else None
        )
        results = []
        for name in tried:
            if name == "biharmonic" and len(tried) > 1 and crop_mask.sum() > BIHARMONIC_MAX_PIXELS:
                continue
            filled = _run(name, crop, crop_mask, inpainter, fills)
            candidate = _score(filled, crop_mask, inpainter, name)
            if predictor is not None:
                candidate = _predicted(candidate, predictor, crop, crop_mask, filled, fills)
            results.append((name, filled, candidate))
        name, filled, score = max(results, key=lambda r: r[2].score)
        chosen_by = "score"
        tolerance = PREFERENCE_TOLERANCE if predictor is None else PREDICTED_TOLERANCE_DB
        near = [r for r in results if r[2].score >= score.score - tolerance]
        if prefer is not None and len(near) > 1:
            pick = prefer([r[0] for r in near])
            if pick != name:
                name, filled, score = next(r for r in near if r[0] == pick)
                chosen_by = "curators"
        out[y0:y1, x0:x1][crop_mask] = filled[crop_mask]
        predicted = confidence = None
        if calibrated is not None:
            features = region_features(crop, crop_mask, filled, score.parts["boundary"], fills)
            predicted = float(calibrated.predict_psnr(features)[0])
            confidence = round(float(calibrated.confidence(np.array([predicted]))[0]), 4)
            predicted = round(predicted, 2)
        regions.append(
            RegionResult(
                bbox=(int(x0), int(y0), int(x1), int(y1)),
                pixels=int(crop_mask.sum()),
                method=name,
                model_version=inpainter.version if name == LEARNED else f"opencv/skimage {name}",
                score=round(score.score, 4),
                confidence=confidence,
                predicted_psnr=predicted,
                seconds=round(time.perf_counter() - region_start, 4),
                candidates=[r[2] for r in results],
                chosen_by=chosen_by,
            )
        )
        if progress is not None:
            progress((number + 1) / len(boxes))
    return InpaintOutput(
        image=out,
        regions=regions,
        device=getattr(inpainter, "device", "cpu") if LEARNED in tried else "cpu",
        seconds=time.perf_counter() - start,
        method=method,
    )


def _methods_to_try(method: str, inpainter: Any) -> list[str]:
    if method == "plan":
        return ([LEARNED] if inpainter is not None else []) + list(CLASSICAL)
    if method == "auto":
        return [LEARNED] if inpainter is not None else ["telea"]
    return [method]


def _predicted(
    candidate: CandidateScore,
    calibration: Calibration,
    crop: np.ndarray,
    mask: np.ndarray,
    filled: np.ndarray,
    fills: tuple[np.ndarray, np.ndarray] | None,
) -> CandidateScore:
    """The candidate scored by its calibrated predicted PSNR inside the region (dB), the
    boundary and realism parts kept for the curator."""
    features = region_features(crop, mask, filled, candidate.parts["boundary"], fills)
    predicted = float(calibration.predict_psnr(features)[0])
    parts = {**candidate.parts, "predicted_psnr": round(predicted, 3)}
    return CandidateScore(method=candidate.method, score=round(predicted, 4), parts=parts)


def _score(filled: np.ndarray, mask: np.ndarray, inpainter: Any, name: str) -> CandidateScore:
    parts = {"boundary": round(boundary_consistency(filled, mask), 4)}
    realism = inpainter.realism(filled, mask) if inpainter is not None else None
    if realism is not None:
        parts["realism"] = round(realism, 4)
    # Realism logits are unbounded; squash them so neither part dominates.
    total = parts["boundary"] + (0.5 * float(np.tanh(realism)) if realism is not None else 0.0)
    return CandidateScore(method=name, score=round(total, 4), parts=parts)
