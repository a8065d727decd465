"""The glue between the framework-free cores and the database: cached artifact embeddings
(ArtifactEmbedding rows), cached query embeddings and this process's copy of the search index.

Embeddings are keyed by (artifact, encoder name) and carry the SHA-256 of the text they were
computed from; a row whose digest no longer matches `artifact_text()` is recomputed. TF-IDF is
refitted on every call, so its vectors are only comparable within one call: it is never cached,
and callers encode the whole collection at once (the index does).

The search index is built by the worker, never by a request: after an artifact change commits,
a job (exhibits.curation.search_index) builds it and stores it as a SearchIndexSnapshot with a
new token. `search_index()` reads the newest token (one small query) and loads that snapshot
only when the token differs from the one this process holds; meanwhile it serves the one it
has (a few seconds stale at most while the job runs). With no snapshot at all (a fresh install
before the worker ran, or a new encoder) it serves a keyword-only index of the collection,
built without any encoding (one process-wide build at a time; a request that finds the build
in progress and nothing to serve gets IndexUnavailable: 503 with Retry-After) and asks for a
rebuild. Query embeddings are cached in the shared Django cache.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache
from django.db.models import Count, Max

from exhibits.curation.embeddings import (
    TEXT_FIELDS,
    TextEncoder,
    TfidfEncoder,
    artifact_text,
    default_encoder,
    text_digest,
)
from exhibits.curation.search import Document, SearchIndex
from exhibits.models import (
    Annotation,
    Artifact,
    ArtifactEmbedding,
    ExhibitionItem,
    PublicationStatus,
    SearchIndexSnapshot,
)

logger = logging.getLogger(__name__)
BATCH_SIZE = 256
# Query embeddings in the shared cache: ~1.5 KB each (MiniLM), evicted by the cache's own bound
# (LocMem MAX_ENTRIES, Redis maxmemory) or after a week; queries are cut to 500 characters.
QUERY_CACHE_SECONDS = 7 * 24 * 3600
QUERY_MAX_CHARS = 500
RETRY_AFTER_S = 5
# Cosine below which a query does not count as a semantic match, per encoder.
MIN_SIMILARITY = {"all-MiniLM-L6-v2": 0.35}
DEFAULT_MIN_SIMILARITY = 0.5
# Everything artifact_text() reads, plus what the index shows and facets on.
INDEX_FIELDS = tuple(
    dict.fromkeys(
        (
            "id",
            "object_number",
            "classification",
            "date_start_year",
            "status",
            "updated_at",
            "description",
            *TEXT_FIELDS,
        )
    )
)


def is_cacheable(encoder: TextEncoder) -> bool:
    """Whether the encoder gives the same vector for a text on every call (TF-IDF does not)."""
    return not isinstance(encoder, TfidfEncoder) and not encoder.name.startswith("tfidf")


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype="<f4")


def embeddings_for(
    artifacts: Sequence[Artifact], encoder: TextEncoder, *, batch_size: int = BATCH_SIZE
) -> np.ndarray:
    """(len(artifacts), dim) float32 unit rows, reusing cached rows whose text is unchanged and
    encoding the others in batches (stored as float32 little-endian)."""
    texts = [artifact_text(artifact) for artifact in artifacts]
    if not artifacts:
        return np.zeros((0, 0), dtype=np.float32)
    if not is_cacheable(encoder):
        return encoder.encode(texts)
    digests = [text_digest(text) for text in texts]
    cached = {
        row.artifact_id: row
        for row in ArtifactEmbedding.objects.filter(
            model_name=encoder.name, artifact_id__in=[a.pk for a in artifacts]
        ).only("artifact_id", "text_sha256", "vector")
    }
    vectors: list[np.ndarray | None] = [None] * len(artifacts)
    stale: list[int] = []
    for i, artifact in enumerate(artifacts):
        row = cached.get(artifact.pk)
        if row is not None and row.text_sha256 == digests[i]:
            vectors[i] = from_bytes(row.vector)
        else:
            stale.append(i)
    for start in range(0, len(stale), batch_size):
        batch = stale[start : start + batch_size]
        encoded = encoder.encode([texts[i] for i in batch]).astype(np.float32)
        rows = []
        for i, vector in zip(batch, encoded, strict=True):
            vectors[i] = vector
            rows.append(
                ArtifactEmbedding(
                    artifact_id=artifacts[i].pk,
                    model_name=encoder.name,
                    text_sha256=digests[i],
                    dimensions=len(vector),
                    vector=to_bytes(vector),
                )
            )
        ArtifactEmbedding.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["artifact", "model_name"],
            update_fields=["text_sha256", "dimensions", "vector", "updated_at"],
        )
    return np.vstack(vectors).astype(np.float32)  # type: ignore[arg-type]


@contextmanager
def single_thread() -> Iterator[None]:
    """One intra-op thread for a one-sentence query: on a busy machine torch's thread pool
    costs more in synchronisation than it gains (measured: p95 48 ms with 2 threads, 15 ms
    with 1, on 2 loaded cores). A process-wide setting, restored afterwards."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def collection_fingerprint() -> tuple:
    """Changes whenever an artifact is added, edited, (un)published or deleted."""
    stats = Artifact.objects.aggregate(n=Count("pk"), last=Max("updated_at"), top=Max("pk"))
    return (stats["n"], stats["last"], stats["top"])


def attached_texts(artifacts: Sequence[Artifact]) -> dict[int, str]:
    """Per artifact, the texts written about it beyond its record: its description, its points
    of interest, and its wall labels (every language) in published exhibitions. Three queries."""
    parts: dict[int, list[str]] = {a.pk: [a.description] for a in artifacts}
    notes = Annotation.objects.filter(artifact_id__in=parts).values_list(
        "artifact_id", "title", "text"
    )
    for artifact_id, title, text in notes:
        parts[artifact_id] += [title, text]
    labels = ExhibitionItem.objects.filter(
        artifact_id__in=parts, exhibition__status=PublicationStatus.PUBLISHED
    ).values_list("artifact_id", "label_text", "label_translations")
    for artifact_id, text, translations in labels:
        parts[artifact_id].append(text)
        if isinstance(translations, dict):
            parts[artifact_id] += [str(value) for value in translations.values()]
    return {pk: " ".join(part for part in texts if part) for pk, texts in parts.items()}


def document_of(artifact: Artifact, context: str = "") -> Document:
    return Document(
        id=artifact.pk,
        object_number=artifact.object_number,
        title=artifact.title,
        text=artifact_text(artifact),
        classification=artifact.classification,
        culture=artifact.culture,
        date_text=artifact.date_text,
        date_start_year=artifact.date_start_year,
        materials=artifact.materials,
        published=artifact.status == PublicationStatus.PUBLISHED,
        context=context,
    )


def normalise_query(query: str) -> str:
    """The form a query is encoded and cached in: NFKC, lower case, single spaces (the sentence
    model and the hashing encoder lower-case anyway)."""
    return " ".join(unicodedata.normalize("NFKC", query).lower().split())[:QUERY_MAX_CHARS]


def query_cache_key(encoder_name: str, normalised: str) -> str:
    digest = hashlib.sha256(normalised.encode("utf-8")).hexdigest()
    return f"mouseion:query-embedding:{encoder_name}:{digest}"


def query_encoder(encoder: TextEncoder) -> Callable[[str], np.ndarray]:
    """encode_query for a SearchIndex: the shared cache first, the encoder on a miss. A cache
    that is down costs an encode, never the search."""

    def encode_query(query: str) -> np.ndarray:
        text = normalise_query(query)
        key = query_cache_key(encoder.name, text)
        try:
            cached = cache.get(key)
        except Exception:
            logger.warning("query embedding cache unavailable", exc_info=True)
            cached = None
        if cached is not None:
            return from_bytes(cached)
        with single_thread():
            vector = np.asarray(encoder.encode([text])[0], dtype=np.float32)
        try:
            cache.set(key, to_bytes(vector), QUERY_CACHE_SECONDS)
        except Exception:
            logger.warning("query embedding cache unavailable", exc_info=True)
        return vector

    return encode_query


def build_index(encoder: TextEncoder) -> SearchIndex:
    """A fresh index over the whole collection (drafts included, flagged). Encodes the artifacts
    whose text changed: the worker's job (search_index.py), never a request."""
    artifacts = list(Artifact.objects.only(*INDEX_FIELDS).order_by("pk"))
    vectors = embeddings_for(artifacts, encoder) if artifacts else None
    contexts = attached_texts(artifacts)
    return SearchIndex(
        [document_of(artifact, contexts[artifact.pk]) for artifact in artifacts],
        vectors,
        query_encoder(encoder) if is_cacheable(encoder) else None,
        min_similarity=MIN_SIMILARITY.get(encoder.name, DEFAULT_MIN_SIMILARITY),
    )


def keyword_index() -> SearchIndex:
    """The collection without embeddings (BM25 only): what a process serves before the worker
    stored any index. Encodes nothing."""
    artifacts = list(Artifact.objects.only(*INDEX_FIELDS).order_by("pk"))
    contexts = attached_texts(artifacts)
    return SearchIndex([document_of(artifact, contexts[artifact.pk]) for artifact in artifacts])


class IndexUnavailable(Exception):
    """No index to serve yet and another request of this process is building the fallback."""

    retry_after = RETRY_AFTER_S


@dataclass
class _Held:
    version: object  # a snapshot's token, or the collection fingerprint for the fallback
    index: SearchIndex


_load_lock = threading.Lock()
_fallback_lock = threading.Lock()
_loaded: dict[str, _Held] = {}
_fallbacks: dict[str, _Held] = {}


def newest_token(encoder_name: str) -> str | None:
    return (
        SearchIndexSnapshot.objects.filter(encoder=encoder_name)
        .order_by("-pk")
        .values_list("token", flat=True)
        .first()
    )


def search_index(encoder: TextEncoder | None = None) -> SearchIndex:
    """The newest stored index for `encoder` (the default one), loaded when its version changed;
    see the module docstring for the first use. Never encodes a document."""
    encoder = encoder or default_encoder()
    token = newest_token(encoder.name)
    held = _loaded.get(encoder.name)
    if token is None:
        return held.index if held is not None else _fallback_index(encoder)
    if held is not None and held.version == token:
        return held.index
    # Only one thread loads; the others keep serving the index they have (if any).
    if not _load_lock.acquire(blocking=held is None):
        assert held is not None
        return held.index
    try:
        held = _loaded.get(encoder.name)
        if held is not None and held.version == token:
            return held.index
        payload = (
            SearchIndexSnapshot.objects.filter(token=token)
            .values_list("payload", flat=True)
            .first()
        )
        if payload is None:  # replaced meanwhile by a newer one: next request loads that
            return held.index if held is not None else _fallback_index(encoder)
        encode = query_encoder(encoder) if is_cacheable(encoder) else None
        try:
            index = SearchIndex.from_payload(bytes(payload), encode)
        except ValueError:  # stored by an older release: serve the fallback until rebuilt
            logger.info("search index snapshot %s is of an older format; rebuilding", token)
            return held.index if held is not None else _fallback_index(encoder)
        _loaded[encoder.name] = _Held(token, index)
        _fallbacks.pop(encoder.name, None)
        return index
    finally:
        _load_lock.release()


def _fallback_index(encoder: TextEncoder) -> SearchIndex:
    from exhibits.curation.search_index import request_rebuild_once

    request_rebuild_once(encoder_name=encoder.name)
    fingerprint = collection_fingerprint()
    held = _fallbacks.get(encoder.name)
    if held is not None and held.version == fingerprint:
        return held.index
    if not _fallback_lock.acquire(blocking=False):
        if held is not None:
            return held.index
        raise IndexUnavailable
    try:
        index = keyword_index()
        _fallbacks[encoder.name] = _Held(fingerprint, index)
        return index
    finally:
        _fallback_lock.release()


def invalidate_index() -> None:
    """Forget this process's copies (tests; a process reloads the newest snapshot next time)."""
    with _load_lock, _fallback_lock:
        _loaded.clear()
        _fallbacks.clear()
