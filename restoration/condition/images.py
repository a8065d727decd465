"""Pictures of a condition record and checks of uploaded masks. Framework-free (no Django)."""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image

# One colour per damage class, shared by the overlay, the report, the PDF and the viewer.
CLASS_COLOURS: dict[str, tuple[int, int, int]] = {
    "crack": (230, 57, 70),
    "loss": (59, 130, 246),
    "corrosion": (16, 185, 129),
    "fading": (245, 158, 11),
}
MASK_MAX_BYTES = 16 * 1024 * 1024
MASK_MAX_PIXELS = 64 * 1024 * 1024
OVERLAY_MAX_SIDE = 1024


class MaskInputError(ValueError):
    """An uploaded mask that cannot be used; `code` names the reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def hex_colour(name: str) -> str:
    return "#{:02x}{:02x}{:02x}".format(*CLASS_COLOURS.get(name, (255, 255, 255)))


def encode_png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def encode_jpeg(array: np.ndarray, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def mask_png(mask: np.ndarray) -> bytes:
    """A boolean mask as a greyscale PNG: white = damage (the layout train_damage reads)."""
    return encode_png(np.where(mask, 255, 0).astype(np.uint8))


def overlay_image(
    texture: np.ndarray, masks: dict[str, np.ndarray], max_side: int = OVERLAY_MAX_SIDE
) -> np.ndarray:
    """The texture, dimmed, with every class mask painted over it in its colour."""
    height, width = texture.shape[:2]
    step = max(1, int(np.ceil(max(height, width) / max_side)))
    picture = texture[::step, ::step, :3].astype(np.float32) * 0.55
    for name, mask in masks.items():
        colour = np.asarray(CLASS_COLOURS.get(name, (255, 255, 255)), dtype=np.float32)
        small = mask[::step, ::step]
        picture[small] = picture[small] * 0.25 + colour * 0.75
    return picture.clip(0, 255).astype(np.uint8)


def read_mask(data: bytes, *, width: int, height: int) -> np.ndarray:
    """An uploaded mask as a boolean array of the texture's size, or MaskInputError.

    Any image format Pillow reads is accepted; transparent pixels count as no damage and
    the rest is binarised at mid-grey. The header is checked before any pixel is decoded.
    """
    if not data:
        raise MaskInputError("empty", "The mask file is empty.")
    if len(data) > MASK_MAX_BYTES:
        raise MaskInputError(
            "too_large", f"The mask file is {len(data):,} bytes; the limit is {MASK_MAX_BYTES:,}."
        )
    try:
        with warnings.catch_warnings():
            # Our own cap below is lower than Pillow's warning threshold.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            size = image.size
    except Image.DecompressionBombError:
        raise MaskInputError(
            "too_many_pixels", f"The mask has too many pixels; the limit is {MASK_MAX_PIXELS:,}."
        ) from None
    except Exception:  # Pillow raises many types on data that is not an image
        raise MaskInputError("not_an_image", "The mask file is not an image.") from None
    if size[0] * size[1] > MASK_MAX_PIXELS:
        raise MaskInputError(
            "too_many_pixels",
            f"The mask is {size[0]}×{size[1]} pixels; the limit is {MASK_MAX_PIXELS:,} pixels.",
        )
    if size != (width, height):
        raise MaskInputError(
            "wrong_size",
            f"The mask is {size[0]}×{size[1]} pixels; the texture is {width}×{height}.",
        )
    try:
        image.load()
        if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
            grey = np.asarray(image, dtype=np.float64)
            peak = grey.max() if grey.size and grey.max() > 0 else 1.0
            return grey / peak >= 0.5
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32)
    except Exception:
        raise MaskInputError("not_an_image", "The mask image cannot be decoded.") from None
    luminance = rgba[..., :3].mean(axis=2) * (rgba[..., 3] / 255.0)
    return luminance >= 127.5
