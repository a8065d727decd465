"""Tile sets in the media storage, through the storage API only (files on disk or objects in a
bucket alike): copied in from a worker's temporary folder, opened for the IIIF views, deleted
with their ImageService (a post_delete receiver, on commit). And the one way a worker gets a
stored image as a local file for libvips (`local_image_path`)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from django.db import transaction
from django.db.models.fields.files import FieldFile

from exhibits.imaging.tiles import TileSet, tile_files, write_iiif_tiles
from exhibits.models import Asset, ImageService


def media_storage() -> Storage:
    return Asset._meta.get_field("file").storage


@contextmanager
def local_image_path(field_file: FieldFile) -> Iterator[Path]:
    """A stored image as a local file for libvips, read only: the stored file itself when media
    are on disk (sources are never overwritten), else a temporary copy made through the storage
    API (a bucket), removed afterwards."""
    storage = field_file.storage
    if isinstance(storage, FileSystemStorage):
        yield Path(storage.path(field_file.name or ""))
        return
    suffix = Path(field_file.name or "").suffix[:16]
    with tempfile.NamedTemporaryFile(prefix="mouseion-source-", suffix=suffix) as copy:
        with field_file.open("rb") as handle:
            shutil.copyfileobj(handle, copy, 1024 * 1024)
        copy.flush()
        yield Path(copy.name)


def tile_root(identifier: str) -> str:
    return f"iiif/{identifier}/"


def write_tiles(
    path: Path, root: str, *, scratch: Path, tile_size: int = 512
) -> tuple[TileSet, Path]:
    """Write the tiles of the image at `path` into the storage under `root`; returns them and
    a local folder holding them while `scratch` exists. Media on disk: libvips writes them in
    place (no second copy of a large pyramid; on failure nothing stays); elsewhere (a bucket)
    into `scratch` first, then copied through the storage API."""
    storage = media_storage()
    if isinstance(storage, FileSystemStorage):
        target = Path(storage.path(root.rstrip("/")))
        target.parent.mkdir(parents=True, exist_ok=True)
        return write_iiif_tiles(path, target, tile_size=tile_size), target
    tiles = write_iiif_tiles(path, scratch / "tiles", tile_size=tile_size)
    store_tiles(scratch / "tiles", root)
    return tiles, scratch / "tiles"


def store_tiles(local_dir: Path, root: str) -> int:
    """Copy a tile set into the storage under `root`; on any failure what was copied is
    deleted again. Returns the number of files."""
    storage = media_storage()
    done = 0
    try:
        for relative in tile_files(local_dir):
            name = root + relative.as_posix()
            with (local_dir / relative).open("rb") as handle:
                saved = storage.save(name, File(handle))
            if saved != name:  # storage renamed it: the folder was not new
                storage.delete(saved)
                raise FileExistsError(f"{name} exists in the media storage")
            done += 1
    except BaseException:
        delete_tiles(root)
        raise
    return done


def delete_tiles(root: str) -> None:
    """Delete every file under `root` (and, on disk, the emptied folders)."""
    if not root.startswith("iiif/") or ".." in root:
        raise ValueError(f"not a tile root: {root!r}")
    storage = media_storage()
    _delete_folder(storage, root.rstrip("/"))


def delete_unpublished_tiles(pending: list[str]) -> None:
    """Clean-up of a failed job (image intake or restoration): the tile folders it noted in its
    report's `pending_tiles` whose ImageService was never published, and a killed attempt's
    unfinished `.partial` folder."""
    published = set(
        ImageService.objects.filter(identifier__in=pending).values_list("identifier", flat=True)
    )
    for identifier in pending:
        if identifier not in published:
            delete_tiles(tile_root(identifier))
            delete_tiles(f"iiif/.{identifier}.partial/")


def _delete_folder(storage: Storage, folder: str) -> None:
    try:
        folders, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        storage.delete(f"{folder}/{name}")
    for name in folders:
        _delete_folder(storage, f"{folder}/{name}")
    with suppress(OSError):
        storage.delete(folder)  # FileSystemStorage removes an empty folder; a bucket has none


def service_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """post_delete of ImageService (however it goes: its asset, its artifact): its tiles go
    once the deletion commits."""
    if instance.root:
        transaction.on_commit(partial(delete_tiles, instance.root), robust=True)
