"""Celery tasks: thin, idempotent wrappers that take ids and call services."""

from celery import shared_task

from exhibits import services


@shared_task(name="exhibits.render_thumbnail", acks_late=True)
def render_thumbnail_task(job_id: int) -> None:
    services.run_thumbnail_job(job_id=job_id)
