"""Tag suggestions from nearest neighbours: a weighted vote of the k most similar artifacts
that have the value. Framework-free: vectors and plain records in, suggestions out.

* classification: each neighbour votes for its classification with its cosine similarity;
  the winner is suggested with confidence = its share of the neighbours' total weight.
* materials: each neighbour votes for every material word of its medium (see
  `search.material_tokens`); each word is suggested with confidence = the weighted share of
  neighbours made of it, when that share reaches `min_confidence`.

Neighbours with a similarity at or below 0 do not vote. The evidence lists every voting
neighbour (object number, title, similarity, its value) so a curator can judge.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from exhibits.curation.search import material_tokens

FIELDS = ("classification", "materials")


@dataclass
class Labelled:
    """An artifact that has the value: a possible neighbour."""

    id: int
    object_number: str
    title: str
    value: str


@dataclass
class Suggestion:
    artifact_id: int
    field: str
    value: str
    confidence: float
    evidence: list[dict]


def values_of(field: str, value: str) -> list[str]:
    """The votes one neighbour casts for `field`."""
    if field == "materials":
        return material_tokens(value)
    return [value.strip()] if value.strip() else []


def suggest(
    field: str,
    targets: Sequence[int],
    target_vectors: np.ndarray,
    labelled: Sequence[Labelled],
    labelled_vectors: np.ndarray,
    *,
    k: int = 10,
    min_confidence: float = 0.5,
) -> list[Suggestion]:
    """Suggestions of `field` for each target id from its k nearest labelled neighbours.

    Vectors are unit-length rows; a target that is also labelled never votes for itself."""
    if field not in FIELDS:
        raise ValueError(f"unknown field {field!r}")
    if not len(targets) or not len(labelled):
        return []
    similarity = np.asarray(target_vectors, np.float32) @ np.asarray(labelled_vectors).T
    own = {item.id: j for j, item in enumerate(labelled)}
    cast = [values_of(field, item.value) for item in labelled]
    suggestions: list[Suggestion] = []
    for row, target in enumerate(targets):
        scores = similarity[row].copy()
        if target in own:
            scores[own[target]] = -np.inf
        count = min(k, len(labelled))
        candidates = np.argpartition(-scores, count - 1)[:count]
        nearest = [j for j in candidates[np.argsort(-scores[candidates])] if scores[j] > 0]
        if not nearest:
            continue
        weights: dict[str, float] = defaultdict(float)
        spelling: dict[str, str] = {}
        total = 0.0
        for j in nearest:
            total += float(scores[j])
            for value in cast[j]:
                key = value.casefold()
                spelling.setdefault(key, value)
                weights[key] += float(scores[j])
        if not weights or total <= 0:
            continue
        ranked = sorted(weights.items(), key=lambda item: (-item[1], item[0]))
        if field == "classification":
            ranked = ranked[:1]
        evidence = [
            {
                "object_number": labelled[j].object_number,
                "title": labelled[j].title,
                "similarity": round(float(scores[j]), 3),
                "value": labelled[j].value,
            }
            for j in nearest
        ]
        for key, weight in ranked:
            confidence = min(1.0, weight / total)
            if confidence >= min_confidence:
                suggestions.append(
                    Suggestion(target, field, spelling[key], round(confidence, 4), evidence)
                )
    return suggestions
