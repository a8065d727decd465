"""Celery tasks: thin, idempotent wrappers that take ids and call services."""

from celery import shared_task

from exhibits.intake import services as intake_services


@shared_task(name="exhibits.intake", acks_late=True)
def ingest_task(job_id: int) -> None:
    intake_services.run_intake_job(job_id=job_id)


@shared_task(name="exhibits.search_index", acks_late=True)
def search_index_task(job_id: int) -> None:
    from exhibits.curation import search_index

    search_index.run_index_job(job_id=job_id)
