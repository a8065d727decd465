"""Intake services: queue and run the job that turns a stored source into a web exhibit.
(An image source, a flat work's, runs `exhibits.imaging.intake_job.run_image_intake`.)

The source is stored untouched first (services.store_source_asset); the job validates,
normalises and derives the LOD ladder and thumbnail, published in stages: thumb and web
first (the artifact is viewable), then the preview image, then the inspection level of a
large scan, which completes the job. Each stage's rows appear in one transaction. A job that
fails before its first stage publishes nothing; one that fails later keeps what it published
and says so; a retry replaces it.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from exhibits.collection.services import (
    delete_unreferenced_job_files,
    derived_asset,
    mark_job,
    start_job,
)
from exhibits.imaging.raster import IMAGE_FORMATS
from exhibits.intake.errors import IntakeError
from exhibits.intake.limits import IntakeLimits
from exhibits.intake.lod import LadderSettings
from exhibits.intake.signals import intake_published
from exhibits.models import Artifact, Asset, DimensionsSource, Job
from museum import jobs
from museum.uploads import stored_first

if TYPE_CHECKING:
    from exhibits.intake.pipeline import IntakeStage

logger = logging.getLogger(__name__)

INTAKE_KIND = "intake"
PROGRESS_INTERVAL_S = 0.5
COPY_CHUNK = 1 << 20


def ladder_settings() -> LadderSettings:
    return LadderSettings(
        node=settings.MOUSEION_NODE,
        gltfpack_cli=str(settings.MOUSEION_GLTFPACK),
        **getattr(settings, "MOUSEION_LADDER", {}),
    )


def request_intake(*, source: Asset, options: dict[str, Any] | None = None) -> Job:
    """Queue the intake job of a source asset on the `default` queue (after commit)."""
    job = start_job(kind=INTAKE_KIND, artifact=source.artifact, input_asset=source)
    if options:
        job.options = options
        job.save(update_fields=["options"])
    jobs.enqueue_on_commit(job)
    return job


def _progress_reporter(job: Job) -> Callable[[int, str], None]:
    last = [0.0]

    def report(percent: int, stage: str) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_INTERVAL_S or percent >= 100:
            last[0] = now
            mark_job(job, status=Job.Status.RUNNING, progress=percent, stage=stage)

    return report


def run_intake_job(*, job_id: int) -> Job:
    """Body of the intake task, run by the job runner (museum.jobs): a duplicate delivery writes
    nothing, any exception fails the job with its reason, and a job whose worker died starts
    again from its untouched source."""
    return jobs.run(Job, job_id, _intake)


def run_intake(*args: Any, **kwargs: Any) -> Any:
    """pipeline.run_intake, imported when a job runs: the pipeline brings trimesh and the
    renderers (~0.5 s), which web processes, importing this module for the job registry, skip."""
    from exhibits.intake.pipeline import run_intake as run

    return run(*args, **kwargs)


def _intake(job: Job) -> None:
    from exhibits.intake.pipeline import IntakeOptions

    source = job.input_asset
    if source is None or source.kind != Asset.Kind.SOURCE:
        raise IntakeError("no_source", _("The job has no source asset."))
    published: list[int] = []  # pks of the rows this attempt has published

    def publish(stage: IntakeStage) -> None:
        assets = publish_intake_stage(job=job, source=source, stage=stage, published=published)
        published.extend(asset.pk for asset in assets)

    if source.format in IMAGE_FORMATS:  # a flat work's image (exhibits/imaging)
        from exhibits.imaging.intake_job import run_image_intake

        run_image_intake(job, source)
        return
    with _local_copy(source) as path:
        try:
            run_intake(
                path,
                source.original_filename or source.file.name or "",
                IntakeLimits.from_settings(),
                ladder_settings(),
                IntakeOptions(**job.options),
                progress=_progress_reporter(job),
                publish=publish,
            )
        except jobs.Superseded:
            raise
        except Exception as exc:
            if not published:
                raise
            raise _failed_after_publication(job, exc) from exc


@contextmanager
def _local_copy(source: Asset) -> Iterator[Path]:
    """The source in a temporary file, copied through the storage API (media may be in a
    bucket): gltfpack reads it there, and no copy of it stays in the worker's memory."""
    suffix = Path(source.file.name or "").suffix[:16]
    with tempfile.NamedTemporaryFile(prefix="mouseion-source-", suffix=suffix) as copy:
        with source.file.open("rb") as handle:
            shutil.copyfileobj(handle, copy, COPY_CHUNK)
        copy.flush()
        yield Path(copy.name)


def _failed_after_publication(job: Job, exc: Exception) -> IntakeError:
    """The failure of a later stage, saying what stays published (the web copy stays viewable;
    a retry builds the whole ladder again and replaces it)."""
    if not isinstance(exc, IntakeError):
        logger.error("Intake job %s failed after publishing its web copy", job.pk, exc_info=exc)
    reason = str(exc) if isinstance(exc, IntakeError) else f"{type(exc).__name__}: {exc}"
    code = getattr(exc, "code", None) or "later_stage_failed"
    return IntakeError(
        code,
        _("The web copy is published and stays viewable; the next step failed: %(reason)s")
        % {"reason": reason},
    )


def remove_attempt_files(job: Job) -> None:
    """Clean-up of a failed intake attempt (museum.jobs): the levels it published stay (the
    artifact stays viewable with them); any stored file named after the job that no asset
    references goes."""
    if job.artifact_id is not None:
        delete_unreferenced_job_files(
            artifact_id=job.artifact_id,
            job_pk=job.pk,
            kinds=(Asset.Kind.LOD, Asset.Kind.THUMBNAIL, Asset.Kind.IMAGE),
        )
    from exhibits.imaging.intake_job import remove_image_attempt_files

    remove_image_attempt_files(job)


def publish_intake_stage(
    *, job: Job, source: Asset, stage: IntakeStage, published: Iterable[int] = ()
) -> list[Asset]:
    """Store one stage's files and publish their rows at once; the first stage also publishes
    the measured dimensions, the final one completes the job. `published` are the rows this
    attempt published before: an earlier attempt's rows of the same level are replaced, never
    duplicated (a redelivered or retried job), and the final stage removes any it left."""
    published = set(published)
    stem = f"job{job.pk}-{Path(source.original_filename or source.file.name or '').stem}"[:80]
    files: list[tuple[Asset, ContentFile, str]] = []
    for lod in stage.lods:
        content = ContentFile(lod.data)
        asset = derived_asset(
            source=source,
            kind=Asset.Kind.LOD,
            label=lod.label,
            content=content,
            file_format="glb",
            job=job,
            vertex_count=lod.vertices,
            face_count=lod.faces,
            width_px=lod.texture_side or None,
            height_px=lod.texture_side or None,
        )
        files.append((asset, content, f"{stem}-{lod.label}.glb"))
    if stage.thumbnail_png is not None:
        thumbnail = ContentFile(stage.thumbnail_png)
        size_px = stage.thumbnail_px
        preview = derived_asset(
            source=source,
            kind=Asset.Kind.THUMBNAIL,
            label="preview",
            content=thumbnail,
            file_format="png",
            job=job,
            width_px=size_px,
            height_px=size_px,
        )
        files.append((preview, thumbnail, f"{stem}-thumb.png"))
    written = [asset for asset, _content, _name in files]
    # Every file is written before the transaction (on SQLite its write lock would be held for
    # the copies); each is deleted again if a later write or the publication fails.
    with ExitStack() as files_written:
        for asset, content, name in files:
            files_written.enter_context(stored_first(asset.file, name, content))
        with transaction.atomic():
            jobs.hold(job)  # a superseded attempt publishes nothing
            earlier = Asset.objects.filter(created_by_job=job).exclude(pk__in=published)
            if not stage.final:
                replaced = Q()
                for asset in written:
                    replaced |= Q(kind=asset.kind, label=asset.label)
                earlier = earlier.filter(replaced) if written else earlier.none()
            for old in earlier:
                if old.file.name:
                    transaction.on_commit(partial(old.file.storage.delete, old.file.name))
            earlier.delete()
            for asset in written:
                asset.save()
            if not published:
                _publish_measurements(source=source, result=stage)
            if stage.final:
                jobs.complete(job, report=json.loads(json.dumps(stage.report)))
                # Other apps act on a new web model (restoration queues a condition check).
                transaction.on_commit(
                    lambda: intake_published.send(
                        sender=Job, job_id=job.pk, artifact_id=source.artifact_id
                    ),
                    robust=True,
                )
            else:
                # The report now, so a later failure still shows what was validated.
                job.report = json.loads(json.dumps(stage.report))
                job.save(update_fields=["report"])
                mark_job(job, status=Job.Status.RUNNING, stage=stage.after)
    return written


def _publish_measurements(*, source: Asset, result: IntakeStage) -> None:
    """The source's counts and the artifact's measured dimensions (a person's are kept)."""
    Asset.objects.filter(pk=source.pk).update(
        vertex_count=result.report["vertices"], face_count=result.report["faces"]
    )
    height, width, depth = result.normalisation.dimensions_m
    Artifact.objects.filter(pk=source.artifact_id).exclude(
        dimensions_source=DimensionsSource.PERSON
    ).update(
        height_m=round(height, 4),
        width_m=round(width, 4),
        depth_m=round(depth, 4),
        dimensions_source=DimensionsSource.MEASURED,
    )


def intake_summary(job: Job) -> dict[str, Any]:
    """The JSON that `manage.py ingest` prints and the API shows for an intake job."""
    return {
        "job_id": job.pk,
        "status": job.status,
        "artifact_id": job.artifact_id,
        "error": job.error or None,
        "assets": [
            {
                "id": asset.pk,
                "kind": asset.kind,
                "label": asset.label,
                "faces": asset.face_count,
                "bytes": asset.byte_size,
                "texture_px": asset.width_px,
                "url": asset.file.url,
            }
            for asset in job.outputs.order_by("pk")
        ],
        "report": job.report,
    }
