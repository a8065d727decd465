"""The flat-work image core (#20): formats read as 8-bit sRGB, and every hostile image refused
with a clear reason and nothing left behind (exhibits/imaging/raster, derivatives, tiles)."""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import pytest
import pyvips
from PIL import Image

from exhibits.imaging.derivatives import web_copy_and_thumbnail
from exhibits.imaging.raster import ImageRejected, open_srgb, probe
from exhibits.imaging.tiles import ID_PLACEHOLDER, write_iiif_tiles
from tests.unit.flat_images import animated_gif, gradient, png_with_header, write


def srgb_pixel(path: Path, x: int, y: int) -> list[float]:
    return open_srgb(path).getpoint(x, y)


@pytest.mark.parametrize(
    ("name", "options", "facts"),
    [
        ("work.jpg", {}, {"format": "jpeg", "bits": 8}),
        ("work.png", {}, {"format": "png", "bits": 8}),
        ("work.webp", {"lossless": True}, {"format": "webp", "bits": 8}),
        ("work.tif", {}, {"format": "tiff", "bits": 8}),
        ("big.tif", {"bigtiff": True}, {"format": "tiff"}),
        ("pyramid.tif", {"tile": True, "pyramid": True, "tile_width": 64, "tile_height": 64}, {}),
    ],
)
def test_formats_read_as_srgb(tmp_path, name, options, facts) -> None:
    path = write(gradient(), tmp_path / name, **options)
    found = probe(path)
    assert (found.width, found.height, found.orientation) == (300, 200, 1)
    for key, value in facts.items():
        assert getattr(found, key) == value
    image = open_srgb(path)
    assert (image.width, image.height, image.bands, image.format) == (300, 200, 3, "uchar")
    red = image.getpoint(5, 5)
    assert red[0] > 240 and red[1] < 15 and red[2] < 15


def test_sixteen_bit_tiff_and_png_become_eight_bit(tmp_path) -> None:
    deep = (gradient() * 257).cast("ushort").copy(interpretation="rgb16")
    for name in ("deep.tif", "deep.png"):
        path = write(deep, tmp_path / name)
        assert probe(path).bits == 16
        image = open_srgb(path)
        assert image.format == "uchar"
        assert image.getpoint(5, 5)[0] > 240
        assert abs(image.getpoint(299, 199)[1] - 255) <= 1


def test_exif_orientation_is_applied(tmp_path) -> None:
    image = gradient().copy()
    image.set_type(pyvips.GValue.gint_type, "orientation", 6)  # stored turned a quarter
    path = write(image, tmp_path / "camera.jpg")
    facts = probe(path)
    assert (facts.orientation, facts.width, facts.height) == (6, 200, 300)
    upright = open_srgb(path)
    assert (upright.width, upright.height) == (200, 300)
    # Orientation 6 turns the image clockwise: the red top-left corner goes top-right.
    assert upright.getpoint(195, 5)[0] > 200 and upright.getpoint(5, 5)[0] < 200


def test_wide_gamut_profile_is_converted_to_srgb(tmp_path) -> None:
    """A wide-gamut master (Display P3, like Adobe RGB wider than sRGB): its stored numbers for
    pure red are not (255, 0, 0); read through the profile they are again."""
    wide = gradient().icc_transform("p3")
    path = write(wide, tmp_path / "master.png")
    stored = pyvips.Image.new_from_file(str(path)).getpoint(5, 5)
    assert stored[0] < 245 and stored[1] > 30  # what a reader ignoring the profile would show
    facts = probe(path)
    assert facts.has_icc
    red = srgb_pixel(path, 5, 5)
    assert red[0] > 245 and red[1] < 12 and red[2] < 12


@pytest.mark.parametrize("keep_profile", [True, False])
def test_cmyk_with_or_without_profile(tmp_path, keep_profile) -> None:
    cmyk = gradient().icc_transform("cmyk")
    path = tmp_path / "print.jpg"
    cmyk.jpegsave(str(path), keep="all" if keep_profile else "none")
    facts = probe(path)
    assert facts.interpretation == "cmyk" and facts.bands == 4
    image = open_srgb(path)
    assert image.bands == 3
    red = image.getpoint(5, 5)
    assert red[0] > 200 and red[1] < 80 and red[2] < 80


def test_palette_grey_and_alpha(tmp_path) -> None:
    palette = tmp_path / "palette.png"
    gradient().pngsave(str(palette), palette=True)
    assert open_srgb(palette).bands == 3
    grey = write(gradient().colourspace("b-w"), tmp_path / "grey.png")
    assert probe(grey).bands == 1
    assert open_srgb(grey).bands == 3
    transparent = gradient().bandjoin(0).copy(interpretation="srgb")  # alpha 0 everywhere
    path = write(transparent, tmp_path / "alpha.png")
    assert open_srgb(path).getpoint(100, 100) == [255.0, 255.0, 255.0]  # flattened on white


def test_resolution_gives_pixels_per_cm_only_when_plausible(tmp_path) -> None:
    scan = write(gradient(), tmp_path / "scan.tif", xres=600 / 25.4, yres=600 / 25.4)
    assert probe(scan).pixels_per_cm == pytest.approx(600 / 2.54, rel=1e-3)
    default = write(gradient(), tmp_path / "screen.tif", xres=72 / 25.4, yres=72 / 25.4)
    assert probe(default).pixels_per_cm is None
    assert probe(write(gradient(), tmp_path / "plain.jpg")).pixels_per_cm is None


# --- hostile images ---------------------------------------------------------------------------


def jpeg_bytes() -> bytes:
    return bytes(gradient().jpegsave_buffer(Q=90))


def garbage_icc_jpeg() -> bytes:
    data = jpeg_bytes()
    segment = b"ICC_PROFILE\x00\x01\x01" + b"garbage" + bytes(range(256)) * 2
    app2 = b"\xff\xe2" + struct.pack(">H", len(segment) + 2) + segment
    return data[:2] + app2 + data[2:]


def gif_bytes(frames: int) -> bytes:
    images = [Image.new("RGB", (16, 16), (index * 80, 0, 0)) for index in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=100)
    return buffer.getvalue()


HOSTILE = [
    ("empty.jpg", lambda: b"", "empty", "empty"),
    ("zero.png", lambda: png_with_header(0, 0), "corrupt", "cannot be read"),
    ("bomb.png", lambda: png_with_header(60_000, 60_000), "too_many_pixels", "3600 megapixels"),
    ("garbage-icc.jpg", garbage_icc_jpeg, "bad_profile", "colour profile (ICC) is damaged"),
    ("anim.gif", lambda: gif_bytes(3), "animated", "An animated GIF is not accepted"),
    ("still.gif", lambda: gif_bytes(1), "unsupported_format", "A GIF is not accepted"),
    ("notes.jpg", lambda: b"hello, not an image\n" * 20, "unknown_format", "not an image"),
    ("renamed.jpg", lambda: bytes(gradient().pngsave_buffer()), "format_mismatch", "is PNG"),
    ("scan.png", lambda: b"glTF" + b"\x00" * 200, "format_mismatch", "content is GLB"),
    ("doc.pdf", lambda: b"%PDF-1.4\n" + b"x" * 100, "unsupported_format", "PDF file is not"),
    (
        "polyglot.jpg",
        lambda: jpeg_bytes() + b"PK\x03\x04" + b"\x00" * 200 + b"PK\x05\x06" + b"\x00" * 18,
        "polyglot",
        "holds more than an image",
    ),
    (
        "page.png",
        lambda: bytes(gradient().pngsave_buffer()) + b"<html><script>alert(1)</script>",
        "polyglot",
        "holds more than an image",
    ),
]


@pytest.mark.parametrize(("name", "make", "code", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_images_are_refused_by_probe(tmp_path, name, make, code, message) -> None:
    path = tmp_path / name
    path.write_bytes(make())
    with pytest.raises(ImageRejected) as refused:
        probe(path, max_pixels=1_000_000_000)
    assert refused.value.code == code
    assert message in str(refused.value)


def test_the_pixel_cap_is_a_setting(tmp_path) -> None:
    path = write(gradient(), tmp_path / "work.png")
    with pytest.raises(ImageRejected, match="limit is 0 megapixels"):
        probe(path, max_pixels=50_000)


def test_a_renamed_image_without_known_extension_records_its_real_format(tmp_path) -> None:
    path = write(gradient(), tmp_path / "export.png")
    renamed = path.rename(tmp_path / "export.dat")
    assert probe(renamed).format == "png"


@pytest.mark.parametrize("name", ["cut.jpg", "cut.png", "cut.tif", "cut.webp"])
def test_truncated_files_are_refused(tmp_path, name) -> None:
    whole = write(gradient(600, 400), tmp_path / f"whole{Path(name).suffix}")
    data = whole.read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageRejected) as refused:
        probe(path)
    assert refused.value.code in ("truncated", "corrupt")


def test_damage_found_while_reading_fails_and_leaves_nothing(tmp_path) -> None:
    """A JPEG cut in its middle but closed with an end marker passes the header checks; the
    pixels fail to decode, for the web copy and for the tiles, and no tile folder stays."""
    data = bytes(gradient(600, 400).jpegsave_buffer(Q=95))
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2] + b"\xff\xd9")
    probe(path)
    with pytest.raises(ImageRejected) as refused:
        web_copy_and_thumbnail(path)
    assert refused.value.code == "corrupt"
    assert "damaged or incomplete" in str(refused.value)
    out = tmp_path / "tiles"
    with pytest.raises(ImageRejected):
        write_iiif_tiles(path, out, tile_size=128)
    assert not out.exists()


# --- derivatives and tiles -------------------------------------------------------------------


def test_web_copy_and_thumbnail_sizes(tmp_path) -> None:
    path = write(gradient(3000, 1000), tmp_path / "wide.png")
    web, thumb = web_copy_and_thumbnail(path)
    assert (web.width, web.height) == (2048, 683)
    assert (thumb.width, thumb.height) == (512, 171)
    assert web.data[:3] == b"\xff\xd8\xff" and thumb.data[:3] == b"\xff\xd8\xff"
    small = write(gradient(), tmp_path / "small.png")
    web, _thumb = web_copy_and_thumbnail(small)
    assert (web.width, web.height) == (300, 200)  # never enlarged


def test_iiif_tiles_layout_and_info(tmp_path) -> None:
    path = write(gradient(300, 200).icc_transform("p3"), tmp_path / "work.tif")
    out = tmp_path / "tiles"
    tiles = write_iiif_tiles(path, out, tile_size=128)
    assert (tiles.width, tiles.height, tiles.tile_size) == (300, 200, 128)
    assert tiles.scale_factors == [1, 2, 4]
    assert tiles.sizes == [[75, 50]]
    info = json.loads((out / "info.json").read_text())
    assert info["id"] == ID_PLACEHOLDER and info["profile"] == "level0"
    assert info["type"] == "ImageService3"
    assert info["sizes"] == [{"width": 75, "height": 50}]
    # Every level: full resolution, half, and the whole image at a quarter.
    assert (out / "0,0,128,128/128,128/0/default.jpg").is_file()
    assert (out / "256,128,44,72/44,72/0/default.jpg").is_file()
    assert (out / "0,0,256,200/128,100/0/default.jpg").is_file()
    assert (out / "full/75,50/0/default.jpg").is_file()
    tile = pyvips.Image.new_from_file(str(out / "0,0,128,128/128,128/0/default.jpg"))
    red = tile.getpoint(5, 5)
    assert red[0] > 235 and red[1] < 25  # converted to sRGB from the wide-gamut profile
    with pytest.raises(FileExistsError):
        write_iiif_tiles(path, out)


def test_animated_gif_helper_has_frames() -> None:
    assert animated_gif(3)[:6] == b"GIF89a"


@pytest.mark.parametrize(("width", "height"), [(300, 200), (5000, 1300), (1100, 2600)])
def test_web_copy_from_the_pyramid_matches_the_source(tmp_path, width, height) -> None:
    from exhibits.imaging.derivatives import web_copy_from_tiles

    path = write(gradient(width, height), tmp_path / "work.tif")
    tiles = write_iiif_tiles(path, tmp_path / "tiles", tile_size=256)
    web, thumb = web_copy_from_tiles(tmp_path / "tiles", tiles)
    direct, _thumb = web_copy_and_thumbnail(path)
    assert (web.width, web.height) == (direct.width, direct.height)
    assert max(thumb.width, thumb.height) == min(512, max(width, height))
    ours = pyvips.Image.new_from_buffer(web.data, "")
    theirs = pyvips.Image.new_from_buffer(direct.data, "")
    assert (ours - theirs).abs().avg() < 3  # the same picture, but for JPEG's rounding


def test_a_web_jpegs_dpi_is_no_scale(tmp_path) -> None:
    """A resized copy keeps its master's 300 dpi: not the work's size."""
    path = tmp_path / "poster.jpg"
    gradient().jpegsave(str(path))
    image = pyvips.Image.new_from_file(str(path)).copy(xres=300 / 25.4, yres=300 / 25.4)
    image.jpegsave(str(tmp_path / "dpi.jpg"))
    assert pyvips.Image.new_from_file(str(tmp_path / "dpi.jpg")).xres > 11
    assert probe(tmp_path / "dpi.jpg").pixels_per_cm is None


@pytest.mark.parametrize(
    ("orientation", "size", "red_at"),
    [
        (2, (300, 200), (295, 5)),  # mirrored
        (3, (300, 200), (295, 195)),  # half a turn
        (8, (200, 300), (5, 295)),  # a quarter turn anticlockwise
    ],
)
def test_every_exif_orientation(tmp_path, orientation, size, red_at) -> None:
    image = gradient().copy()
    image.set_type(pyvips.GValue.gint_type, "orientation", orientation)
    path = write(image, tmp_path / "camera.jpg", Q=95)
    assert (probe(path).width, probe(path).height) == size
    upright = open_srgb(path)
    assert (upright.width, upright.height) == size
    red = upright.getpoint(*red_at)
    assert red[0] > 200 and red[1] < 60


def test_an_animated_webp_is_refused(tmp_path) -> None:
    frames = [Image.new("RGB", (16, 16), (index * 80, 0, 0)) for index in range(3)]
    path = tmp_path / "loop.webp"
    frames[0].save(path, format="WEBP", save_all=True, append_images=frames[1:], duration=100)
    with pytest.raises(ImageRejected, match="An animated WebP is not accepted"):
        probe(path)
