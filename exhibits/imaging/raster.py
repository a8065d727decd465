"""The one way to read a flat work's pixels, and the checks that refuse hostile images.

`probe` reads the header only (libvips opens lazily): the real format from the first bytes, the
size against a pixel cap, animated GIFs, bytes smuggled after the image (polyglots), a damaged
colour profile. `open_srgb` then gives the pixels as 8-bit sRGB, orientation applied, streaming
(libvips' sequential access) so that a 20,000 x 20,000 scan never sits whole in memory; a
truncated or damaged file fails while it is read (libvips' `fail_on`: errors, and for JPEG
also libjpeg's "corrupt data" warnings), never as grey tiles.

The declared extension is a claim: a name that says another image format than the bytes is
refused (as scans are, `exhibits/intake/sniff.py`); an unknown or missing extension is ignored and
the real format recorded. Framework-free: pyvips (and Pillow's lcms binding to check a profile).
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pyvips
from PIL import ImageCms

from exhibits.intake.errors import IntakeError

# libvips' progress notes ("input size is...", "threadpool completed") reach Python logging at
# INFO through pyvips: a worker's log would hold a dozen lines per image. Its warnings stay.
logging.getLogger("pyvips").setLevel(logging.WARNING)

IMAGE_FORMATS = frozenset({"jpeg", "png", "tiff", "webp"})
# What sniff recognises besides, so that the refusal names the format.
REFUSED_FORMATS = {
    "gif": "GIF",
    "bmp": "BMP",
    "pdf": "PDF",
    "zip": "ZIP",
    "glb": "GLB",
    "heic": "HEIC",
    "jp2": "JPEG 2000",
    "svg": "SVG",
}
EXTENSIONS = {
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "jpe": "jpeg",
    "png": "png",
    "tif": "tiff",
    "tiff": "tiff",
    "webp": "webp",
    "gif": "gif",
    "bmp": "bmp",
    "pdf": "pdf",
    "heic": "heic",
    "jp2": "jp2",
    "svg": "svg",
}
DEFAULT_MAX_PIXELS = 1_000_000_000  # one gigapixel: a 31,600 x 31,600 scan
HEAD_BYTES = 64 * 1024
WHITE = [255.0, 255.0, 255.0]


class ImageRejected(IntakeError):
    """An image refused, with a stable `code` and a sentence a curator can act on."""


@dataclass(frozen=True)
class ImageFacts:
    width: int  # after orientation
    height: int
    format: str  # one of IMAGE_FORMATS
    bands: int
    bits: int  # per sample: 8, 16, 32
    interpretation: str  # libvips' name: srgb, rgb16, b-w, grey16, cmyk, multiband...
    has_icc: bool
    pages: int
    orientation: int  # EXIF 1-8
    pixels_per_cm: float | None  # from the file's resolution, when it is plausible


def sniff_image(head: bytes) -> str | None:
    """The format named by a file's first bytes, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):  # TIFF, BigTIFF
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"BM"):
        return "bmp"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"glTF"):
        return "glb"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return "heic"
    if head.startswith((b"\x00\x00\x00\x0cjP  ", b"\xff\x4f\xff\x51")):
        return "jp2"
    if head.lstrip()[:5].lower() in (b"<?xml", b"<svg "):
        return "svg"
    return None


def declared_image_format(filename: str) -> str | None:
    """The format an extension names, or None for a name without a known one."""
    return EXTENSIONS.get(Path(filename).suffix.lower().lstrip("."))


def _check_format(head: bytes, filename: str) -> str:
    real = sniff_image(head)
    if real is None:
        raise ImageRejected(
            "unknown_format",
            f"{Path(filename).name!r} is not an image we read: expected JPEG, PNG, TIFF or WebP.",
        )
    declared = declared_image_format(filename)
    if declared is not None and declared != real:
        raise ImageRejected(
            "format_mismatch",
            f"The file is named .{Path(filename).suffix.lstrip('.').lower()} but its content is "
            f"{REFUSED_FORMATS.get(real, real.upper())}: rename it or export it again.",
        )
    if real not in IMAGE_FORMATS:
        if real == "gif":
            return real  # refused by probe after counting its frames (a clearer message)
        raise ImageRejected(
            "unsupported_format",
            f"A {REFUSED_FORMATS[real]} file is not accepted for a flat work: "
            "export it as JPEG, PNG, TIFF or WebP.",
        )
    return real


# Signatures of another format's container: a file that is an image and also a zip (a jar, an
# office document), a PDF, or a web page is refused, whatever a browser or unzip would make of it.
_FOREIGN = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"%PDF-",
    b"<script",
    b"<html",
    b"<!doctype html",
    b"<?php",
)


def _check_end(path: Path, real: str, size: int) -> None:
    """Refuse a file cut short (no end marker), bytes after the image's end, and other formats'
    signatures in its first or last 64 KiB: libvips reads the image and ignores the rest, a
    browser or unzip would not (a polyglot)."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
        handle.seek(max(0, size - HEAD_BYTES))
        tail = handle.read(HEAD_BYTES)
    marker = {"jpeg": b"\xff\xd9", "png": b"IEND\xaeB`\x82"}.get(real)
    missing = trailing = False
    if marker is not None:
        # JPEG's entropy-coded data never holds FF D9 (an FF is followed by 00): a marker.
        missing = marker not in tail
        trailing = not missing and not tail.rstrip(b"\x00\r\n").endswith(marker)
    elif real == "webp":
        declared = int.from_bytes(head[4:8], "little") + 8
        missing, trailing = declared > size, declared + (declared % 2) < size
    if missing:
        raise ImageRejected(
            "truncated", "The file ends before the image does: it is incomplete. Upload it again."
        )
    lowered = (head[16:] + tail).lower()
    if trailing or any(signature.lower() in lowered for signature in _FOREIGN):
        raise ImageRejected(
            "polyglot",
            "The file holds more than an image (data after its end, or another format's "
            "content inside it); export the image again from the original.",
        )


def _pixels_per_cm(image: pyvips.Image, file_format: str) -> float | None:
    """The scanner's resolution when the file states one in a real unit and it is plausible for
    a scan: a TIFF (what scanners and digitisation workflows write; the dpi of a JPEG, PNG or
    WebP is mostly a leftover of a resized copy: 138 web images of paintings tried gave posters
    9 cm tall), 100 to 20,000 dpi, the same both ways, not a software default of 72 or 96."""
    fields = set(image.get_fields())
    if file_format != "tiff" or "resolution-unit" not in fields:
        return None
    xres, yres = image.xres * 10.0, image.yres * 10.0  # libvips: pixels per millimetre
    dpi = xres * 2.54
    if not (100 <= dpi <= 20_000) or abs(xres - yres) > 0.01 * xres:
        return None
    if round(dpi) in (72, 96):
        return None
    return round(xres, 4)


def _bits(image: pyvips.Image) -> int:
    return {"uchar": 8, "char": 8, "ushort": 16, "short": 16}.get(image.format, 32)


def probe(
    path: Path, *, filename: str | None = None, max_pixels: int = DEFAULT_MAX_PIXELS
) -> ImageFacts:
    """The facts of an image from its header, or ImageRejected with the reason. Decodes no
    pixel data, so it is safe on a decompression bomb (truncation shows when pixels are read)."""
    name = filename or path.name
    size = os.path.getsize(path)
    if size == 0:
        raise ImageRejected("empty", "The file is empty.")
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    real = _check_format(head, name)
    try:
        image = pyvips.Image.new_from_file(str(path), access="sequential", fail_on="truncated")
        pages = int(image.get("n-pages")) if "n-pages" in image.get_fields() else 1
    except pyvips.Error as exc:
        raise ImageRejected("corrupt", f"The image cannot be read: {_first_line(exc)}") from exc
    if real == "gif":
        what = "An animated GIF" if pages > 1 else "A GIF"
        raise ImageRejected(
            "animated" if pages > 1 else "unsupported_format",
            f"{what} is not accepted for a flat work: export a still image as PNG or JPEG.",
        )
    if real == "webp" and pages > 1:
        raise ImageRejected(
            "animated", "An animated WebP is not accepted for a flat work: export a still image."
        )
    width, height = image.width, image.height
    if width <= 0 or height <= 0:
        raise ImageRejected("no_pixels", "The image has no pixels (0 x 0).")
    if width * height > max_pixels:
        raise ImageRejected(
            "too_many_pixels",
            f"The image is {width} x {height} pixels ({width * height / 1e6:.0f} megapixels); "
            f"the limit is {max_pixels / 1e6:.0f} megapixels.",
        )
    _check_end(path, real, size)
    has_icc = image.get_typeof("icc-profile-data") != 0
    if has_icc:
        _check_profile(image)
    orientation = int(image.get("orientation")) if "orientation" in image.get_fields() else 1
    orientation = orientation if 1 <= orientation <= 8 else 1
    if orientation >= 5:  # a quarter turn: the displayed image is the other way round
        width, height = height, width
    return ImageFacts(
        width=width,
        height=height,
        format=real,
        bands=image.bands,
        bits=_bits(image),
        interpretation=str(image.interpretation),
        has_icc=has_icc,
        pages=pages,
        orientation=orientation,
        pixels_per_cm=_pixels_per_cm(image, real),
    )


PROFILE_SPACES = {"RGB ": (3, 4), "GRAY": (1, 2), "CMYK": (4, 5)}  # colour space: bands


def _check_profile(image: pyvips.Image) -> None:
    """lcms must open the embedded profile, and it must describe the image's colour space
    (libvips would silently fall back to sRGB on a damaged one, and show wrong colours)."""
    data = bytes(image.get("icc-profile-data"))
    try:
        space = ImageCms.ImageCmsProfile(io.BytesIO(data)).profile.xcolor_space
    except (OSError, ValueError, TypeError) as exc:
        raise ImageRejected(
            "bad_profile",
            "The embedded colour profile (ICC) is damaged; export the image again with a valid "
            "profile, or without one.",
        ) from exc
    if image.bands not in PROFILE_SPACES.get(space, (image.bands,)):
        raise ImageRejected(
            "bad_profile",
            f"The embedded colour profile is for {space.strip()} but the image has "
            f"{image.bands} channels; export it again with a matching profile.",
        )


def _first_line(exc: Exception) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[-1][:200] if lines else type(exc).__name__


def open_srgb(path: Path, *, access: str = "sequential") -> pyvips.Image:
    """The image as 3-band 8-bit sRGB, EXIF orientation applied, any profile converted to sRGB
    (CMYK without one through libvips' default CMYK profile), 16 bits to 8, palette and grey
    expanded, alpha flattened on white. Lazy: pixels are read when the result is written.

    A rotated or flipped image needs random access (libvips rotates from a decoded copy); every
    other image streams top to bottom."""
    image = pyvips.Image.new_from_file(str(path), access=access, fail_on="error")
    if image.get("vips-loader").startswith("jpegload"):
        # libjpeg reports missing scan data ("premature end of data segment") as a warning and
        # paints the rest grey: for a museum master that is damage, not a detail.
        image = pyvips.Image.new_from_file(str(path), access=access, fail_on="warning")
    orientation = int(image.get("orientation")) if "orientation" in image.get_fields() else 1
    if orientation not in (0, 1) and access == "sequential":
        fail_on = "warning" if image.get("vips-loader").startswith("jpegload") else "error"
        image = pyvips.Image.new_from_file(str(path), access="random", fail_on=fail_on)
    if orientation not in (0, 1):
        image = image.autorot()
    if image.get_typeof("icc-profile-data") != 0 or image.interpretation == "cmyk":
        image = image.icc_transform("srgb", embedded=True, intent="relative", depth=8)
    elif image.interpretation != "srgb" or image.format != "uchar":
        image = image.colourspace("srgb")
    if image.hasalpha():
        image = image.flatten(background=WHITE)
    if image.bands > 3:
        image = image[0:3]
    if image.format != "uchar":
        image = image.cast("uchar")
    return image.copy(interpretation="srgb")


def read_error(exc: Exception) -> ImageRejected:
    """A libvips failure while pixels were read (a truncated or damaged file) as a refusal."""
    return ImageRejected(
        "corrupt",
        f"The image is damaged or incomplete and cannot be read to the end: {_first_line(exc)}",
    )
