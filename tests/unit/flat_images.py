"""Small test images for flat works, written by libvips or Pillow into a folder (#20)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pyvips
from PIL import Image


def gradient(width: int = 300, height: int = 200) -> pyvips.Image:
    """An sRGB 8-bit test card: a gradient with a red square in the top-left corner."""
    x = pyvips.Image.xyz(width, height)
    r = (x[0] * (255 / max(1, width - 1))).cast("uchar")
    g = (x[1] * (255 / max(1, height - 1))).cast("uchar")
    b = (r // 2 + g // 2).cast("uchar")
    image = r.bandjoin([g, b]).copy(interpretation="srgb")
    square = pyvips.Image.black(20, 20).new_from_image([255, 0, 0]).cast("uchar")
    return image.insert(square.copy(interpretation="srgb"), 0, 0)


def write(image: pyvips.Image, path: Path, **options) -> Path:
    image.write_to_file(str(path), **options)
    return path


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_with_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height over a few bytes of pixel data (a bomb's
    header, or 0 x 0)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def animated_gif(frames: int = 3) -> bytes:
    images = [Image.new("P", (16, 16), color=index) for index in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=100)
    return buffer.getvalue()


def png_with_garbage_icc(path: Path) -> Path:
    """A valid PNG whose iCCP chunk holds bytes that are no ICC profile."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 200, 30)).save(buffer, format="PNG")
    data = buffer.getvalue()
    garbage = b"garbage" + bytes(range(256)) * 4
    iccp = png_chunk(b"iCCP", b"junk\x00\x00" + zlib.compress(garbage))
    end_of_ihdr = 8 + 25
    path.write_bytes(data[:end_of_ihdr] + iccp + data[end_of_ihdr:])
    return path
