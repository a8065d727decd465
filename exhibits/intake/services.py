"""Intake services: queue and run the job that turns a stored source into a web exhibit.

The source is stored untouched first (services.store_source_asset); the job validates,
normalises and derives the LOD ladder and thumbnail. Derived files are all produced before
any is stored, and their rows appear in one transaction: a failed job publishes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from exhibits.collection.services import (
    delete_unreferenced_job_files,
    derived_asset,
    mark_job,
    start_job,
)
from exhibits.intake.errors import IntakeError
from exhibits.intake.limits import IntakeLimits
from exhibits.intake.lod import LadderSettings
from exhibits.intake.pipeline import IntakeOptions, IntakeResult, run_intake
from exhibits.intake.signals import intake_published
from exhibits.models import Artifact, Asset, DimensionsSource, Job
from museum import jobs
from museum.uploads import stored_first

INTAKE_KIND = "intake"
PROGRESS_INTERVAL_S = 0.5


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


def _intake(job: Job) -> None:
    source = job.input_asset
    if source is None or source.kind != Asset.Kind.SOURCE:
        raise IntakeError("no_source", _("The job has no source asset."))
    with source.file.open("rb") as handle:
        data = handle.read()
    result = run_intake(
        data,
        source.original_filename or source.file.name or "",
        IntakeLimits.from_settings(),
        ladder_settings(),
        IntakeOptions(**job.options),
        progress=_progress_reporter(job),
    )
    mark_job(job, status=Job.Status.RUNNING, progress=92, stage="publishing")
    publish_intake_result(job=job, source=source, result=result)


def remove_attempt_files(job: Job) -> None:
    """Clean-up of a failed intake attempt (museum.jobs): a failed job publishes nothing, so any
    asset it created, and any stored file named after it that no asset references, goes."""
    for asset in Asset.objects.filter(created_by_job=job):
        if asset.file.name:
            asset.file.storage.delete(asset.file.name)
        asset.delete()
    if job.artifact_id is not None:
        delete_unreferenced_job_files(
            artifact_id=job.artifact_id,
            job_pk=job.pk,
            kinds=(Asset.Kind.LOD, Asset.Kind.THUMBNAIL),
        )


def publish_intake_result(*, job: Job, source: Asset, result: IntakeResult) -> list[Asset]:
    """Store every derived file and publish their rows, the dimensions and the report at once."""
    stem = f"job{job.pk}-{Path(source.original_filename or source.file.name or '').stem}"[:80]
    files: list[tuple[Asset, ContentFile, str]] = []
    for lod in result.lods:
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
    thumbnail = ContentFile(result.thumbnail_png)
    size_px = result.thumbnail_px
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
            # A redelivered job may have published before dying: replace, never duplicate,
            # and remove the earlier files once the replacement is committed.
            earlier = Asset.objects.filter(created_by_job=job)
            for old in earlier:
                if old.file.name:
                    transaction.on_commit(partial(old.file.storage.delete, old.file.name))
            earlier.delete()
            for asset in written:
                asset.save()
            Asset.objects.filter(pk=source.pk).update(
                vertex_count=result.report["vertices"], face_count=result.report["faces"]
            )
            # Measured dimensions fill in; a person's dimensions are never overwritten.
            height, width, depth = result.normalisation.dimensions_m
            Artifact.objects.filter(pk=source.artifact_id).exclude(
                dimensions_source=DimensionsSource.PERSON
            ).update(
                height_m=round(height, 4),
                width_m=round(width, 4),
                depth_m=round(depth, 4),
                dimensions_source=DimensionsSource.MEASURED,
            )
            jobs.complete(job, report=json.loads(json.dumps(result.report)))
            # Other apps act on a new web model (restoration queues a condition check).
            transaction.on_commit(
                lambda: intake_published.send(
                    sender=Job, job_id=job.pk, artifact_id=source.artifact_id
                ),
                robust=True,
            )
    return written


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
