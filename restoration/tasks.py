"""Celery tasks of restoration: thin, idempotent wrappers that take ids (routed to `gpu`)."""

from celery import shared_task

from restoration.condition import services
from restoration.restore import services as restoration_services


@shared_task(name="restoration.tasks.condition_check", acks_late=True)
def condition_check_task(job_id: int) -> None:
    """Damage detection on every base-colour texture of the job's artifact.

    A duplicate delivery of a finished job changes nothing (services.run_condition_job)."""
    services.run_condition_job(job_id=job_id)


@shared_task(name="restoration.tasks.restore", acks_late=True)
def restore_artifact(job_id: int) -> None:
    """A virtual restoration (surface or shape) of the job's artifact.

    Only a queued job is claimed, so a duplicate delivery writes nothing twice
    (restoration_services.run_restoration_job)."""
    restoration_services.run_restoration_job(job_id=job_id)
