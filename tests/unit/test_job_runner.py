"""The one job runner (museum/jobs.py) on real intake, condition and restoration jobs: duplicate
delivery, unexpected exceptions, a poison job, orphans re-queued at worker start, a curator's
retry. The worker-killed-mid-job case with a real Celery worker is in
tests/integration/test_job_runner_worker.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import OperationalError
from django.utils import timezone

from exhibits.collection import services
from exhibits.intake import services as intake
from exhibits.models import Asset, Job
from museum import jobs
from restoration.models import RestorationJob
from restoration.restore import services as restore
from tests.unit.factories import glb_bytes, make_artifact, make_source, upload

pytestmark = pytest.mark.django_db


def queued_intake() -> Job:
    artifact = make_artifact()
    source = make_source(artifact)
    return Job.objects.create(kind=intake.INTAKE_KIND, artifact=artifact, input_asset=source)


def outputs(job: Job) -> list[tuple[str, str]]:
    return sorted(Asset.objects.filter(created_by_job=job).values_list("kind", "label"))


def test_a_duplicate_delivery_of_a_done_job_writes_nothing() -> None:
    job = intake.run_intake_job(job_id=queued_intake().pk)
    assert job.status == Job.Status.DONE and job.attempts == 1
    first = list(Asset.objects.filter(created_by_job=job).values_list("pk", "file"))
    again = intake.run_intake_job(job_id=job.pk)
    assert again.attempts == 1 and again.finished_at == job.finished_at
    assert list(Asset.objects.filter(created_by_job=job).values_list("pk", "file")) == first


def test_a_delivery_while_another_worker_runs_the_job_claims_nothing(monkeypatch) -> None:
    job = queued_intake()
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, attempts=1, started_at=timezone.now()
    )
    monkeypatch.setattr(intake, "run_intake", lambda *a, **k: pytest.fail("ran twice"))
    after = intake.run_intake_job(job_id=job.pk)
    assert after.status == Job.Status.RUNNING and after.attempts == 1
    assert outputs(after) == []


@pytest.mark.parametrize(
    "error",
    [MemoryError("out of memory"), OperationalError("database is locked"), KeyError("lod")],
)
def test_an_unexpected_exception_fails_the_job_with_its_reason(monkeypatch, error) -> None:
    def boom(*args, **kwargs):
        raise error

    monkeypatch.setattr(intake, "run_intake", boom)
    job = intake.run_intake_job(job_id=queued_intake().pk)
    assert job.status == Job.Status.FAILED
    assert job.error.startswith(f"{type(error).__name__}: ")
    assert job.report["error_code"] == "error"
    assert job.finished_at is not None and job.stage == "failed"


def test_an_input_error_keeps_its_code_and_plain_message() -> None:
    artifact = make_artifact()
    source = services.store_source_asset(
        artifact=artifact, upload=upload("scan.glb", glb_bytes()[:80]), filename="scan.glb"
    )
    job = Job.objects.create(kind=intake.INTAKE_KIND, artifact=artifact, input_asset=source)
    done = intake.run_intake_job(job_id=job.pk)
    assert done.status == Job.Status.FAILED
    assert done.report["error_code"] != "error" and not done.error.startswith("IntakeError")


def test_files_of_a_failed_attempt_are_removed(monkeypatch, media_root) -> None:
    job = queued_intake()
    storage = Asset._meta.get_field("file").storage
    leftover = storage.save(
        f"artifacts/{job.artifact_id}/lod/job{job.pk}-web.glb", ContentFile(b"x")
    )
    other = storage.save(
        f"artifacts/{job.artifact_id}/lod/job{job.pk + 1}-web.glb", ContentFile(b"y")
    )

    def publish_then_die(**kwargs):
        raise MemoryError("killed while publishing")

    monkeypatch.setattr(intake, "publish_intake_stage", publish_then_die)
    failed = intake.run_intake_job(job_id=job.pk)
    assert failed.status == Job.Status.FAILED
    assert not storage.exists(leftover)
    assert storage.exists(other)  # another job's file is not touched


def test_a_poison_job_fails_after_the_attempt_limit(settings, monkeypatch) -> None:
    """Each attempt killed its worker (simulated: the job is found running past the hard time
    limit, as the broker's redelivery finds it); the claim after the limit fails it."""
    settings.MOUSEION_JOB_MAX_ATTEMPTS = 3
    calls: list[int] = []
    monkeypatch.setattr(intake, "_intake", lambda job: calls.append(job.attempts))
    job = queued_intake()
    long_ago = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 5)
    for attempt in range(1, 4):
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.RUNNING, attempts=attempt - 1, started_at=long_ago
        )
        claimed = jobs.claim(Job, job.pk)
        assert claimed is not None and claimed.attempts == attempt
        Job.objects.filter(pk=job.pk).update(started_at=long_ago)  # ... and its worker died
    ended = intake.run_intake_job(job_id=job.pk)
    assert calls == []
    assert ended.status == Job.Status.FAILED
    assert ended.report["error_code"] == "too_many_attempts"
    assert "3 attempts" in ended.error


def test_orphans_are_requeued_and_completed_once(eager_celery, django_capture_on_commit_callbacks):
    running = queued_intake()
    Job.objects.filter(pk=running.pk).update(
        status=Job.Status.RUNNING, attempts=1, started_at=timezone.now()
    )
    waiting = queued_intake()
    assert jobs.requeue_orphans() == (1, 2)
    for job in (running, waiting):
        job.refresh_from_db()
        assert job.status == Job.Status.DONE
        assert len(outputs(job)) == len(set(outputs(job))) > 0
    assert running.attempts == 2 and waiting.attempts == 1


def test_a_job_that_ends_without_publishing_is_failed(monkeypatch) -> None:
    monkeypatch.setattr(intake, "_intake", lambda job: None)
    job = intake.run_intake_job(job_id=queued_intake().pk)
    assert job.status == Job.Status.FAILED and "without publishing" in job.error


def test_a_superseded_attempt_publishes_nothing(monkeypatch) -> None:
    job = queued_intake()
    real_publish = intake.publish_intake_stage

    def newer_claim_meanwhile(**kwargs):
        Job.objects.filter(pk=job.pk).update(attempts=5)  # another worker took it over
        return real_publish(**kwargs)

    monkeypatch.setattr(intake, "publish_intake_stage", newer_claim_meanwhile)
    after = intake.run_intake_job(job_id=job.pk)
    assert after.status == Job.Status.RUNNING and after.attempts == 5
    assert outputs(after) == []


def test_a_curator_retries_a_failed_job_from_the_admin(
    client, make_user, monkeypatch, eager_celery, django_capture_on_commit_callbacks
) -> None:
    monkeypatch.setattr(
        intake, "run_intake", lambda *a, **k: (_ for _ in ()).throw(OSError("disk"))
    )
    job = intake.run_intake_job(job_id=queued_intake().pk)
    assert job.status == Job.Status.FAILED
    monkeypatch.undo()
    client.force_login(make_user("curator"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/exhibits/job/",
            {"action": "retry_failed_jobs", "_selected_action": [job.pk]},
            follow=True,
        )
    assert response.status_code == 200
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.attempts == 1 and job.error == ""
    assert outputs(job)


@pytest.mark.parametrize("role", ["educator", "anonymous"])
def test_only_a_curator_may_retry(client, make_user, role) -> None:
    job = queued_intake()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, error="x")
    user = make_user(role)
    if user is not None:
        client.force_login(user)
    client.post(
        "/admin/exhibits/job/", {"action": "retry_failed_jobs", "_selected_action": [job.pk]}
    )
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED


def test_retry_refuses_a_job_that_did_not_fail() -> None:
    job = queued_intake()
    with pytest.raises(ValueError):
        jobs.retry(job=job)


def test_a_restoration_job_of_a_broken_input_fails_and_can_be_retried(
    django_capture_on_commit_callbacks,
) -> None:
    artifact = make_artifact()
    job = RestorationJob.objects.create(artifact=artifact, kind=RestorationJob.Kind.SHAPE)
    ended = restore.run_restoration_job(job_id=job.pk)
    assert ended.status == RestorationJob.Status.FAILED and ended.error
    assert ended.attempts == 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        jobs.retry(job=ended)
    ended.refresh_from_db()
    assert ended.status == RestorationJob.Status.QUEUED and ended.attempts == 0
    assert len(callbacks) == 1  # the task is sent once the retry commits
