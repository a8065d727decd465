"""Building the search index off the request path: an exhibits.Job of kind "search-index",
run by the worker through the one job runner (museum.jobs), stores the index as a
SearchIndexSnapshot that web processes load (embedding_store.search_index).

Any artifact change (saved, deleted, imported) asks for a rebuild once its transaction commits;
requests made while a rebuild is already queued share it (the job reads the collection as it
is when it runs). A rebuild re-encodes only the artifacts whose text changed.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.core.cache import cache
from django.db import transaction

from exhibits.curation import embedding_store
from exhibits.curation.embeddings import TextEncoder, default_encoder
from exhibits.curation.search import SearchIndex
from exhibits.models import Job, SearchIndexSnapshot
from museum import jobs

logger = logging.getLogger(__name__)
INDEX_KIND = "search-index"
# A process without any index asks for one at most this often (the job may be failing).
REQUEST_AGAIN_AFTER_S = 60


def request_index_rebuild() -> Job | None:
    """Queue a rebuild (after commit) unless one is queued already; returns the new job."""
    with transaction.atomic():
        if Job.objects.filter(kind=INDEX_KIND, status=Job.Status.QUEUED).exists():
            return None
        job = Job.objects.create(kind=INDEX_KIND, stage="queued")
        jobs.enqueue_on_commit(job)
    return job


def request_rebuild_once(*, encoder_name: str) -> None:
    """From a request that found no index: ask for one, at most once a minute per cache."""
    try:
        if not cache.add(
            f"mouseion:search-index-requested:{encoder_name}", 1, REQUEST_AGAIN_AFTER_S
        ):
            return
    except Exception:
        logger.warning("cache unavailable; asking for a search index rebuild", exc_info=True)
    request_index_rebuild()


def _rebuild_on_commit() -> None:
    try:
        request_index_rebuild()
    except Exception:  # an edit never fails because the index could not be queued
        logger.exception("the search index rebuild was not queued")


def artifact_changed(**_signal: Any) -> None:
    """post_save / post_delete receiver of Artifact (ExhibitsConfig.ready): ask for a rebuild
    when the transaction commits (a change of many artifacts queues one job: the others find
    it queued)."""
    transaction.on_commit(_rebuild_on_commit)


def run_index_job(*, job_id: int, encoder: TextEncoder | None = None) -> Job:
    """Body of the search-index task (exhibits.tasks), run by the job runner."""
    return jobs.run(Job, job_id, lambda job: _rebuild(job, encoder or default_encoder()))


def _rebuild(job: Job, encoder: TextEncoder) -> None:
    index = embedding_store.build_index(encoder)  # outside the transaction: it may encode
    with transaction.atomic():
        jobs.hold(job)
        snapshot = _store(index, encoder)
        # Earlier finished rebuilds say nothing the newest does not: keep the job list short.
        Job.objects.filter(kind=INDEX_KIND, status=Job.Status.DONE).exclude(pk=job.pk).delete()
        jobs.complete(
            job,
            report={"documents": snapshot.documents, "encoder": encoder.name, "mode": index.mode},
        )


def rebuild_search_index(*, encoder: TextEncoder | None = None) -> SearchIndexSnapshot:
    """Build and store the index now (management commands, tests): what the job does."""
    encoder = encoder or default_encoder()
    index = embedding_store.build_index(encoder)
    with transaction.atomic():
        return _store(index, encoder)


def _store(index: SearchIndex, encoder: TextEncoder) -> SearchIndexSnapshot:
    snapshot = SearchIndexSnapshot.objects.create(
        encoder=encoder.name,
        token=secrets.token_hex(16),
        documents=len(index.documents),
        payload=index.to_payload(),
    )
    SearchIndexSnapshot.objects.filter(encoder=encoder.name, pk__lt=snapshot.pk).delete()
    return snapshot
