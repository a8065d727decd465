"""Seed of the deep-zoom benchmark, run inside the museum (`manage.py shell -c`): a published
flat work of one 100-megapixel canvas (10,000 x 10,000 px, made by libvips without holding it in
memory), tiled by the imaging core (IIIF level 0), with its web copy. seed() returns
{"artifact", "web_url", "tiles_seconds"}; unseed(pk) removes it."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pyvips
from django.core.files import File
from django.core.files.base import ContentFile

from exhibits.collection import services as exhibit_services
from exhibits.imaging.derivatives import web_copy_and_thumbnail
from exhibits.imaging.models import WEB_IMAGE, Canvas, ImageService, new_identifier
from exhibits.imaging.stored_tiles import store_tiles, tile_root
from exhibits.imaging.tiles import write_iiif_tiles
from exhibits.models import Artifact, Asset, PublicationStatus

SIDE = 10_000


def synthetic(side: int) -> pyvips.Image:
    """A painting-like test card: smooth colour fields with fine lines, so tiles compress like
    a picture (neither flat nor noise)."""
    xy = pyvips.Image.xyz(side, side)
    x, y = xy[0], xy[1]
    red = (x * (255 / side)).cast("uchar")
    green = (y * (255 / side)).cast("uchar")
    blue = (((x / 37.0).sin() + (y / 53.0).cos()) * 60 + 128).cast("uchar")
    grid = ((x % 250) < 3) | ((y % 250) < 3)
    return grid.ifthenelse([30, 25, 20], red.bandjoin([green, blue])).copy(interpretation="srgb")


def seed(side: int = SIDE) -> dict[str, object]:
    artifact = Artifact.objects.create(
        object_number="BENCH.DEEPZOOM.1",
        title="Deep zoom benchmark (100 MP)",
        status=PublicationStatus.PUBLISHED,
        form="flat",
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.tif"
        synthetic(side).tiffsave(str(path), tile=True, compression="jpeg", Q=90, bigtiff=True)
        source = Asset(
            artifact=artifact, kind=Asset.Kind.SOURCE, byte_size=path.stat().st_size,
            format="tiff", width_px=side, height_px=side, public=True,
        )  # fmt: skip
        with path.open("rb") as handle:
            source.file.save("bench.tif", File(handle), save=False)
        source.save()
        started = time.perf_counter()
        tiles = write_iiif_tiles(path, Path(folder) / "tiles")
        tiles_seconds = time.perf_counter() - started
        identifier = new_identifier()
        store_tiles(Path(folder) / "tiles", tile_root(identifier))
        web, _thumb = web_copy_and_thumbnail(path)
    ImageService.objects.create(
        asset=source, identifier=identifier, width=tiles.width, height=tiles.height,
        tile_size=tiles.tile_size, scale_factors=list(tiles.scale_factors),
        sizes=[list(size) for size in tiles.sizes], root=tile_root(identifier),
    )  # fmt: skip
    web_asset = Asset(
        artifact=artifact, kind=Asset.Kind.IMAGE, label=WEB_IMAGE, byte_size=len(web.data),
        format="jpeg", width_px=web.width, height_px=web.height, derived_from=source,
    )  # fmt: skip
    web_asset.file.save("web.jpg", ContentFile(web.data), save=False)
    web_asset.save()
    Canvas.objects.create(
        artifact=artifact, order=0, label="", source=source, width_px=side, height_px=side
    )
    exhibit_services.set_source_public(assets=artifact.assets.filter(pk=source.pk), public=True)
    return {
        "artifact": artifact.pk,
        "web_url": web_asset.file.url,
        "tiles_seconds": round(tiles_seconds, 2),
    }


def unseed(pk: int) -> None:
    Artifact.objects.filter(pk=pk).delete()
