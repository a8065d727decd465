"""Bad and unusual image inputs: clear ImageInputError codes, or a faithful RGB conversion."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from restoration.damage import ImageInputError, build_model, detect, load_image


def png_bytes(im: Image.Image, **kwargs) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="PNG", **kwargs)
    return buf.getvalue()


def with_ihdr_size(png: bytes, width: int, height: int) -> bytes:
    """The same PNG with its header claiming another size (the pixel data stays tiny)."""
    assert png[12:16] == b"IHDR"
    body = struct.pack(">II", width, height) + png[24:29]
    chunk = b"IHDR" + body
    return png[:8] + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk)) + png[33:]


def code_of(source) -> str:
    with pytest.raises(ImageInputError) as info:
        load_image(source)
    assert str(info.value)  # a sentence, not an empty error
    return info.value.code


def test_text_is_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("condition notes, not pixels")
    assert code_of(path) == "not_an_image"
    assert code_of(b"\x00\x01\x02") == "not_an_image"
    assert code_of(tmp_path / "missing.png") == "not_an_image"


def test_one_pixel_image_is_too_small() -> None:
    assert code_of(png_bytes(Image.new("RGB", (1, 1)))) == "too_small"


def test_100_megapixels_refused_from_the_header_alone() -> None:
    header_only = with_ihdr_size(png_bytes(Image.new("RGB", (20, 20), "red")), 10_000, 10_000)
    # Decoding this file would fail (its data holds 20x20 pixels), so "too_large" shows the size
    # was judged from the header before any decoding.
    assert code_of(header_only) == "too_large"
    with pytest.raises(ImageInputError, match=r"100\.0 megapixels"):
        load_image(header_only)


def test_truncated_file_is_corrupt() -> None:
    data = png_bytes(
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8))
    )
    assert code_of(data[: len(data) // 2]) == "corrupt"


def test_format_is_sniffed_not_taken_from_the_name(tmp_path: Path) -> None:
    path = tmp_path / "scan.jpg"  # PNG bytes under a JPEG name
    path.write_bytes(png_bytes(Image.new("RGB", (32, 24), (10, 200, 30))))
    arr = load_image(path)
    assert arr.shape == (24, 32, 3) and arr.dtype == np.uint8
    assert tuple(arr[0, 0]) == (10, 200, 30)


def test_cmyk_is_converted_to_rgb() -> None:
    buf = io.BytesIO()
    Image.new("CMYK", (32, 32), (255, 0, 0, 0)).save(buf, format="TIFF")  # pure cyan ink
    arr = load_image(buf.getvalue())
    assert arr.shape == (32, 32, 3)
    assert tuple(arr[5, 5]) == (0, 255, 255)


def test_16_bit_grey_is_scaled_not_clipped(tmp_path: Path) -> None:
    values = np.array([[0, 32768, 65535, 1000]], np.uint16).repeat(16, axis=0).repeat(4, axis=1)
    path = tmp_path / "depth.png"
    cv2.imwrite(str(path), values)
    arr = load_image(path)
    # convert("L") would turn every value above 255 into 255; scaling keeps the gradations.
    assert list(arr[0, ::4, 0]) == [0, 128, 255, 4]
    assert (arr[..., 0] == arr[..., 2]).all()


def test_16_bit_colour_keeps_its_colours(tmp_path: Path) -> None:
    bgr = np.zeros((20, 20, 3), np.uint16)
    bgr[..., 2] = 65535  # red at full scale
    bgr[..., 1] = 32896  # half green
    path = tmp_path / "colour16.png"
    cv2.imwrite(str(path), bgr)
    arr = load_image(path)
    assert (
        abs(int(arr[0, 0, 0]) - 255) <= 1
        and abs(int(arr[0, 0, 1]) - 128) <= 1
        and arr[0, 0, 2] == 0
    )


def test_palette_image_is_expanded() -> None:
    im = Image.new("P", (20, 20))
    im.putpalette([0, 0, 0, 200, 50, 25] + [0] * 762)
    im.paste(1, (0, 0, 10, 20))
    arr = load_image(png_bytes(im))
    assert tuple(arr[0, 0]) == (200, 50, 25) and tuple(arr[0, 15]) == (0, 0, 0)


def test_palette_transparency_and_alpha_become_white() -> None:
    im = Image.new("P", (20, 20))
    im.putpalette([0, 0, 0, 200, 50, 25] + [0] * 762)
    im.paste(1, (0, 0, 10, 20))
    arr = load_image(png_bytes(im, transparency=0))
    assert tuple(arr[0, 15]) == (255, 255, 255) and tuple(arr[0, 0]) == (200, 50, 25)
    la = Image.new("LA", (20, 20), (40, 0))  # fully transparent dark grey
    assert tuple(load_image(png_bytes(la))[3, 3]) == (255, 255, 255)
    rgba = Image.new("RGBA", (20, 20), (10, 20, 30, 255))
    assert tuple(load_image(png_bytes(rgba))[3, 3]) == (10, 20, 30)


def test_max_pixels_is_configurable() -> None:
    data = png_bytes(Image.new("RGB", (100, 100)))
    assert load_image(data, max_pixels=10_000).shape == (100, 100, 3)
    with pytest.raises(ImageInputError) as info:
        load_image(data, max_pixels=9_999)
    assert info.value.code == "too_large"


def test_detect_refuses_arrays_of_the_wrong_kind() -> None:
    model = build_model("damage_unet_tiny", device="cpu")
    with pytest.raises(ValueError, match="uint8"):
        detect(np.zeros((32, 32, 3), np.float32), model=model)
    with pytest.raises(ValueError, match="uint8"):
        detect(np.zeros((32, 32, 4), np.uint8), model=model)
    with pytest.raises(TypeError):
        detect([[0]], model=model)
