"""Reading images and masks for inpainting, refusing what would be changed behind the user's
back: palette and 16-bit images are refused (a fill would add colours the palette lacks, or
throw away bits), not silently converted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from museum.common import images
from restoration.inpaint.types import InpaintInputError

MAX_PIXELS = 40_000_000


def _refusal(path: Path, exc: images.ImageReadError) -> InpaintInputError:
    """The shared reader's refusal in inpainting's codes and words."""
    if exc.code == "missing":
        return InpaintInputError("not_an_image", f"No such file: {path}")
    if exc.code == "too_many_pixels" and exc.width is not None and exc.height is not None:
        return InpaintInputError(
            "too_large", f"{path.name} is {exc.width}x{exc.height} px, over {MAX_PIXELS:,} pixels."
        )
    if exc.code in ("too_many_pixels", "too_many_bytes"):
        return InpaintInputError("too_large", f"{path.name}: {exc}.")
    if exc.code == "corrupt":
        return InpaintInputError("not_an_image", f"{path.name} is truncated or corrupt.")
    return InpaintInputError("not_an_image", f"{path.name} is not an image Pillow can read.")


def _open(path: Path) -> Image.Image:
    path = Path(path)
    try:
        return images.open_image(
            path, max_bytes=max(images.DEFAULT_MAX_BYTES, 8 * MAX_PIXELS), max_pixels=MAX_PIXELS
        )
    except images.ImageReadError as exc:
        raise _refusal(path, exc) from exc


def _decode(path: Path, img: Image.Image) -> Image.Image:
    try:
        return images.decode(img)
    except images.ImageReadError as exc:
        raise _refusal(path, exc) from exc


def read_image(path: Path) -> tuple[np.ndarray, np.ndarray | None, str]:
    """(RGB uint8, alpha or None, mode) of an 8-bit RGB, RGBA or greyscale image."""
    img = _open(path)
    mode = img.mode
    if mode == "P" or mode == "PA":
        raise InpaintInputError(
            "unsupported_mode",
            f"{path.name} is a palette image: convert it to RGB first (a fill needs colours "
            "the palette may not have).",
        )
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        raise InpaintInputError(
            "unsupported_mode",
            f"{path.name} has {mode} pixels (16/32-bit): inpainting works on 8-bit RGB and "
            "would lose precision; export an 8-bit copy to inpaint.",
        )
    if mode not in ("RGB", "RGBA", "L", "LA", "1"):
        raise InpaintInputError("unsupported_mode", f"{path.name}: mode {mode} is not supported.")
    _decode(path, img)
    alpha = np.asarray(img.getchannel("A")).copy() if mode in ("RGBA", "LA") else None
    return np.asarray(img.convert("RGB")).copy(), alpha, mode


def read_mask(path: Path) -> np.ndarray:
    """A binary mask: any non-zero pixel (after greyscale conversion) is to be filled."""
    img = _open(path)
    grey = np.asarray(_decode(path, img).convert("L"))
    return grey > 127


def write_image(path: Path, rgb: np.ndarray, alpha: np.ndarray | None, mode: str) -> None:
    img = Image.fromarray(rgb, "RGB")
    if mode in ("L", "LA", "1"):
        img = img.convert("L")
    if alpha is not None:
        img.putalpha(Image.fromarray(alpha, "L"))
    img.save(path)
