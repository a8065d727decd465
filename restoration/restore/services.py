"""Restoration services: queue, run and review virtual restorations of an artifact's surface
(texture inpainting over the condition check's damage masks) and shape (hole filling).

The cores are framework-free (restoration.inpaint, restoration.restore.method_choice); this
module reads the artifact's files, stores what they return as new Assets (the original is
never touched) and records each region's method, model version, score and candidates. Small
typed functions with keyword-only arguments, one transaction each; the task enqueues on commit.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from exhibits.collection.services import delete_unreferenced_job_files
from exhibits.intake.errors import IntakeError
from exhibits.models import Artifact, Asset
from museum import jobs
from museum.common.devices import resolve_device
from restoration.models import RestorationJob, RestorationReview, RestoredRegion
from restoration.restore import files, preferences, runs, visibility

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
        jobs.enqueue_on_commit(job)
    return job


# --------------------------------------------------------------------------- running


def run_restoration_job(*, job_id: int) -> RestorationJob:
    """Body of the task, run by the job runner (museum.jobs): only a queued job (or one whose
    worker died) is claimed, so a duplicate delivery writes nothing; any exception fails the job
    with its reason; a job that keeps killing its worker fails after the attempt limit."""
    return jobs.run(RestorationJob, job_id, _restore)


def _restore(job: RestorationJob) -> None:
    job.device = _device()
    RestorationJob.objects.filter(pk=job.pk).update(device=job.device)
    if job.artifact.form == Artifact.Form.FLAT:  # an image: by cells, published there
        if job.kind != RestorationJob.Kind.SURFACE:
            raise runs.RestorationFailed(_("A flat work has no shape to restore."))
        from restoration.restore import flat

        flat.restore_flat(job)
        return
    if job.kind == RestorationJob.Kind.SURFACE:
        output = runs.restore_surface(job)
    else:
        output = runs.restore_shape(job)
    _publish(job, output)


def input_errors() -> tuple[type[Exception], ...]:
    """Failures that are the input's fault: stored with their message, no traceback logged."""
    from restoration.inpaint import InpaintInputError
    from restoration.mesh import MeshRepairError

    return (
        runs.RestorationFailed,
        files.RestorationInputError,
        InpaintInputError,
        MeshRepairError,
        IntakeError,
    )


def remove_attempt_files(job: RestorationJob) -> None:
    """Clean-up of a failed restoration attempt (museum.jobs): its restored files (named
    job<pk>-...) that no asset references, e.g. those of a worker killed while publishing."""
    delete_unreferenced_job_files(
        artifact_id=job.artifact_id, job_pk=job.pk, kinds=(Asset.Kind.RESTORED,)
    )
    from restoration.restore.flat_publish import remove_pending_tiles

    remove_pending_tiles(job)  # a flat work's restored tiles not published


def _device() -> str:
    return "cuda:0" if resolve_device("auto") == "cuda" else "cpu"


def _publish(job: RestorationJob, output: runs.Output) -> None:
    """Store every file and region at once; files of a rolled-back try are deleted. Only the
    attempt that holds the claim writes (jobs.hold, before any file), so a superseded attempt
    never adds files to a job that is done, let alone accepted."""
    saved: list[Asset] = []
    try:
        with transaction.atomic():
            jobs.hold(job)
            assert output.model is not None  # every run writes the restored model
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
            jobs.complete(
                job,
                device=output.device or job.device,
                timings={k: round(v, 3) for k, v in output.timings.items()},
                report=report,
                condition_record=output.record,
                source_asset=output.source,
                restored_model=model,
                restored_texture=textures[0] if textures else None,
                generated_mask=masks[0] if masks else None,
            )
    except Exception:
        for asset in saved:
            if asset.file.name:
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
#
# Review decisions are a history (RestorationReview); job.review is the latest one. The method
# bandit learns from each job's FIRST accept or reject only: a curator may change the decision
# later (it is recorded, with who and when), but the bandit is not taught again, so re-deciding
# cannot weigh one restoration twice. Repeating the current decision changes nothing.


def accept_restoration(*, job: RestorationJob, user: Any, note: str = "") -> RestorationJob:
    """Accept a finished restoration: visitors see it, labelled as virtual. The restoration of
    the same kind accepted before for the artifact goes back to pending review (recorded in its
    history)."""
    with transaction.atomic():
        job = RestorationJob.objects.select_for_update().get(pk=job.pk)
        _check_reviewable(job)
        if job.review == RestorationJob.Review.ACCEPTED:
            return job
        superseded = list(
            RestorationJob.objects.select_for_update()
            .filter(
                artifact_id=job.artifact_id, kind=job.kind, review=RestorationJob.Review.ACCEPTED
            )
            .exclude(pk=job.pk)
        )
        for previous in superseded:
            _review(
                previous,
                RestorationJob.Review.PENDING,
                user,
                _("Superseded by restoration %(id)s.") % {"id": job.pk},
            )
        return _review(job, RestorationJob.Review.ACCEPTED, user, note)


def reject_restoration(*, job: RestorationJob, user: Any, note: str = "") -> RestorationJob:
    """Reject a finished restoration (hidden from visitors; kept, with its files, as a record)."""
    with transaction.atomic():
        job = RestorationJob.objects.select_for_update().get(pk=job.pk)
        _check_reviewable(job)
        if job.review == RestorationJob.Review.REJECTED:
            return job
        return _review(job, RestorationJob.Review.REJECTED, user, note)


def _check_reviewable(job: RestorationJob) -> None:
    if job.status != RestorationJob.Status.DONE:
        raise ValidationError(
            _("Only a finished restoration can be reviewed; this one is %(s)s.")
            % {"s": job.get_status_display().lower()},
            code="not_done",
        )


def _review(job: RestorationJob, review: str, user: Any, note: str) -> RestorationJob:
    """Record one decision in the job's history and make it the job's current review; the
    bandit learns from it when it is the job's first accept or reject."""
    reviewer = user if getattr(user, "pk", None) else None
    decided = review in (RestorationJob.Review.ACCEPTED, RestorationJob.Review.REJECTED)
    teach = decided and not job.reviews.filter(taught_bandit=True).exists()
    if teach:
        preferences.record_review(job=job, accepted=review == RestorationJob.Review.ACCEPTED)
    entry = RestorationReview.objects.create(
        job=job, decision=review, user=reviewer, note=(note or "")[:2000], taught_bandit=teach
    )
    job.review = review
    job.reviewed_by = reviewer
    job.reviewed_at = entry.at
    job.review_note = entry.note
    job.save(update_fields=["review", "reviewed_by", "reviewed_at", "review_note"])
    visibility.sync_public_files(artifact_id=job.artifact_id)  # visitors: accepted files only
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
