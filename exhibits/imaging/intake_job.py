"""The intake job of an image source (run by exhibits.intake.services._intake through the one
job runner, museum.jobs, as scans are). The source is read once, streaming: libvips writes the
IIIF tiles, and the web copy and thumbnail are made from the pyramid's level above the web size
(a second read of a 100-megapixel scan would cost as much as the tiles). Then, one transaction
each:

1. web copy + thumbnail: the artifact is viewable;
2. the ImageService of the tiles: the job is complete, then `intake_published` (condition
   check).

Damage found while the pixels are read fails the job, which keeps nothing half-made: no tiles
folder without its ImageService (a killed attempt's folder is noted in the job's report first,
for the clean-up), the web copy only once published.
"""

from __future__ import annotations

import json
import tempfile
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from exhibits.collection.services import derived_asset, mark_job
from exhibits.imaging.derivatives import Derivative, web_copy_from_tiles
from exhibits.imaging.raster import ImageFacts, probe
from exhibits.imaging.services import max_pixels
from exhibits.imaging.stored_tiles import (
    delete_tiles,
    delete_unpublished_tiles,
    local_image_path,
    tile_root,
    write_tiles,
)
from exhibits.imaging.tiles import TileSet
from exhibits.intake.errors import IntakeError
from exhibits.intake.signals import intake_published
from exhibits.models import WEB_IMAGE, Asset, Canvas, ImageService, Job
from museum import jobs
from museum.uploads import stored_first


def run_image_intake(job: Job, source: Asset) -> None:
    """The job's body for an image source (see the module doc)."""
    with local_image_path(source.file) as path:
        _run(job, source, path)


def _run(job: Job, source: Asset, local_path: Path) -> None:
    """One read of the source: the tiles; the web copy and thumbnail from the pyramid (so a
    100-megapixel scan is decoded once). Then the two publications: web copy and thumbnail
    (viewable), the ImageService (complete). A failure before the first keeps nothing."""
    filename = source.original_filename or source.file.name or ""
    facts = probe(local_path, filename=filename, max_pixels=max_pixels())
    mark_job(job, status=Job.Status.RUNNING, progress=10, stage=_("tiles"))
    identifier = _pending_identifier(job)
    root = tile_root(identifier)
    try:
        with tempfile.TemporaryDirectory(prefix="mouseion-tiles-") as scratch:
            tiles, local_tiles = write_tiles(local_path, root, scratch=Path(scratch))
            mark_job(job, status=Job.Status.RUNNING, progress=80, stage=_("web copy"))
            web, thumbnail = web_copy_from_tiles(local_tiles, tiles)
        _publish_web(job=job, source=source, facts=facts, web=web, thumbnail=thumbnail)
    except BaseException:
        delete_tiles(root)
        raise
    try:
        _publish_service(job=job, source=source, facts=facts, tiles=tiles, identifier=identifier)
    except jobs.Superseded:
        raise
    except Exception as exc:
        delete_tiles(root)
        reason = str(exc) if isinstance(exc, IntakeError) else f"{type(exc).__name__}: {exc}"
        raise IntakeError(
            getattr(exc, "code", None) or "later_stage_failed",
            _("The web copy is published and stays viewable; the tiles failed: %(reason)s")
            % {"reason": reason},
        ) from exc


def _pending_identifier(job: Job) -> str:
    """A new service identifier, noted in the job's report before any tile is stored, so the
    clean-up of a killed attempt finds its folder."""
    from exhibits.imaging.models import new_identifier

    identifier = new_identifier()
    pending = [*job.report.get("pending_tiles", []), identifier]
    job.report = {**job.report, "pending_tiles": pending}
    job.save(update_fields=["report"])
    return identifier


def _publish_web(
    *, job: Job, source: Asset, facts: ImageFacts, web: Derivative, thumbnail: Derivative
) -> None:
    stem = f"job{job.pk}-{Path(source.original_filename or 'image').stem}"[:80]
    files = []
    for kind, label, derivative, name in (
        (Asset.Kind.IMAGE, WEB_IMAGE, web, f"{stem}-web.jpg"),
        (Asset.Kind.THUMBNAIL, "preview", thumbnail, f"{stem}-thumb.jpg"),
    ):
        content = ContentFile(derivative.data)
        asset = derived_asset(
            source=source,
            kind=kind,
            label=label,
            content=content,
            file_format="jpeg",
            job=job,
            width_px=derivative.width,
            height_px=derivative.height,
        )
        files.append((asset, content, name))
    with ExitStack() as written:
        for asset, content, name in files:
            written.enter_context(stored_first(asset.file, name, content))
        with transaction.atomic():
            jobs.hold(job)  # a superseded attempt publishes nothing
            earlier = Asset.objects.filter(
                created_by_job=job, kind__in=(Asset.Kind.IMAGE, Asset.Kind.THUMBNAIL)
            )
            for old in earlier:
                if old.file.name:
                    transaction.on_commit(partial(old.file.storage.delete, old.file.name))
            earlier.delete()
            for asset, _content, _name in files:
                asset.save()
            Canvas.objects.filter(source=source).update(
                width_px=facts.width, height_px=facts.height
            )
            job.report = {**job.report, **_report(facts)}
            job.save(update_fields=["report"])
            mark_job(job, status=Job.Status.RUNNING, progress=90, stage=_("image service"))


def _report(facts: ImageFacts) -> dict[str, Any]:
    return {
        "kind": "image",
        "format": facts.format,
        "width": facts.width,
        "height": facts.height,
        "bits": facts.bits,
        "bands": facts.bands,
        "interpretation": facts.interpretation,
        "icc_profile": facts.has_icc,
        "orientation": facts.orientation,
        "file_pixels_per_cm": facts.pixels_per_cm,
        # A multi-page TIFF: the first page is the canvas (further pages: upload each).
        "pages": facts.pages,
    }


def _publish_service(
    *, job: Job, source: Asset, facts: ImageFacts, tiles: TileSet, identifier: str
) -> None:
    with transaction.atomic():
        jobs.hold(job)
        ImageService.objects.filter(asset=source).delete()  # a retry's: its tiles go on commit
        ImageService.objects.create(
            asset=source,
            identifier=identifier,
            width=tiles.width,
            height=tiles.height,
            tile_size=tiles.tile_size,
            scale_factors=tiles.scale_factors,
            sizes=tiles.sizes,
            root=tile_root(identifier),
        )
        for left in set(job.report.get("pending_tiles", [])) - {identifier}:
            # an earlier, killed attempt's folder
            transaction.on_commit(partial(delete_tiles, tile_root(left)), robust=True)
        report = {k: v for k, v in job.report.items() if k != "pending_tiles"}
        report.update(_report(facts), tiles=tiles.files, scale_factors=tiles.scale_factors)
        jobs.complete(job, report=json.loads(json.dumps(report)))
        transaction.on_commit(
            lambda: intake_published.send(
                sender=Job, job_id=job.pk, artifact_id=source.artifact_id
            ),
            robust=True,
        )


def remove_image_attempt_files(job: Job) -> None:
    """Clean-up of a failed image attempt: tile folders it noted but never published."""
    delete_unpublished_tiles(list((job.report or {}).get("pending_tiles", [])))
