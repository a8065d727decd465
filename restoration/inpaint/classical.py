"""Classical inpainting baselines and the fill the learned model starts from.

All functions take an (H, W, 3) uint8 RGB image and an (H, W) bool mask (True = fill) and return
a new uint8 image whose unmasked pixels equal the input's.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

TELEA_RADIUS = 5
# Below this many pixels a second thread costs more than it saves.
PARALLEL_MIN_PIXELS = 1 << 16


def telea(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Fast marching (Telea 2004), OpenCV."""
    return _composite(image, mask, cv2.inpaint(image, _u8(mask), TELEA_RADIUS, cv2.INPAINT_TELEA))


def navier_stokes(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Navier-Stokes fluid transport (Bertalmio 2001), OpenCV."""
    return _composite(image, mask, cv2.inpaint(image, _u8(mask), TELEA_RADIUS, cv2.INPAINT_NS))


def biharmonic(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Biharmonic interpolation per connected region, scikit-image."""
    from skimage.restoration import inpaint_biharmonic

    filled = inpaint_biharmonic(image, mask, channel_axis=-1, split_into_regions=True)
    return _composite(image, mask, np.clip(filled * 255.0 + 0.5, 0, 255).astype(np.uint8))


def push_pull(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Pyramid fill: average the known pixels down a pyramid, then paint the holes from the
    coarsest level up (smooth colour, no streaks; what the learned model refines)."""
    return _composite(image, mask, _to_u8(push_pull_float(image.astype(np.float32), mask)))


def push_pull_float(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    known = (~mask).astype(np.float32)
    levels: list[tuple[np.ndarray, np.ndarray]] = []
    colour: np.ndarray
    weight: np.ndarray
    colour, weight = image * known[..., None], known
    while min(colour.shape[:2]) > 1 and (weight <= 0).any():
        levels.append((colour, weight))
        colour = cv2.pyrDown(colour) if min(colour.shape[:2]) > 2 else colour[::2, ::2]
        weight = cv2.pyrDown(weight) if min(weight.shape[:2]) > 2 else weight[::2, ::2]
        if colour.ndim == 2:
            colour = colour[..., None]
    mean = colour / np.maximum(weight, 1e-6)[..., None]
    if (weight <= 1e-6).all():
        mean[:] = image[~mask].mean(axis=0) if (~mask).any() else 0.5
    for finer_colour, finer_weight in reversed(levels):
        h, w = finer_weight.shape
        up = cv2.resize(mean, (w, h), interpolation=cv2.INTER_LINEAR)
        if up.ndim == 2:
            up = up[..., None]
        alpha = np.clip(finer_weight, 0, 1)[..., None]
        mean = np.where(
            finer_weight[..., None] > 1e-6,
            alpha * finer_colour / np.maximum(finer_weight, 1e-6)[..., None] + (1 - alpha) * up,
            up,
        )
    return mean.astype(np.float32)


def blended_fill(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Telea and push-pull fills: the two starting points the learned model sees (and what the
    confidence features compare). On a large crop Telea runs in a second thread while push-pull
    runs here: OpenCV and numpy release the GIL, so the pair takes about the longer of the two."""
    if mask.size < PARALLEL_MIN_PIXELS:
        return telea(image, mask), push_pull(image, mask)
    with ThreadPoolExecutor(1, thread_name_prefix="telea") as pool:
        fast = pool.submit(telea, image, mask)
        smooth = push_pull(image, mask)
        return fast.result(), smooth


CLASSICAL = {
    "telea": telea,
    "ns": navier_stokes,
    "biharmonic": biharmonic,
}


def _u8(mask: np.ndarray) -> np.ndarray:
    return mask.astype(np.uint8) * 255


def _to_u8(image: np.ndarray) -> np.ndarray:
    return np.clip(image + 0.5, 0, 255).astype(np.uint8)


def _composite(image: np.ndarray, mask: np.ndarray, filled: np.ndarray) -> np.ndarray:
    out = image.copy()
    out[mask] = filled[mask]
    return out
