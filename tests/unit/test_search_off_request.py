"""The search index is built by the worker's job, never by a request (#17): requests load the
newest stored index, cache query embeddings in the shared cache, and answer before any index
exists (keyword-only, or 503 with Retry-After while this process builds that)."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.cache import cache

from exhibits.curation import embedding_store, search_index
from exhibits.curation.embeddings import artifact_text, default_encoder
from exhibits.curation.search import Document, SearchIndex
from exhibits.models import Job, SearchIndexSnapshot
from tests.unit.factories import make_artifact

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_process():
    embedding_store.invalidate_index()
    cache.clear()
    yield
    embedding_store.invalidate_index()


@pytest.fixture
def encoded(monkeypatch) -> list[list[str]]:
    """Every batch of texts the default encoder is asked to encode."""
    encoder = default_encoder()
    calls: list[list[str]] = []
    original = type(encoder).encode

    def spy(self, texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return original(self, texts)

    monkeypatch.setattr(type(encoder), "encode", spy)
    return calls


def run_queued_index_jobs() -> int:
    queued = list(Job.objects.filter(kind=search_index.INDEX_KIND, status=Job.Status.QUEUED))
    for job in queued:
        assert search_index.run_index_job(job_id=job.pk).status == Job.Status.DONE
    return len(queued)


def test_a_request_never_encodes_documents_and_the_job_brings_the_edit(
    anon_api, encoded, django_capture_on_commit_callbacks
) -> None:
    make_artifact(title="Corinthian Helmet", materials="bronze")
    search_index.rebuild_search_index()
    with django_capture_on_commit_callbacks(execute=True):
        scarab = make_artifact(title="Scarab of Amenhotep", materials="steatite")
    encoded.clear()
    stale = anon_api.get("/api/search", {"q": "scarab"})
    assert stale.status_code == 200 and stale.json()["count"] == 0  # served, slightly stale
    assert encoded == [["scarab"]]  # the query only, never the new artifact's text
    assert run_queued_index_jobs() == 1  # the edit queued exactly one rebuild
    assert [artifact_text(scarab)] in encoded  # the job encoded it
    encoded.clear()
    fresh = anon_api.get("/api/search", {"q": "scarab"}).json()
    assert [r["id"] for r in fresh["results"]] == [scarab.pk]
    assert fresh["mode"] == "semantic+keyword"
    assert encoded == []  # same query: its embedding came from the shared cache


def test_many_changes_in_one_transaction_queue_one_job(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            make_artifact(title=f"Coin {n}")
    assert Job.objects.filter(kind=search_index.INDEX_KIND, status=Job.Status.QUEUED).count() == 1


def test_the_job_replaces_the_previous_snapshot_and_its_job() -> None:
    make_artifact(title="Corinthian Helmet")
    for _ in range(2):
        search_index.request_index_rebuild()
        run_queued_index_jobs()
    assert SearchIndexSnapshot.objects.count() == 1
    assert SearchIndexSnapshot.objects.get().documents == 1
    done = Job.objects.filter(kind=search_index.INDEX_KIND)
    assert done.count() == 1 and done.get().report["documents"] == 1


def test_query_embeddings_are_cached_by_encoder_and_normalised_query(anon_api, encoded) -> None:
    make_artifact(title="Corinthian Helmet", materials="bronze")
    search_index.rebuild_search_index()
    encoded.clear()
    for query in ("Bronze  Helmet", "bronze helmet", " BRONZE helmet "):
        assert anon_api.get("/api/search", {"q": query}).status_code == 200
    assert encoded == [["bronze helmet"]]
    key = embedding_store.query_cache_key(default_encoder().name, "bronze helmet")
    assert cache.get(key) is not None


def test_a_hostile_query_is_cached_under_a_bounded_key() -> None:
    text = embedding_store.normalise_query("Helmet " * 50_000)
    assert len(text) == embedding_store.QUERY_MAX_CHARS
    assert len(embedding_store.query_cache_key("all-MiniLM-L6-v2", text)) < 120


def test_a_fresh_install_answers_keyword_only_and_asks_for_the_index(anon_api, encoded) -> None:
    helmet = make_artifact(title="Corinthian Helmet", materials="bronze")
    response = anon_api.get("/api/search", {"q": "helmet"})
    assert response.status_code == 200
    data = response.json()
    assert data["mode"] == "keyword" and [r["id"] for r in data["results"]] == [helmet.pk]
    assert encoded == []  # no model work at all
    assert anon_api.get(f"/api/artifacts/{helmet.pk}/similar/").json()["results"] == []
    queued = Job.objects.filter(kind=search_index.INDEX_KIND, status=Job.Status.QUEUED)
    assert queued.count() == 1  # asked once, not per request
    run_queued_index_jobs()
    assert anon_api.get("/api/search", {"q": "helmet"}).json()["mode"] == "semantic+keyword"


def test_a_request_finding_the_fallback_being_built_gets_503_with_retry_after(
    anon_api, client
) -> None:
    make_artifact(title="Corinthian Helmet")
    with embedding_store._fallback_lock:  # another request of this process is building it
        busy = anon_api.get("/api/search", {"q": "helmet"})
        page = client.get("/search/", {"q": "helmet"})
    assert busy.status_code == 503 and busy["Retry-After"] == "5"
    assert busy.json()["error"]["code"] == "search_starting"
    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert anon_api.get("/api/search", {"q": "helmet"}).status_code == 200  # then it answers


def test_a_loading_process_keeps_serving_the_index_it_has(anon_api) -> None:
    make_artifact(title="Corinthian Helmet")
    search_index.rebuild_search_index()
    assert anon_api.get("/api/search", {"q": "scarab"}).json()["count"] == 0
    make_artifact(title="Scarab")
    search_index.rebuild_search_index()
    with embedding_store._load_lock:  # another request is loading the new snapshot
        assert anon_api.get("/api/search", {"q": "scarab"}).json()["count"] == 0
    assert anon_api.get("/api/search", {"q": "scarab"}).json()["count"] == 1


def test_the_stored_payload_reads_back_the_same_index() -> None:
    docs = [
        Document(1, "A", "Bronze helmet", "bronze helmet", culture="Greek", date_start_year=-600),
        Document(2, "B", "Gold ring", "gold ring", materials="gold", published=False),
        Document(3, "C", "Helmet", "helmet of iron"),
    ]
    vectors = np.array([[1, 0], [0, 1], [0.8, 0.6]], dtype=np.float32)
    query = lambda q: np.array([1, 0], np.float32)  # noqa: E731
    index = SearchIndex(docs, vectors, query, min_similarity=0.5)
    loaded = SearchIndex.from_payload(index.to_payload(), query)
    for text in ("bronze helmet", "gold", ""):
        before = index.search(text, include_drafts=True)
        after = loaded.search(text, include_drafts=True)
        assert [(h.document, h.score) for h in after.hits] == [
            (h.document, h.score) for h in before.hits
        ]
        assert after.facets == before.facets
    assert loaded.documents == docs and loaded.similar(1, k=2) == index.similar(1, k=2)
    assert SearchIndex.from_payload(SearchIndex(docs).to_payload()).mode == "keyword"
