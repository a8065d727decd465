"""Fencing: a restoration's files are published only by the attempt that holds the claim, and an
accepted restoration's files never change afterwards: not after a duplicate delivery, not after
a stale attempt that reaches publication or fails late, and it cannot be claimed or retried."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from exhibits.models import Asset
from museum import jobs
from restoration.models import RestorationJob
from restoration.restore import services as rs
from tests.unit.test_restoration_jobs import artifact_with_condition, run

pytestmark = pytest.mark.django_db


def fingerprint(artifact) -> dict[str, str]:
    """Every restored file of the artifact on disk, by name, with the sha256 of its bytes."""
    folder = Path(settings.MEDIA_ROOT)
    files = {}
    for asset in Asset.objects.filter(artifact=artifact, kind=Asset.Kind.RESTORED):
        data = (folder / asset.file.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == asset.sha256
        files[asset.file.name] = asset.sha256
    on_disk = {
        str(p.relative_to(folder))
        for p in (folder / f"artifacts/{artifact.pk}/restored").rglob("*")
        if p.is_file()
    }
    assert on_disk == set(files), "a file no asset references"
    return files


def make_stale(job: RestorationJob) -> None:
    died = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    RestorationJob.objects.filter(pk=job.pk).update(status="running", started_at=died)


def test_an_accepted_restoration_cannot_be_claimed_retried_or_rewritten(
    media_root, curator
) -> None:
    artifact, _ = artifact_with_condition()
    job = run(artifact)
    rs.accept_restoration(job=job, user=curator)
    before = fingerprint(artifact)
    assert len(before) == 3
    # Duplicate delivery: claims nothing, writes nothing.
    assert rs.run_restoration_job(job_id=job.pk).review == "accepted"
    assert jobs.claim(RestorationJob, job.pk) is None
    with pytest.raises(ValueError, match="Only a failed job"):
        jobs.retry(job=job)
    assert fingerprint(artifact) == before
    job.refresh_from_db()
    assert job.status == "done" and job.review == "accepted" and job.attempts == 1


def test_a_stale_attempt_publishes_nothing_after_acceptance(media_root, curator) -> None:
    artifact, _ = artifact_with_condition()
    job = rs.request_restoration(artifact=artifact, kind="surface", options={"method": "telea"})
    stale_attempt = jobs.claim(RestorationJob, job.pk)
    assert stale_attempt is not None
    make_stale(job)  # its worker looked dead: the redelivery claims it again and finishes
    done = rs.run_restoration_job(job_id=job.pk)
    assert done.status == "done" and done.attempts == 2
    rs.accept_restoration(job=done, user=curator)
    before = fingerprint(artifact)
    # The first attempt was alive after all and reaches publication: it writes no file.
    with pytest.raises(jobs.Superseded):
        rs._restore(stale_attempt)
    assert fingerprint(artifact) == before
    # ...or it fails late: it records nothing and removes nothing.
    jobs.fail(stale_attempt, RuntimeError("late"))
    assert fingerprint(artifact) == before
    done.refresh_from_db()
    assert done.status == "done" and done.review == "accepted" and done.error == ""
    assert done.restored_model is not None


def test_a_superseded_publication_deletes_its_own_files(media_root, monkeypatch) -> None:
    """If the claim is lost between hold() and complete(), the rolled-back attempt's files go."""
    artifact, _ = artifact_with_condition()
    job = rs.request_restoration(artifact=artifact, kind="surface", options={"method": "telea"})
    attempt = jobs.claim(RestorationJob, job.pk)
    real_complete = jobs.complete

    def lose_the_claim(job, **fields):
        RestorationJob.objects.filter(pk=job.pk).update(attempts=job.attempts + 1)
        real_complete(job, **fields)

    monkeypatch.setattr(jobs, "complete", lose_the_claim)
    with pytest.raises(jobs.Superseded):
        rs._restore(attempt)
    assert fingerprint(artifact) == {}
    assert not Asset.objects.filter(artifact=artifact, kind=Asset.Kind.RESTORED).exists()
