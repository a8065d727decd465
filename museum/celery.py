"""The Celery application; configuration comes from Django settings (CELERY_*).

Loaded by the worker (`celery -A museum.celery`) and by MuseumConfig.ready() in web processes."""

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "museum.settings")

app = Celery("museum")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def requeue_orphaned_jobs(**_kwargs: Any) -> None:
    """Single profile: jobs a killed worker left behind are queued again (museum.jobs)."""
    from django.conf import settings

    if not settings.MOUSEION_REQUEUE_ON_WORKER_START:
        return
    from museum import jobs

    orphans, sent = jobs.requeue_orphans()
    if orphans or sent:
        logging.getLogger(__name__).warning(
            "re-queued %d job(s) a stopped worker left running; sent %d queued job(s) again",
            orphans,
            sent,
        )
