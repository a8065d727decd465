"""Safe image loading for detection: sniff the format, check the size from the header, fix modes.

Every refusal is an `ImageInputError` with a stable `code` and a sentence a curator can act on.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, ImageOps

from museum.common import images

MIN_SIDE = 16
DEFAULT_MAX_PIXELS = 40_000_000

# Modes Pillow turns into RGB faithfully with convert(); 16/32-bit and float modes are scaled here.
_CONVERTIBLE = {
    "1",
    "L",
    "P",
    "RGB",
    "RGBA",
    "RGBX",
    "RGBa",
    "CMYK",
    "YCbCr",
    "LAB",
    "HSV",
    "LA",
    "La",
    "PA",
}
_HIGH_DEPTH = {"I", "I;16", "I;16L", "I;16B", "I;16N", "F"}


class ImageInputError(ValueError):
    """A file that detection cannot use; `code` is one of CODES."""

    CODES = ("not_an_image", "too_small", "too_large", "unsupported_mode", "corrupt")

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# The shared reader's codes in detection's words (the message is its own sentence).
_CODES = {
    "missing": "not_an_image",
    "empty": "not_an_image",
    "not_an_image": "not_an_image",
    "wrong_format": "not_an_image",
    "too_many_bytes": "too_large",
    "too_many_pixels": "too_large",
    "corrupt": "corrupt",
}


def _refusal(exc: images.ImageReadError, max_pixels: int) -> ImageInputError:
    if exc.code == "too_many_pixels" and exc.width is not None and exc.height is not None:
        return ImageInputError(
            "too_large",
            f"the image is {exc.width}x{exc.height} = {exc.width * exc.height / 1e6:.1f} "
            f"megapixels; the limit is {max_pixels / 1e6:.1f} megapixels",
        )
    return ImageInputError(_CODES.get(exc.code, "corrupt"), str(exc))


def _to_rgb(im: Image.Image) -> np.ndarray:
    mode = im.mode
    if mode in _HIGH_DEPTH:
        # convert("L") clips 16-bit values at 255; scale by the type's range instead.
        arr = np.asarray(im)
        if mode == "F":
            lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
            scaled = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
        elif arr.dtype == np.uint16 or mode.startswith("I;16"):
            scaled = arr.astype(np.float32) / 65535.0
        else:  # 32-bit integer: use the values' own range (16-bit PNGs open as "I" in old Pillows)
            hi = (
                65535.0
                if arr.max(initial=0) <= 65535 and arr.min(initial=0) >= 0
                else float(arr.max())
            )
            scaled = arr.astype(np.float32) / max(hi, 1.0)
        grey = np.clip(np.rint(np.nan_to_num(scaled) * 255.0), 0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if mode not in _CONVERTIBLE:
        raise ImageInputError("unsupported_mode", f"images in mode {mode!r} are not supported")
    if mode in {"RGBA", "RGBa", "LA", "La", "PA"} or (mode == "P" and "transparency" in im.info):
        # Transparent pixels often hold arbitrary colours: show them as white, like a page.
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    return np.array(im.convert("RGB"), dtype=np.uint8)


def load_image(
    source: str | Path | bytes | IO[bytes], *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> np.ndarray:
    """An (H, W, 3) uint8 RGB array, or ImageInputError; the size is checked before decoding."""
    # Pillow sniffs the format from the first bytes, whatever the file name says; the size is
    # judged from the header before any pixel is decoded.
    try:
        im = images.open_image(
            source,
            # no more bytes than the pixel cap as uncompressed 16-bit RGBA
            max_bytes=max(images.DEFAULT_MAX_BYTES, 8 * max_pixels),
            max_pixels=max_pixels,
        )
    except images.ImageReadError as exc:
        raise _refusal(exc, max_pixels) from exc
    with im:
        width, height = im.size
        if min(width, height) < MIN_SIDE:
            raise ImageInputError(
                "too_small",
                f"the image is {width}x{height}; each side needs {MIN_SIDE} px at least",
            )
        try:
            images.decode(im)  # the first frame of animations and multi-page files
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                im = ImageOps.exif_transpose(im)
        except images.ImageReadError as exc:
            raise _refusal(exc, max_pixels) from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise ImageInputError(
                "corrupt", f"the image data is damaged or truncated: {exc}"
            ) from exc
        return _to_rgb(im)
