"""The one safe image reader: every image the server reads goes through `open_image`.

The checks run in a fixed order, and none decodes a pixel:

1. byte size (`max_bytes`), before Pillow sees the data;
2. the format, sniffed from the first bytes (never the file name), against a named allow-list;
3. the pixel dimensions from the header, against `max_pixels` (and `max_side` where given).

Only then may the caller decode, through `decode`, which turns a truncated or damaged file into
the same error type. Every refusal is an `ImageReadError` with a stable `code` (one of
`ImageReadError.CODES`) and a sentence; callers that promise their own error type translate it.
Framework-free: Pillow only.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Collection
from pathlib import Path
from typing import IO, ClassVar

from PIL import Image, UnidentifiedImageError

# glTF textures (and what intake and restoration write): the formats a browser decodes.
TEXTURE_FORMATS: frozenset[str] = frozenset({"PNG", "JPEG", "WEBP"})
# Pictures from cameras, scanners and data sets: textures plus the lossless archival formats.
# MPO is how Pillow names a JPEG with a second (preview) frame, as many cameras write them.
PICTURE_FORMATS: frozenset[str] = TEXTURE_FORMATS | {"MPO", "TIFF", "BMP", "GIF"}

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
# Pillow's own decompression-bomb thresholds (it warns above the first, refuses above twice it).
PILLOW_BOMB_PIXELS = 89_478_485

Source = str | os.PathLike[str] | bytes | bytearray | IO[bytes]


class ImageReadError(ValueError):
    """An image refused before (or while) decoding; `code` is stable for tests and callers.

    `width`, `height` and `format` are filled in as far as the header was read."""

    CODES: ClassVar[tuple[str, ...]] = (
        "missing",  # no such file
        "empty",  # zero bytes
        "too_many_bytes",  # over max_bytes
        "not_an_image",  # no format recognises the first bytes, or the header is unreadable
        "wrong_format",  # an image, but not of an allowed format
        "too_many_pixels",  # width x height over max_pixels (or Pillow's own bomb limit)
        "side_too_long",  # one side over max_side
        "corrupt",  # the header was fine, the pixel data is damaged or truncated
    )

    def __init__(
        self,
        code: str,
        message: str,
        *,
        width: int | None = None,
        height: int | None = None,
        format: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.width = width
        self.height = height
        self.format = format


def _names(formats: Collection[str]) -> str:
    return ", ".join(sorted(formats))


def _byte_size(source: Source) -> int | None:
    """The size in bytes without reading the data, or None for a stream that cannot seek."""
    if isinstance(source, bytes | bytearray):
        return len(source)
    if isinstance(source, str | os.PathLike):
        return Path(source).stat().st_size
    try:
        here = source.tell()
        source.seek(0, io.SEEK_END)
        end = source.tell()
        source.seek(here)
    except (AttributeError, OSError, ValueError):
        return None
    return end - here


def open_image(
    source: Source,
    *,
    formats: Collection[str] = PICTURE_FORMATS,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    max_side: int | None = None,
) -> Image.Image:
    """A lazily opened image whose size, format and dimensions passed the caps; no pixel is
    decoded yet. Close it (it is a context manager) and decode it with `decode`."""
    if isinstance(source, str | os.PathLike) and not Path(source).is_file():
        raise ImageReadError("missing", f"no such file: {source}")
    size = _byte_size(source)
    if size == 0:
        raise ImageReadError("empty", "the file is empty")
    if max_bytes is not None and size is not None and size > max_bytes:
        raise ImageReadError(
            "too_many_bytes", f"the file is {size:,} bytes; the limit is {max_bytes:,} bytes"
        )
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        with warnings.catch_warnings():
            # Pillow's bomb warning is silenced: our own pixel cap is checked next.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(stream)  # reads the header only
    except Image.DecompressionBombError as exc:
        raise ImageReadError(
            "too_many_pixels",
            f"the image has more than {2 * PILLOW_BOMB_PIXELS:,} pixels (a decompression bomb)",
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageReadError("not_an_image", "the file is not an image format we read") from exc
    except Exception as exc:  # Pillow raises many types on a damaged header
        raise ImageReadError("not_an_image", f"the image header cannot be read: {exc}") from exc
    width, height, kind = image.width, image.height, image.format

    def refuse(code: str, message: str) -> ImageReadError:
        return ImageReadError(code, message, width=width, height=height, format=kind)

    try:
        if kind not in formats:
            raise refuse("wrong_format", f"the image is {kind}; allowed: {_names(formats)}")
        if max_pixels is not None and width * height > max_pixels:
            raise refuse(
                "too_many_pixels",
                f"the image is {width}x{height} = {width * height:,} pixels; the limit is "
                f"{max_pixels:,}",
            )
        if max_side is not None and max(width, height) > max_side:
            raise refuse(
                "side_too_long",
                f"the image is {width}x{height}; the longest side allowed is {max_side}",
            )
    except ImageReadError:
        image.close()
        raise
    return image


def decode(image: Image.Image) -> Image.Image:
    """Decode the first frame of an image from `open_image` (in place; returned for chaining),
    or ImageReadError("corrupt")."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.seek(0)  # first frame of animations and multi-page files
            image.load()
    except Exception as exc:  # OSError, SyntaxError, ValueError... on damaged data
        raise ImageReadError(
            "corrupt",
            f"the image data is damaged or truncated: {exc}",
            width=image.width,
            height=image.height,
            format=image.format,
        ) from exc
    return image


def read_image(
    source: Source,
    *,
    formats: Collection[str] = PICTURE_FORMATS,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    max_side: int | None = None,
) -> Image.Image:
    """`open_image` then `decode`: an image whose first frame is decoded."""
    image = open_image(
        source, formats=formats, max_bytes=max_bytes, max_pixels=max_pixels, max_side=max_side
    )
    try:
        decode(image)
    except ImageReadError:
        image.close()
        raise
    return image
