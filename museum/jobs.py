"""The one job runner: every background job (intake, condition check, restoration) is claimed,
run, failed, re-queued and retried by the same rules.

- Claim: one atomic UPDATE takes a queued job (or a "running" one whose worker is gone: older
  than the Celery hard time limit) and counts the attempt. A duplicate delivery claims nothing
  and writes nothing.
- Attempts: a job claimed more than MOUSEION_JOB_MAX_ATTEMPTS times (each attempt killed its
  worker: out of memory, kill -9) fails with that reason instead of looping.
- Failure: any exception of the body marks the job failed with a reason a curator can read, and
  the files of the attempt are removed (the job type's `cleanup`).
- Completion: the body publishes with `complete()` inside its own transaction; an attempt that
  was superseded by a newer claim publishes nothing (Superseded rolls it back).
- Lost workers: on the single profile (one worker, a filesystem broker that deletes a message
  when it is fetched) a starting worker re-queues every job left "running" and sends every
  queued job again (`requeue_orphans`); on the scaled profile the broker redelivers after its
  visibility timeout and the claim takes the stale job.
- Retry: a curator retries a failed job (`retry`), from the admin or the API.

Job models share the fields status, progress, stage, error, report, attempts, started_at and
finished_at (exhibits.Job, restoration.RestorationJob). Each app registers its job types in its
AppConfig.ready() with `register`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import OperationalError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ANY_KIND = "*"


class Superseded(Exception):
    """A newer attempt owns the job: this one must publish nothing."""


@dataclass(frozen=True)
class JobType:
    """How to run one kind of job: its model, its Celery task (dotted path, sent with .delay),
    the exceptions that are the input's fault (no traceback logged) and the clean-up of a failed
    attempt's files."""

    model_label: str
    kind: str
    task: str
    expected: tuple[type[Exception], ...] = ()
    cleanup: Callable[[Any], None] | None = None


_TYPES: dict[tuple[str, str], JobType] = {}


def register(job_type: JobType) -> None:
    _TYPES[(job_type.model_label, job_type.kind)] = job_type


def job_type_of(job: models.Model) -> JobType:
    label = job._meta.label
    kind = getattr(job, "kind", ANY_KIND)
    found = _TYPES.get((label, kind)) or _TYPES.get((label, ANY_KIND))
    if found is None:
        raise LookupError(f"no job type registered for {label} kind {kind!r}")
    return found


def max_attempts() -> int:
    return int(getattr(settings, "MOUSEION_JOB_MAX_ATTEMPTS", 3))


def _abandoned_before() -> Any:
    return timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


# --------------------------------------------------------------------------- running


def run(model: type[models.Model], job_id: int, body: Callable[[Any], Any]) -> Any:
    """Claim job `job_id` of `model` and run `body(job)`; return the job as it ends.

    `body` does the work and publishes with `complete()`; whatever it raises fails the job."""
    job = claim(model, job_id)
    if job is None:
        return model._default_manager.filter(pk=job_id).first()
    try:
        body(job)
    except Superseded:
        logger.warning("%s %s: attempt %s was superseded", model.__name__, job_id, job.attempts)
    except Exception as exc:  # every failure is recorded; the worker stays up
        fail(job, exc)
    else:
        if model._default_manager.filter(pk=job.pk, status=RUNNING, attempts=job.attempts).exists():
            fail(job, RuntimeError(_("The job ended without publishing a result.")))
    return model._default_manager.get(pk=job_id)


def claim(model: type[models.Model], job_id: int) -> Any | None:
    """Take the job for one attempt, or return None when it is not claimable (a duplicate
    delivery, a job running elsewhere, done or failed) or has used up its attempts."""
    now = timezone.now()
    claimable = Q(status=QUEUED) | Q(status=RUNNING, started_at__lt=_abandoned_before())
    claimed = model._default_manager.filter(claimable, pk=job_id).update(
        status=RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        finished_at=None,
        progress=1,
        stage="starting",
        error="",
    )
    if not claimed:
        logger.info("%s %s not claimed (duplicate delivery or not queued)", model.__name__, job_id)
        return None
    job: Any = model._default_manager.get(pk=job_id)
    if job.attempts > max_attempts():
        message = _(
            "Gave up after %(n)d attempts: each one stopped before it finished (the worker was "
            "killed or ran out of memory). Retry it once the cause is fixed."
        ) % {"n": job.attempts - 1}
        _write_failure(job, message=message, code="too_many_attempts")
        _cleanup(job)
        return None
    return job


def hold(job: Any) -> None:
    """Call first in the publishing transaction, before any file is written: lock the job's
    row and raise Superseded unless this attempt still holds the claim, so a superseded attempt
    (a stale claim, a job done or accepted meanwhile) writes nothing. complete() checks again."""
    held = list(
        type(job)
        ._default_manager.select_for_update()
        .filter(pk=job.pk, status=RUNNING, attempts=job.attempts)
        .values_list("pk", flat=True)
    )
    if not held:
        raise Superseded(f"{type(job).__name__} {job.pk} attempt {job.attempts}")


def complete(job: Any, **fields: Any) -> None:
    """Mark the claimed attempt done with `fields` (call inside the publishing transaction;
    `stage` may say how it ended, e.g. that there was nothing to do). Raises Superseded, rolling
    the publication back, when a newer attempt owns the job."""
    done = {"status": DONE, "progress": 100, "stage": "done", "finished_at": timezone.now()}
    done.update(fields)
    updated = (
        type(job)
        ._default_manager.filter(pk=job.pk, status=RUNNING, attempts=job.attempts)
        .update(**done)
    )
    if not updated:
        raise Superseded(f"{type(job).__name__} {job.pk} attempt {job.attempts}")
    for name, value in done.items():
        setattr(job, name, value)


def fail(job: Any, exc: BaseException) -> None:
    """Record a failed attempt with a reason a curator can read, then remove its files. An
    attempt that no longer holds the claim records nothing and removes nothing: the files of the
    job now belong to the attempt that does (or to its accepted result)."""
    expected = isinstance(exc, job_type_of(job).expected)
    if expected:
        message = getattr(exc, "message", None) or str(exc)
        logger.info("%s %s failed: %s", type(job).__name__, job.pk, message)
    else:
        logger.error("%s %s failed", type(job).__name__, job.pk, exc_info=exc)
        message = f"{type(exc).__name__}: {exc}"
    if _write_failure(job, message=message, code=getattr(exc, "code", None) or "error"):
        _cleanup(job)


def _write_failure(job: Any, *, message: str, code: str) -> bool:
    """Mark this attempt failed; False when a newer attempt owns the job (nothing written)."""
    report = {**(job.report or {}), "error_code": str(code)}
    # A failure caused by a busy database must still be written: retry a few times.
    for attempt in range(5):
        try:
            written = (
                type(job)
                ._default_manager.filter(pk=job.pk, attempts=job.attempts, status=RUNNING)
                .update(
                    status=FAILED,
                    stage="failed",
                    error=message,
                    report=report,
                    finished_at=timezone.now(),
                )
            )
            break
        except OperationalError:
            if attempt == 4:
                logger.exception("%s %s: the failure could not be recorded", type(job), job.pk)
                return True  # still this attempt's: its files are removed
            time.sleep(0.5 * (attempt + 1))
    if not written:
        logger.warning("%s %s: attempt %s was superseded", type(job).__name__, job.pk, job.attempts)
        return False
    job.status, job.error, job.report = FAILED, message, report
    return True


def _cleanup(job: Any) -> None:
    cleanup = job_type_of(job).cleanup
    if cleanup is None:
        return
    try:
        cleanup(job)
    except Exception:
        logger.exception("%s %s: files of the failed attempt not removed", type(job), job.pk)


# --------------------------------------------------------------------------- queueing


def enqueue(job: Any) -> None:
    """Send the job's task (call after commit). If the broker is down the still-queued job fails
    with the reason rather than the request being lost silently."""
    task = import_string(job_type_of(job).task)
    try:
        task.delay(job.pk)
    except Exception as exc:
        logger.exception("%s %s could not be queued", type(job).__name__, job.pk)
        type(job)._default_manager.filter(pk=job.pk, status=QUEUED).update(
            status=FAILED, error=_("The job could not be queued: %s") % exc
        )


def enqueue_on_commit(job: Any) -> None:
    transaction.on_commit(lambda: enqueue(job), robust=True)


def retry(*, job: Any) -> Any:
    """Queue a failed job again from the start, with a fresh count of attempts."""
    with transaction.atomic():
        updated = (
            type(job)
            ._default_manager.filter(pk=job.pk, status=FAILED)
            .update(
                status=QUEUED,
                attempts=0,
                progress=0,
                stage="",
                error="",
                started_at=None,
                finished_at=None,
            )
        )
        if not updated:
            raise ValueError(_("Only a failed job can be retried."))
        job.refresh_from_db()
        enqueue_on_commit(job)
    return job


def job_models() -> list[type[models.Model]]:
    return [apps.get_model(label) for label in sorted({label for label, _kind in _TYPES})]


def requeue_orphans() -> tuple[int, int]:
    """Single profile, at worker start: every job left "running" lost its worker, and a queued
    job's message may have been lost with it (fetched, not yet claimed); queue them again. A
    queued job whose message is still on disk gets a duplicate, which claims nothing.
    Returns (jobs found running, messages sent)."""
    orphans = sent = 0
    for model in job_models():
        orphans += model._default_manager.filter(status=RUNNING).update(
            status=QUEUED, stage="re-queued"
        )
        for job in model._default_manager.filter(status=QUEUED).order_by("pk"):
            if _registered(job):
                enqueue(job)
                sent += 1
    return orphans, sent


def _registered(job: models.Model) -> bool:
    try:
        job_type_of(job)
    except LookupError:
        return False
    return True
