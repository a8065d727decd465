"""A flat work's web copy (sRGB JPEG, long side at most 2048 px) and thumbnail (512 px): from
the source in one streaming read through `open_srgb`, or, once its IIIF tiles exist, from the
pyramid level just above the web size (a few dozen small tiles instead of a second read of a
100-megapixel source). Framework-free: pyvips only."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pyvips

from exhibits.imaging.raster import open_srgb, read_error
from exhibits.imaging.tiles import TileSet

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


def web_copy_from_tiles(tiles_dir: Path, tiles: TileSet) -> tuple[Derivative, Derivative]:
    """Both images from a tile set: the level of the largest scale factor whose long side is
    still at least the web size (the full image for a small one), assembled, then reduced."""
    long_side = max(tiles.width, tiles.height)
    scale = max(
        (s for s in tiles.scale_factors if math.ceil(long_side / s) >= WEB_LONG_SIDE), default=1
    )
    level = _assemble(tiles_dir, tiles, scale)
    web = level.thumbnail_image(WEB_LONG_SIDE, height=WEB_LONG_SIDE, size="down").copy_memory()
    thumb = web.thumbnail_image(THUMBNAIL_LONG_SIDE, height=THUMBNAIL_LONG_SIDE, size="down")
    return _jpeg(web, WEB_QUALITY), _jpeg(thumb, THUMBNAIL_QUALITY)


def _assemble(tiles_dir: Path, tiles: TileSet, scale: int) -> pyvips.Image:
    """The image at 1/`scale` from that level's tile files (`x,y,w,h/sw,sh/0/default.jpg`)."""
    width, height = math.ceil(tiles.width / scale), math.ceil(tiles.height / scale)
    if width <= tiles.tile_size and height <= tiles.tile_size:
        whole = tiles_dir / "full" / f"{width},{height}" / "0" / "default.jpg"
        if whole.is_file():
            return pyvips.Image.new_from_file(str(whole))
    canvas = pyvips.Image.black(width, height, bands=3).copy(interpretation="srgb")
    span = tiles.tile_size * scale
    for x in range(0, tiles.width, span):
        for y in range(0, tiles.height, span):
            w, h = min(span, tiles.width - x), min(span, tiles.height - y)
            region = tiles_dir / f"{x},{y},{w},{h}"
            sizes = [d for d in region.iterdir() if _size_fits(d.name, w, h, scale)]
            if not sizes:
                raise FileNotFoundError(f"tile {region.name} at 1/{scale} missing")
            tile = pyvips.Image.new_from_file(str(sizes[0] / "0" / "default.jpg"))
            canvas = canvas.insert(tile, x // scale, y // scale)
    return canvas.cast("uchar")


def _size_fits(name: str, w: int, h: int, scale: int) -> bool:
    sw, _, sh = name.partition(",")
    return (
        sw.isdigit()
        and sh.isdigit()
        and abs(w / scale - int(sw)) <= 1
        and abs(h / scale - int(sh)) <= 1
    )


def _jpeg(image: pyvips.Image, quality: int) -> Derivative:
    data = image.jpegsave_buffer(Q=quality, keep="none", optimize_coding=True)
    return Derivative(data=bytes(data), width=image.width, height=image.height)
