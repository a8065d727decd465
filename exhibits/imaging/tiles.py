"""IIIF Image API 3 level-0 static tiles, written by libvips from the sRGB pixels (`open_srgb`).

The layout is libvips' `iiif3` (what OpenSeadragon and Mirador request): for each scale factor
`s`, tiles `<x>,<y>,<w>,<h>/<w/s>,<h/s>/0/default.jpg`, and at the smallest level, where one
tile holds the whole image, `full/<w>,<h>/0/default.jpg`. `info.json` is written with a
placeholder id (`ID_PLACEHOLDER`); the server puts the service's real URL there per request.
Framework-free: pyvips only.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pyvips

from exhibits.imaging.raster import open_srgb, read_error

ID_PLACEHOLDER = "https://iiif.invalid/iiif/3/placeholder"
TILE_QUALITY = 75  # libvips' default, as `vips dzsave` writes: Q85 cost 40 % more time, +45 % bytes


@dataclass(frozen=True)
class TileSet:
    width: int
    height: int
    tile_size: int
    scale_factors: list[int]
    sizes: list[list[int]] = field(default_factory=list)  # full images served: [[w, h], ...]
    files: int = 0  # tile files and info.json


def write_iiif_tiles(path: Path, out_dir: Path, *, tile_size: int = 512) -> TileSet:
    """Write the tiles and info.json of the image at `path` into `out_dir` (which must not
    exist). libvips writes into a hidden `.<name>.partial` folder beside it (with its stray
    vips-properties.xml), renamed once complete: `out_dir` appears whole or not at all."""
    if out_dir.exists():
        raise FileExistsError(out_dir)
    staging = partial_dir(out_dir)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        image = open_srgb(path)
        image.dzsave(
            str(staging / "tiles"),
            layout="iiif3",
            tile_size=tile_size,
            Q=TILE_QUALITY,
            id=ID_PLACEHOLDER.rsplit("/", 1)[0],
            keep="none",  # no metadata in the tiles
        )
        tiles = _finish_info(staging / "tiles", tile_size)
        (staging / "tiles").rename(out_dir)
        return tiles
    except pyvips.Error as exc:
        raise read_error(exc) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def partial_dir(out_dir: Path) -> Path:
    """Where `write_iiif_tiles` builds `out_dir`."""
    return out_dir.parent / f".{out_dir.name}.partial"


def _finish_info(out_dir: Path, tile_size: int) -> TileSet:
    """Complete libvips' info.json: the placeholder id, the full-image sizes on disk."""
    info_path = out_dir / "info.json"
    info = json.loads(info_path.read_text())
    width, height = int(info["width"]), int(info["height"])
    scale_factors = [int(s) for s in info["tiles"][0]["scaleFactors"]]
    sizes = []
    full = out_dir / "full"
    if full.is_dir():
        for entry in sorted(full.iterdir()):
            w, _, h = entry.name.partition(",")
            if w.isdigit() and h.isdigit() and (entry / "0" / "default.jpg").is_file():
                sizes.append([int(w), int(h)])
    info["id"] = ID_PLACEHOLDER
    if sizes:
        info["sizes"] = [{"width": w, "height": h} for w, h in sorted(sizes)]
    info_path.write_text(json.dumps(info, indent=1))
    return TileSet(
        width=width,
        height=height,
        tile_size=tile_size,
        scale_factors=scale_factors,
        sizes=sorted(sizes),
        files=sum(1 for p in out_dir.rglob("*") if p.is_file()),
    )


def tile_files(out_dir: Path) -> list[Path]:
    """Every file of a tile set, relative to `out_dir` (info.json first)."""
    files = sorted(p.relative_to(out_dir) for p in out_dir.rglob("*") if p.is_file())
    return sorted(files, key=lambda p: p.name != "info.json")
