"""A flat work's web copy (sRGB JPEG, long side at most 2048 px) and thumbnail (512 px), made
in one streaming read of the source through `open_srgb`. Framework-free: pyvips only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyvips  # type: ignore[import-untyped]  # no stubs; pyproject is frozen for #20

from exhibits.imaging.raster import open_srgb, read_error

WEB_LONG_SIDE = 2048
THUMBNAIL_LONG_SIDE = 512
WEB_QUALITY = 88
THUMBNAIL_QUALITY = 82


@dataclass(frozen=True)
class Derivative:
    data: bytes  # JPEG
    width: int
    height: int


def web_copy_and_thumbnail(path: Path) -> tuple[Derivative, Derivative]:
    """Both images; the thumbnail is made from the web copy (one read of the source). An image
    smaller than the web size is not enlarged. A damaged file raises ImageRejected."""
    try:
        image = open_srgb(path)
        web = image.thumbnail_image(WEB_LONG_SIDE, height=WEB_LONG_SIDE, size="down")
        web = web.copy_memory()  # the source is read once, here, to the end
        thumb = web.thumbnail_image(THUMBNAIL_LONG_SIDE, height=THUMBNAIL_LONG_SIDE, size="down")
        return _jpeg(web, WEB_QUALITY), _jpeg(thumb, THUMBNAIL_QUALITY)
    except pyvips.Error as exc:
        raise read_error(exc) from exc


def _jpeg(image: pyvips.Image, quality: int) -> Derivative:
    data = image.jpegsave_buffer(Q=quality, keep="none", optimize_coding=True, interlace=True)
    return Derivative(data=bytes(data), width=image.width, height=image.height)
