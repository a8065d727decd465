"""The glue between the framework-free cores and the database: cached artifact embeddings
(ArtifactEmbedding rows) and the per-process search index.

Embeddings are keyed by (artifact, encoder name) and carry the SHA-256 of the text they were
computed from; a row whose digest no longer matches `artifact_text()` is recomputed. TF-IDF is
refitted on every call, so its vectors are only comparable within one call: it is never cached,
and callers encode the whole collection at once (the index does).

The search index lives in this process's memory, built lazily on first use. Before each use it
compares a fingerprint of the collection (count, newest `updated_at`, highest id) and the encoder
name with the ones it was built from and rebuilds on any change, so edits, imports, publication
changes and deletions made by any process show up on the next query; `invalidate_index()` drops
it at once after a local change. Building re-encodes only the artifacts whose text changed.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache

import numpy as np
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
from exhibits.models import Artifact, ArtifactEmbedding, PublicationStatus

BATCH_SIZE = 256
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


def document_of(artifact: Artifact) -> Document:
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
    )


def build_index(encoder: TextEncoder) -> SearchIndex:
    """A fresh index over the whole collection (drafts included, flagged)."""
    artifacts = list(Artifact.objects.only(*INDEX_FIELDS).order_by("pk"))
    vectors = embeddings_for(artifacts, encoder) if artifacts else None
    encode_query = None
    if is_cacheable(encoder):

        @lru_cache(maxsize=512)
        def encode_query(query: str) -> np.ndarray:
            with single_thread():
                return encoder.encode([query])[0]

    return SearchIndex(
        [document_of(artifact) for artifact in artifacts],
        vectors,
        encode_query,
        min_similarity=MIN_SIMILARITY.get(encoder.name, DEFAULT_MIN_SIMILARITY),
    )


_lock = threading.Lock()
_indexes: dict[str, tuple[tuple, SearchIndex]] = {}


def search_index(encoder: TextEncoder | None = None) -> SearchIndex:
    """This process's index for `encoder` (the default one), rebuilt when the collection changed."""
    encoder = encoder or default_encoder()
    fingerprint = collection_fingerprint()
    with _lock:
        cached = _indexes.get(encoder.name)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        index = build_index(encoder)
        _indexes[encoder.name] = (fingerprint, index)
        return index


def invalidate_index() -> None:
    with _lock:
        _indexes.clear()
