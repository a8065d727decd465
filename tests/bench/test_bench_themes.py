"""Benchmark: theme quality on the Walters sample (2,498 records), `make bench`.

`classification` is left out of the text the themes are computed from; the themes are then
compared with it (and with the origin continent and the century) by adjusted mutual
information. Same records, same run: our method (MiniLM sentence embeddings when installed,
TF-IDF+SVD otherwise, then balanced k-means with rooms of at most 1.5 n/k objects) against
plain TF-IDF + k-means, plus the two crossings so the encoder's and the balancing's shares show.
"""

from __future__ import annotations

import csv
import math
import os
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from exhibits.curation import themes
from exhibits.curation.embeddings import TfidfEncoder, artifact_text
from exhibits.curation.labels import century_of

COLUMNS = {
    "title": "title", "object_name": "object_name", "culture": "culture_or_nationality",
    "period": "period", "dynasty": "dynasty", "style": "style",
    "place_of_origin": "place_of_origin", "country": "origin_country",
    "continent": "origin_continent", "materials": "medium", "maker": "maker",
    "keywords": "subjects_keywords", "date_text": "date_text",
}  # fmt: skip
KS = (10, 25, 40)  # 25 = the number of classifications
SLACK = 1.5  # room capacity = ceil(SLACK * n / k)
SEED = 0


def load_records() -> list[dict[str, str]]:
    data = os.environ.get("MOUSEION_DATA")
    path = Path(data or "", "collections", "walters-sample.csv")
    if not data or not path.exists():
        pytest.skip("MOUSEION_DATA is not set or has no collections/walters-sample.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def sentence_encoder():
    """MiniLM when its package is installed, else the TF-IDF+SVD fallback (said in the table)."""
    try:
        from exhibits.curation.embeddings import MiniLMEncoder

        return MiniLMEncoder()
    except ImportError:
        return TfidfEncoder()


def tfidf_matrix(texts: list[str]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit_transform(texts)


def kmeans_labels(matrix, k: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=10, random_state=SEED).fit_predict(matrix)


def balanced_labels(vectors: np.ndarray, k: int) -> np.ndarray:
    capacity = math.ceil(SLACK * len(vectors) / k)
    labels, _ = themes.balanced_kmeans(vectors, k, capacity, seed=SEED)
    assert (labels >= 0).all() and np.bincount(labels).max() <= capacity
    return labels


@pytest.mark.timeout(1200)  # MiniLM on 2 CPU cores takes about a minute
def test_theme_quality_against_classification_continent_century() -> None:
    from sklearn.metrics import adjusted_mutual_info_score as ami

    rows = load_records()
    records = [SimpleNamespace(**{k: row[c] for k, c in COLUMNS.items()}) for row in rows]
    texts = [artifact_text(record) for record in records]
    assert "classification" not in COLUMNS  # the themes must recover it, not read it
    truths = {
        "classification": [row["classification"] for row in rows],
        "continent": [row["origin_continent"] or "none" for row in rows],
        "century": [
            str(century_of(int(row["date_start"]))) if row["date_start"] else "undated"
            for row in rows
        ],
    }
    started = time.perf_counter()
    sparse = tfidf_matrix(texts)
    reduced = TfidfEncoder().encode(texts)  # the product's fallback: TF-IDF + SVD, 128 dims
    tfidf_seconds = time.perf_counter() - started
    encoder = sentence_encoder()
    started = time.perf_counter()
    dense = encoder.encode(texts)
    encode_seconds = time.perf_counter() - started
    print(f"\nWalters sample: {len(rows)} records, {len(set(truths['classification']))} classes")
    print(f"encoder: {encoder.name} ({encode_seconds:.1f} s); TF-IDF {tfidf_seconds:.1f} s")
    print(f"balanced rooms hold at most ceil({SLACK} n / k) objects; seed {SEED}")
    header = f"{'k':>3}  {'method':<34} {'AMI class':>9} {'continent':>9} {'century':>8} "
    print(header + f"{'largest':>7} {'seconds':>7}")
    results: dict[tuple[int, str], float] = {}
    methods = {
        "TF-IDF + k-means (baseline)": lambda k: kmeans_labels(sparse, k),
        "TF-IDF+SVD + balanced k-means": lambda k: balanced_labels(reduced, k),
        f"{encoder.name} + k-means": lambda k: kmeans_labels(dense, k),
        f"{encoder.name} + balanced (ours)": lambda k: balanced_labels(dense, k),
    }
    for k in KS:
        for name, method in methods.items():
            started = time.perf_counter()
            labels = method(k)
            seconds = time.perf_counter() - started
            scores = [ami(truth, labels) for truth in truths.values()]
            results[(k, name)] = scores[0]
            print(
                f"{k:>3}  {name:<34} {scores[0]:>9.3f} {scores[1]:>9.3f} {scores[2]:>8.3f} "
                f"{np.bincount(labels).max():>7d} {seconds:>7.1f}"
            )
    ours = results[(25, f"{encoder.name} + balanced (ours)")]
    assert ours > 0.2, "themes should carry real information about the classification"
