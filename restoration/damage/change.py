"""Change between two captures of one object: register, measure colour shift, find new damage.

Framework-free. Conservators monitor fading, and new cracks or losses, by comparing captures
taken at different times; one image cannot tell a faded area from a pale pigment. Two cases:

- a new texture for the same UV layout (a rescan baked to the same atlas): same pixel grid, so
  registration is the identity (the sizes must match, or the new one is resized to the first);
- a new photograph of a flat work: registered to the first by SIFT features and a RANSAC
  homography (OpenCV), refused with a clear error when too few features agree.

Colour shift is CIEDE2000 (ΔE00, scikit-image) between the registered images in CIELAB; ΔE00 of
about 2 is a just-noticeable difference under good viewing, 5 clearly visible. New damage of a
class is where the detector is confident in the new capture and was not in the reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from skimage.color import deltaE_ciede2000, rgb2lab

NOTICEABLE_DELTA_E = 2.0
VISIBLE_DELTA_E = 5.0
MIN_INLIERS = 25
# Features are found on a copy of at most this side (registration needs shape, not detail).
REGISTER_MAX_SIDE = 1600
# Detector probabilities: new damage needs this much in the new capture and at most `was` before.
NEW_DAMAGE_AT = 0.5
NEW_DAMAGE_WAS = 0.3


class RegistrationError(ValueError):
    """The captures could not be aligned (`code`: too_few_features, no_agreement, degenerate)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Registration:
    aligned: np.ndarray  # the new capture warped onto the reference's pixel grid, uint8 RGB
    valid: np.ndarray  # (H, W) bool: pixels the new capture covers
    homography: np.ndarray  # 3x3, new -> reference
    inliers: int
    method: str  # "same_layout" or "homography"


@dataclass
class ChangeResult:
    delta_e: np.ndarray  # (H, W) float32 ΔE00, 0 outside `valid`
    valid: np.ndarray
    registration: Registration
    new_damage: dict[str, np.ndarray] = field(default_factory=dict)  # class -> (H, W) bool

    def summary(self) -> dict[str, Any]:
        covered = self.delta_e[self.valid]
        n = max(int(self.valid.sum()), 1)
        return {
            "method": self.registration.method,
            "inliers": self.registration.inliers,
            "covered_share": round(float(self.valid.mean()), 6),
            "delta_e_mean": round(float(covered.mean()) if covered.size else 0.0, 3),
            "delta_e_p95": round(float(np.percentile(covered, 95)) if covered.size else 0.0, 3),
            "noticeable_share": round(float((covered >= NOTICEABLE_DELTA_E).sum()) / n, 6),
            "visible_share": round(float((covered >= VISIBLE_DELTA_E).sum()) / n, 6),
            "new_damage_share": {
                name: round(float((mask & self.valid).sum()) / n, 6)
                for name, mask in self.new_damage.items()
            },
        }


def _rgb(image: np.ndarray, name: str) -> np.ndarray:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"{name} must be an (H, W, 3) uint8 RGB image")
    return image


def register(reference: np.ndarray, new: np.ndarray, *, same_layout: bool) -> Registration:
    """Align `new` onto `reference`'s pixel grid."""
    reference, new = _rgb(reference, "reference"), _rgb(new, "new")
    h, w = reference.shape[:2]
    if same_layout:
        aligned = new
        if new.shape[:2] != (h, w):  # the same atlas baked at another resolution
            aligned = cv2.resize(new, (w, h), interpolation=cv2.INTER_AREA)
        scale = np.diag([w / new.shape[1], h / new.shape[0], 1.0])
        return Registration(aligned, np.ones((h, w), bool), scale, 0, "same_layout")
    homography, inliers = _homography(reference, new)
    aligned = cv2.warpPerspective(new, homography, (w, h), flags=cv2.INTER_LINEAR)
    covered = cv2.warpPerspective(
        np.full(new.shape[:2], 255, np.uint8), homography, (w, h), flags=cv2.INTER_NEAREST
    )
    # Edge pixels blend with the border: keep only pixels well inside the warped frame.
    valid = cv2.erode(covered, np.ones((5, 5), np.uint8)) > 0
    if valid.mean() < 0.2:
        raise RegistrationError(
            "degenerate", "The new capture covers less than a fifth of the reference once aligned."
        )
    return Registration(aligned, valid, homography, inliers, "homography")


def _homography(reference: np.ndarray, new: np.ndarray) -> tuple[np.ndarray, int]:
    def features(image: np.ndarray) -> tuple[list[Any], np.ndarray | None, float]:
        scale = min(1.0, REGISTER_MAX_SIDE / max(image.shape[:2]))
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        if scale < 1.0:
            grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        sift = cv2.SIFT_create(nfeatures=4000)  # type: ignore[attr-defined]
        keypoints, descriptors = sift.detectAndCompute(grey, None)
        return list(keypoints), descriptors, scale

    kp_ref, des_ref, s_ref = features(reference)
    kp_new, des_new, s_new = features(new)
    if des_ref is None or des_new is None or min(len(kp_ref), len(kp_new)) < MIN_INLIERS:
        raise RegistrationError(
            "too_few_features",
            "Too few distinct features to align the captures (a blank or very blurred image?).",
        )
    pairs = cv2.BFMatcher(cv2.NORM_L2).knnMatch(des_new, des_ref, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.75 * p[1].distance]
    if len(good) < MIN_INLIERS:
        raise RegistrationError(
            "no_agreement", "The two captures do not show the same object (too few matches)."
        )
    src = np.array([kp_new[m.queryIdx].pt for m in good], np.float32) / s_new
    dst = np.array([kp_ref[m.trainIdx].pt for m in good], np.float32) / s_ref
    homography, inlier_mask = cv2.findHomography(src, dst, cv2.RANSAC, 3.0 / s_ref)
    inliers = int(inlier_mask.sum()) if inlier_mask is not None else 0
    if homography is None or inliers < MIN_INLIERS:
        raise RegistrationError(
            "no_agreement", "The two captures do not agree on one alignment (too few inliers)."
        )
    return homography, inliers


def heat_map(delta_e: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB picture of a ΔE00 map: dark unchanged, white at twice VISIBLE_DELTA_E."""
    heat = np.clip(delta_e / (2 * VISIBLE_DELTA_E) * 255, 0, 255).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(heat, cv2.COLORMAP_INFERNO), cv2.COLOR_BGR2RGB)


def colour_difference(reference: np.ndarray, aligned: np.ndarray) -> np.ndarray:
    """ΔE00 per pixel between two registered RGB images (sRGB, D65)."""
    lab_ref = rgb2lab(reference.astype(np.float32) / 255.0)
    lab_new = rgb2lab(aligned.astype(np.float32) / 255.0)
    return deltaE_ciede2000(lab_ref, lab_new).astype(np.float32)


def compare_captures(
    reference: np.ndarray,
    new: np.ndarray,
    *,
    same_layout: bool,
    probabilities: tuple[np.ndarray, np.ndarray] | None = None,
    classes: tuple[str, ...] = (),
) -> ChangeResult:
    """Colour shift and (given the detector's (C, H, W) probabilities of the reference and of
    the aligned new capture, for `classes`) new damage of each class."""
    registration = register(reference, new, same_layout=same_layout)
    delta_e = colour_difference(reference, registration.aligned)
    delta_e[~registration.valid] = 0.0
    new_damage: dict[str, np.ndarray] = {}
    if probabilities is not None:
        before, after = probabilities
        if before.shape != after.shape or before.shape[1:] != delta_e.shape:
            raise ValueError("probabilities must be (C, H, W) on the reference's grid, both")
        for index, name in enumerate(classes):
            grew = (after[index] >= NEW_DAMAGE_AT) & (before[index] <= NEW_DAMAGE_WAS)
            new_damage[name] = grew & registration.valid
    return ChangeResult(delta_e, registration.valid, registration, new_damage)
