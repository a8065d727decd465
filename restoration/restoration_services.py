"""Restoration services: queue, run and review virtual restorations of an artifact's surface
(texture inpainting over the condition check's damage masks) and shape (hole filling).

The cores are framework-free (restoration.inpaint, restoration.planner); this module reads the
artifact's files, stores what they return as new Assets (the original is never touched) and
records each region's method, model version, score and candidates. Small typed functions with
keyword-only arguments, one transaction each; the task enqueues on commit.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from exhibits.ingest.errors import IntakeError
from exhibits.models import Artifact, Asset
from restoration import preferences, services
from restoration import restoration_files as files
from restoration import restoration_runs as runs
from restoration.models import RestorationJob, RestoredRegion

logger = logging.getLogger(__name__)
METHOD_CHOICES = ("auto", "plan", "gated", "telea", "ns", "biharmonic")

# --------------------------------------------------------------------------- requests


def request_restoration(
    *,
    artifact: Artifact,
    kind: str,
    requested_by: Any = None,
    options: dict[str, Any] | None = None,
) -> RestorationJob:
    """Queue a restoration of `artifact` on the gpu queue (after commit). A job of the same kind
    already queued or running is returned instead of a second one."""
    from restoration.tasks import restore_artifact

    if kind not in RestorationJob.Kind.values:
        raise ValidationError(
            _("Unknown restoration kind %(k)r; choose surface or shape.") % {"k": kind},
            code="kind",
        )
    options = dict(options or {})
    method = options.setdefault("method", "auto")
    if kind == RestorationJob.Kind.SURFACE and method not in METHOD_CHOICES:
        raise ValidationError(
            _("Unknown method %(m)r; choose one of %(c)s.")
            % {"m": method, "c": ", ".join(METHOD_CHOICES)},
            code="method",
        )
    with transaction.atomic():
        pending = artifact.restoration_jobs.filter(
            kind=kind, status__in=[RestorationJob.Status.QUEUED, RestorationJob.Status.RUNNING]
        ).first()
        if pending is not None:
            return pending
        job = RestorationJob.objects.create(
            artifact=artifact,
            kind=kind,
            options=options,
            requested_by=requested_by if getattr(requested_by, "pk", None) else None,
        )
        transaction.on_commit(
            lambda: services.enqueue(job.pk, restore_artifact, RestorationJob), robust=True
        )
    return job


# --------------------------------------------------------------------------- running


def run_restoration_job(*, job_id: int) -> RestorationJob:
    """Body of the task. Only a queued job is claimed (one atomic UPDATE), so a duplicate
    delivery, or a job already running, done or failed, changes nothing and writes nothing.

    One exception: a job still "running" past the Celery hard time limit lost its worker
    (killed, or out of memory); the broker redelivers it after the visibility timeout, and
    that delivery claims it again rather than leaving it running for ever."""
    now = timezone.now()
    abandoned = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimable = Q(status=RestorationJob.Status.QUEUED) | Q(
        status=RestorationJob.Status.RUNNING, started_at__lt=abandoned
    )
    claimed = RestorationJob.objects.filter(claimable, pk=job_id).update(
        status=RestorationJob.Status.RUNNING, started_at=now, progress=1, stage="starting"
    )
    job = RestorationJob.objects.select_related("artifact").get(pk=job_id)
    if not claimed:
        return job
    job.device = _device()
    RestorationJob.objects.filter(pk=job.pk).update(device=job.device)
    try:
        if job.kind == RestorationJob.Kind.SURFACE:
            output = runs.restore_surface(job)
        else:
            output = runs.restore_shape(job)
        _publish(job, output)
    except Exception as exc:  # the job records every failure; the worker stays up
        expected = isinstance(exc, runs.RestorationFailed | files.RestorationInputError)
        if not expected and not _is_input_error(exc):
            logger.exception("restoration job %s failed", job_id)
        if expected or _is_input_error(exc):
            message = getattr(exc, "message", None) or str(exc)  # MeshRepairError: no code
        else:
            message = f"{type(exc).__name__}: {exc}"
        RestorationJob.objects.filter(pk=job.pk).update(
            status=RestorationJob.Status.FAILED,
            error=message,
            stage="failed",
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    return job


def _is_input_error(exc: Exception) -> bool:
    from restoration.inpaint import InpaintInputError
    from restoration.mesh import MeshRepairError

    return isinstance(exc, InpaintInputError | MeshRepairError | IntakeError)


def _device() -> str:
    try:
        import torch
    except ImportError:
        return "cpu"
    return "cuda:0" if torch.cuda.is_available() else "cpu"


def _publish(job: RestorationJob, output: runs.Output) -> None:
    """Store every file and region at once; files of a rolled-back try are deleted."""
    saved: list[Asset] = []
    try:
        with transaction.atomic():
            model = _asset(job, output.source, output.model)
            saved.append(model)
            textures = [_asset(job, output.source, f) for f in output.textures]
            masks = [_asset(job, output.source, f) for f in output.masks]
            saved += textures + masks
            for region in output.regions:
                region.job = job
            RestoredRegion.objects.bulk_create(output.regions)
            report = {
                **output.report,
                "assets": {
                    "model": model.pk,
                    "textures": [a.pk for a in textures],
                    "masks": [a.pk for a in masks],
                },
            }
            RestorationJob.objects.filter(pk=job.pk).update(
                status=RestorationJob.Status.DONE,
                progress=100,
                stage="done",
                device=output.device or job.device,
                timings={k: round(v, 3) for k, v in output.timings.items()},
                report=report,
                condition_record=output.record,
                source_asset=output.source,
                restored_model=model,
                restored_texture=textures[0] if textures else None,
                generated_mask=masks[0] if masks else None,
                finished_at=timezone.now(),
            )
    except Exception:
        for asset in saved:
            asset.file.storage.delete(asset.file.name)
        raise


def _asset(job: RestorationJob, source: Asset, item: runs.OutputFile) -> Asset:
    width, height = item.size or (None, None)
    asset = Asset(
        artifact=job.artifact,
        kind=Asset.Kind.RESTORED,
        label=item.label,
        original_filename=item.name,
        sha256=hashlib.sha256(item.data).hexdigest(),
        byte_size=len(item.data),
        format=item.fmt,
        width_px=width,
        height_px=height,
        derived_from=source,
    )
    asset.file.save(f"job{job.pk}-{item.name}", ContentFile(item.data), save=False)
    asset.save()
    return asset


# --------------------------------------------------------------------------- review


def accept_restoration(*, job: RestorationJob, user: Any, note: str = "") -> RestorationJob:
    """Accept a finished restoration: visitors see it, labelled as virtual. The restoration of
    the same kind accepted before for the artifact goes back to pending review."""
    with transaction.atomic():
        job = RestorationJob.objects.select_for_update().get(pk=job.pk)
        _check_reviewable(job)
        RestorationJob.objects.filter(
            artifact_id=job.artifact_id, kind=job.kind, review=RestorationJob.Review.ACCEPTED
        ).exclude(pk=job.pk).update(
            review=RestorationJob.Review.PENDING,
            review_note=_("Superseded by restoration %(id)s.") % {"id": job.pk},
        )
        preferences.record_review(job=job, accepted=True)
        return _review(job, RestorationJob.Review.ACCEPTED, user, note)


def reject_restoration(*, job: RestorationJob, user: Any, note: str = "") -> RestorationJob:
    """Reject a finished restoration (hidden from visitors; kept, with its files, as a record)."""
    with transaction.atomic():
        job = RestorationJob.objects.select_for_update().get(pk=job.pk)
        _check_reviewable(job)
        preferences.record_review(job=job, accepted=False)
        return _review(job, RestorationJob.Review.REJECTED, user, note)


def _check_reviewable(job: RestorationJob) -> None:
    if job.status != RestorationJob.Status.DONE:
        raise ValidationError(
            _("Only a finished restoration can be reviewed; this one is %(s)s.")
            % {"s": job.get_status_display().lower()},
            code="not_done",
        )


def _review(job: RestorationJob, review: str, user: Any, note: str) -> RestorationJob:
    job.review = review
    job.reviewed_by = user if getattr(user, "pk", None) else None
    job.reviewed_at = timezone.now()
    job.review_note = (note or "")[:2000]
    job.save(update_fields=["review", "reviewed_by", "reviewed_at", "review_note"])
    return job


# --------------------------------------------------------------------------- reading


def sees_all_restorations(user: Any) -> bool:
    """Curators (and admins) see every restoration, pending and rejected included."""
    return bool(user and user.is_authenticated and user.has_perm("restoration.view_restorationjob"))


def visible_restorations(*, artifact: Artifact, user: Any) -> QuerySet[RestorationJob]:
    """Restorations `user` may see: visitors (and educators) only accepted ones."""
    jobs = artifact.restoration_jobs.select_related(
        "restored_model", "restored_texture", "generated_mask"
    ).order_by(F("finished_at").desc(nulls_first=True), "-pk")
    if sees_all_restorations(user):
        return jobs
    return jobs.filter(status=RestorationJob.Status.DONE, review=RestorationJob.Review.ACCEPTED)
