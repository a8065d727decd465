"""How interesting each object is to a visitor: the prizes of the orienteering problem.

Framework-free: embeddings come in as arrays (rows L2-normalised), texts as strings.

The score of an object mixes three signals, each in [0, 1]:
  * semantic: cosine between the visitor's query embedding (free text and themes) and the
    object's embedding, rescaled so the best match in the collection counts 1;
  * terms: the share of the visitor's words and tags found in the object's text (exact,
    explainable: the shared terms are reported);
  * liked: cosine to an artifact the visitor liked; the liked artifact itself is a must-see.
A floor (`FLOOR`) gives every object a small prize, so a route with spare time still fills it
with something rather than walking straight to the exit. With_observed_dwell then scales prizes
by how long visitors actually stay at each object (visit analytics), shrunk towards neutral.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

FLOOR = 0.05
MUST_SEE = 5.0  # prize of the liked artifact: it is always worth the detour
WEIGHTS = {"semantic": 0.55, "terms": 0.3, "liked": 0.15}
WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
STOPWORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "that",
        "this",
        "into",
        "are",
        "was",
        "were",
        "its",
        "has",
        "have",
        "not",
        "but",
        "about",
        "like",
        "of",
        "to",
        "in",
        "on",
        "by",
        "an",
        "or",
        "a",
    ]
)


def terms(text: str) -> set[str]:
    """Lower-case words of three letters or more, stop-words removed."""
    return {word for word in WORD.findall(text.lower()) if word not in STOPWORDS}


@dataclass
class Interest:
    """Prizes per object plus what explains them (used for the per-stop explanations)."""

    prizes: np.ndarray
    similarity: np.ndarray  # raw cosine to the query (0 without one)
    shared_terms: list[list[str]] = field(default_factory=list)
    must_see: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


def _unit(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32).ravel()
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def interest_scores(
    object_texts: Sequence[str],
    object_vectors: np.ndarray | None = None,
    *,
    query_vector: np.ndarray | None = None,
    query_terms: Sequence[str] = (),
    liked_index: int | None = None,
    floor: float = FLOOR,
) -> Interest:
    """Prizes in [floor, 1] (the liked artifact gets `MUST_SEE`) and their explanations."""
    n = len(object_texts)
    wanted = set()
    for term in query_terms:
        wanted |= terms(term)
    similarity = np.zeros(n, dtype=np.float32)
    semantic = np.zeros(n, dtype=np.float32)
    has_vectors = object_vectors is not None and len(object_vectors) == n and n > 0
    if has_vectors and query_vector is not None and np.any(query_vector):
        similarity = np.asarray(object_vectors, dtype=np.float32) @ _unit(query_vector)
        top = float(similarity.max())
        semantic = np.clip(similarity, 0, None) / top if top > 1e-6 else semantic
    shared = [sorted(wanted & terms(text)) for text in object_texts]
    term_score = np.array(
        [len(s) / len(wanted) if wanted else 0.0 for s in shared], dtype=np.float32
    )
    liked = np.zeros(n, dtype=np.float32)
    must_see = np.zeros(n, dtype=bool)
    if liked_index is not None and 0 <= liked_index < n:
        must_see[liked_index] = True
        if has_vectors:
            assert object_vectors is not None  # has_vectors says so
            liked = np.clip(np.asarray(object_vectors) @ _unit(object_vectors[liked_index]), 0, 1)
    used = {
        "semantic": bool(semantic.any()),
        "terms": bool(term_score.any()),
        "liked": bool(liked.any()),
    }
    total = sum(WEIGHTS[name] for name, on in used.items() if on)
    raw = np.zeros(n, dtype=np.float32)
    if total:
        raw = (
            WEIGHTS["semantic"] * semantic * used["semantic"]
            + WEIGHTS["terms"] * term_score * used["terms"]
            + WEIGHTS["liked"] * liked * used["liked"]
        ) / total
    prizes = floor + (1.0 - floor) * np.clip(raw, 0.0, 1.0)
    prizes[must_see] = MUST_SEE
    return Interest(
        prizes=prizes.astype(np.float64),
        similarity=similarity.astype(np.float64),
        shared_terms=shared,
        must_see=must_see,
    )


def group_prizes(per_member: Sequence[np.ndarray]) -> np.ndarray:
    """Team OP: a group walks one route, so an object's prize is the members' summed interest."""
    return np.sum(np.asarray(per_member, dtype=np.float64), axis=0)


# Observed dwell (visit analytics): an object visitors linger at is likely worth a stop.
DWELL_PRIOR_VIEWS = 20.0  # pseudo-views at the museum's mean: few observations barely move
DWELL_RATIO_RANGE = (0.5, 2.0)


def dwell_factors(
    n: int, observed: Mapping[int, tuple[int, float]], *, weight: float
) -> np.ndarray:
    """A multiplier per object from observed (views, dwell seconds), keyed by object index.

    Each object's mean dwell is shrunk towards the pooled mean of all observed objects
    (empirical Bayes with DWELL_PRIOR_VIEWS pseudo-views), divided by it, clipped to
    DWELL_RATIO_RANGE and raised to `weight`: 1 for an average object, an unobserved one,
    or when nothing was observed at all."""
    factors = np.ones(n, dtype=np.float64)
    views = sum(v for v, _ in observed.values())
    seconds = sum(s for _, s in observed.values())
    if views <= 0 or seconds <= 0 or weight <= 0:
        return factors
    pooled = seconds / views
    for index, (v, s) in observed.items():
        if 0 <= index < n and v > 0:
            shrunk = (s + DWELL_PRIOR_VIEWS * pooled) / (v + DWELL_PRIOR_VIEWS)
            ratio = float(np.clip(shrunk / pooled, *DWELL_RATIO_RANGE))
            factors[index] = ratio**weight
    return factors


def with_observed_dwell(
    interest: Interest, observed: Mapping[int, tuple[int, float]], *, weight: float
) -> Interest:
    """`interest` with its prizes scaled by dwell_factors (must-see objects keep MUST_SEE)."""
    factors = dwell_factors(len(interest.prizes), observed, weight=weight)
    prizes = np.where(interest.must_see, interest.prizes, interest.prizes * factors)
    return Interest(
        prizes=prizes.astype(np.float64),
        similarity=interest.similarity,
        shared_terms=interest.shared_terms,
        must_see=interest.must_see,
    )
