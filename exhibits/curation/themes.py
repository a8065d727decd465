"""Exhibition themes from embeddings: balanced clustering, names, narrative order, explanations.

Framework-free: the cores take a matrix of L2-normalised embeddings (one row per object), the
objects' texts and optional years, and return plain dataclasses of indices into those inputs.

Method (deterministic for a given seed):

1. k-means (k-means++, several restarts, `random_state=seed`) gives k centroids.
2. Balanced assignment: each room holds at most `capacity` objects. With the centroids fixed,
   the min-cost assignment under capacities is an assignment problem on the centroids
   replicated `capacity` times, solved exactly by `scipy.optimize.linear_sum_assignment`; the
   centroids are re-estimated and the two steps alternate until the labels stop changing
   (balanced k-means, Malinen & Fränti 2014). When the nearest-centroid labels already respect
   the capacities they are the optimum and the solver is skipped. If the rooms cannot hold every
   object (k * capacity < n), the objects farthest from every centroid are left out, and said so.
3. Names: class-based TF-IDF (c-TF-IDF, as in BERTopic) over the texts: a term scores high when
   it is frequent among a room's objects and rare in the others.
4. Room order: a path through the rooms that maximises the similarity of neighbouring rooms
   (nearest-neighbour from every start, then 2-opt), oriented to start with the earlier room.
5. Objects in a room: by date when most have one, else a similarity chain from the most
   central object.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

# Catalogue words that say nothing about a theme (the maker field's roles, dates' wording).
CATALOGUE_STOP_WORDS = frozenset(
    {"artist", "author", "maker", "unknown", "century", "centuries", "early", "late", "mid",
     "probably", "possibly", "circa", "ca", "dynasty", "period", "style", "object", "objects"}
)  # fmt: skip
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_SEGMENT = re.compile(r"[.;,|()\[\]]+")


@dataclass(frozen=True)
class Term:
    term: str
    count: int  # objects of the room whose text has the term
    share: float  # count / room size
    score: float  # c-TF-IDF weight


@dataclass
class Theme:
    members: list[int]  # indices into the inputs, in visiting order
    name: str
    terms: list[Term]
    ordered_by: str  # "date" or "similarity"
    central: list[tuple[int, float]]  # most central members with their similarity to the centre
    neighbours: list[tuple[int, int, float]]  # (member, nearest other member, similarity)
    cohesion: float  # mean similarity of the members to the centre
    centroid: np.ndarray = field(repr=False)


@dataclass
class Suggestion:
    themes: list[Theme]  # in narrative order
    unplaced: list[int]  # objects that did not fit (only when rooms * capacity < n)
    path_similarities: list[float]  # similarity of each room to the next
    overall_terms: list[str]  # the most common terms of the whole selection


# --- text ------------------------------------------------------------------------------------


def analyse(text: str) -> list[str]:
    """Lower-case words of 3+ letters and the bigrams inside one field or phrase."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    terms: list[str] = []
    for segment in _SEGMENT.split(text.lower()):
        words = [
            w
            for w in _TOKEN.findall(segment)
            if len(w) >= 3 and w not in ENGLISH_STOP_WORDS and w not in CATALOGUE_STOP_WORDS
        ]
        terms.extend(words)
        terms.extend(f"{a} {b}" for a, b in itertools.pairwise(words) if a != b)
    return terms


def _presence(texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Binary object x term matrix (an object counts once per term)."""
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(analyzer=analyse, binary=True)
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # no terms at all
        return np.zeros((len(texts), 0), dtype=np.float64), []
    return matrix.toarray().astype(np.float64), list(vectorizer.get_feature_names_out())


def distinctive_terms(
    texts: Sequence[str], labels: Sequence[int] | np.ndarray, n_clusters: int, top_n: int = 6
) -> list[list[Term]]:
    """c-TF-IDF: W(t, c) = tf(t, c) * log(1 + A / f(t)), tf L1-normalised per class, f(t) the
    term's frequency over all classes, A the mean number of term occurrences per class.
    Terms held by a single object are ignored, and a term sharing a word with a better one is
    skipped (so "tsuba" and "japanese tsuba" do not both appear)."""
    presence, vocabulary = _presence(texts)
    labels_array = np.asarray(labels)
    result: list[list[Term]] = [[] for _ in range(n_clusters)]
    if not vocabulary:
        return result
    counts = np.stack([presence[labels_array == c].sum(axis=0) for c in range(n_clusters)])
    totals = counts.sum(axis=1, keepdims=True)
    tf = counts / np.maximum(totals, 1.0)
    average = counts.sum() / max(n_clusters, 1)
    idf = np.log1p(average / np.maximum(counts.sum(axis=0), 1.0))
    scores = tf * idf
    for c in range(n_clusters):
        size = int((labels_array == c).sum())
        minimum = 2 if size >= 2 else 1
        chosen: list[Term] = []
        used: set[str] = set()
        # Highest score first; on a tie the longer phrase, then alphabetical: deterministic.
        candidates = np.flatnonzero(counts[c] >= minimum)
        ranked = sorted(candidates, key=lambda t: (-scores[c, t], -vocabulary[t].count(" "), t))
        for t in ranked:
            words = set(vocabulary[t].split())
            if words & used:
                continue
            used |= words
            count = int(counts[c, t])
            chosen.append(Term(vocabulary[t], count, round(count / size, 3), float(scores[c, t])))
            if len(chosen) == top_n:
                break
        result[c] = chosen
    return result


def common_terms(texts: Sequence[str], top_n: int = 3) -> list[str]:
    """The terms held by most objects (whole selection), for an overall title."""
    presence, vocabulary = _presence(texts)
    if not vocabulary:
        return []
    frequency = presence.sum(axis=0)
    order = sorted(range(len(vocabulary)), key=lambda t: (-frequency[t], vocabulary[t]))
    chosen: list[str] = []
    used: set[str] = set()
    for t in order:
        words = set(vocabulary[t].split())
        if not words & used:
            chosen.append(vocabulary[t])
            used |= words
        if len(chosen) == top_n:
            break
    return chosen


# Words a title leaves in lower case after its first word (English and the usual particles of
# names in catalogues: "Arms and Armor", "School of Paris", "Pieter de Hooch").
TITLE_SMALL_WORDS = frozenset(
    {
        "a", "an", "and", "as", "at", "by", "da", "de", "del", "della", "der", "des", "di", "du",
        "en", "for", "from", "in", "la", "le", "of", "on", "or", "the", "to", "van", "von", "with",
        "y",
    }
)  # fmt: skip


# Abbreviations that terms carry in lower case (terms are lower-cased words).
TITLE_ABBREVIATIONS = {"bce": "BCE", "bc": "BC", "ce": "CE", "ad": "AD", "usa": "USA", "uk": "UK"}


def title_case(text: str) -> str:
    """'sword fittings of the edo period' -> 'Sword Fittings of the Edo Period'. Only first
    letters change, so '19th-century', 'USA' and 'McLean' keep the rest of their letters."""

    def word_case(index: int, word: str) -> str:
        if word.lower() in TITLE_ABBREVIATIONS:
            return TITLE_ABBREVIATIONS[word.lower()]
        if index and word.lower() in TITLE_SMALL_WORDS:
            return word
        return word[:1].upper() + word[1:]

    return " ".join(word_case(index, word) for index, word in enumerate(text.split(" ")))


def theme_name(terms: Sequence[Term], words: int = 3) -> str:
    """'Tsuba · Japanese · Sword Fittings' from the top terms; curators rename freely."""
    parts = [title_case(term.term) for term in terms[:words]]
    if not parts:
        return "Untitled room"
    return " · ".join(parts)


# --- clustering ------------------------------------------------------------------------------


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float64)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=-1, keepdims=True), 1e-12)


def capacitated_assignment(vectors: np.ndarray, centroids: np.ndarray, capacity: int) -> np.ndarray:
    """Labels minimising the total squared distance with at most `capacity` objects per centroid
    (exact); -1 for objects left out when the centroids cannot hold them all."""
    distances = ((vectors[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    nearest = distances.argmin(axis=1)
    if np.bincount(nearest, minlength=len(centroids)).max() <= capacity:
        return nearest
    from scipy.optimize import linear_sum_assignment

    slots = min(capacity, len(vectors))
    rows, columns = linear_sum_assignment(np.repeat(distances, slots, axis=1))
    labels = np.full(len(vectors), -1, dtype=np.int64)
    labels[rows] = columns // slots
    return labels


def balanced_kmeans(
    vectors: np.ndarray, n_clusters: int, capacity: int, *, seed: int = 0, max_iter: int = 25
) -> tuple[np.ndarray, np.ndarray]:
    """(labels, centroids): k-means, then alternate exact capacitated assignment and centroid
    updates until stable. Labels are -1 for objects that do not fit. Empty clusters are removed
    and the rest renumbered."""
    from sklearn.cluster import KMeans

    vectors = _normalise(vectors)
    k = max(1, min(n_clusters, len(vectors)))
    kmeans = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(vectors)
    centroids = kmeans.cluster_centers_
    labels = np.full(len(vectors), -2)
    for _ in range(max_iter):
        new_labels = capacitated_assignment(vectors, centroids, capacity)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
        for c in range(k):
            members = vectors[labels == c]
            if len(members):
                centroids[c] = members.mean(axis=0)
    kept = [c for c in range(k) if (labels == c).any()]
    remap = {old: new for new, old in enumerate(kept)}
    labels = np.array([remap.get(int(label), -1) for label in labels], dtype=np.int64)
    return labels, centroids[kept]


# --- ordering --------------------------------------------------------------------------------


def _path_cost(path: Sequence[int], cost: np.ndarray) -> float:
    return float(sum(cost[a, b] for a, b in itertools.pairwise(path)))


def narrative_path(similarity: np.ndarray) -> list[int]:
    """An open path through all nodes maximising the summed similarity of consecutive nodes:
    nearest neighbour from every start (keep the best), then 2-opt until no move improves."""
    n = len(similarity)
    if n <= 2:
        return list(range(n))
    cost = 1.0 - np.asarray(similarity, dtype=np.float64)
    best: list[int] = []
    best_cost = math.inf
    for start in range(n):
        path, left = [start], set(range(n)) - {start}
        while left:
            last = path[-1]
            path.append(min((cost[last, j], j) for j in left)[1])
            left.discard(path[-1])
        path_cost = _path_cost(path, cost)
        if path_cost < best_cost - 1e-12:
            best, best_cost = path, path_cost
    improved = True
    while improved:
        improved = False
        for i in range(n - 1):
            for j in range(i + 1, n):
                # Reverse best[i..j]: edges (i-1, i) and (j, j+1) change.
                before = (cost[best[i - 1], best[i]] if i > 0 else 0.0) + (
                    cost[best[j], best[j + 1]] if j < n - 1 else 0.0
                )
                after = (cost[best[i - 1], best[j]] if i > 0 else 0.0) + (
                    cost[best[i], best[j + 1]] if j < n - 1 else 0.0
                )
                if after < before - 1e-12:
                    best[i : j + 1] = best[i : j + 1][::-1]
                    improved = True
    return best


def similarity_chain(vectors: np.ndarray, start: int) -> list[int]:
    """Greedy chain: from `start`, always on to the most similar object not yet visited."""
    similarity = vectors @ vectors.T
    chain, left = [start], set(range(len(vectors))) - {start}
    while left:
        last = chain[-1]
        chain.append(-max((similarity[last, j], -j) for j in left)[1])
        left.discard(chain[-1])
    return chain


def order_members(
    vectors: np.ndarray, years: Sequence[float | None], centroid: np.ndarray
) -> tuple[list[int], str]:
    """Local order of a room's objects: by year when more than half are dated (undated last,
    ties by similarity chain), else a similarity chain from the most central object."""
    central = int(np.argmax(vectors @ centroid))
    chain = similarity_chain(vectors, central)
    dated = sum(year is not None for year in years)
    if dated * 2 > len(years):
        rank = {index: position for position, index in enumerate(chain)}
        order = sorted(
            range(len(years)),
            key=lambda i: (years[i] is None, years[i] if years[i] is not None else 0, rank[i]),
        )
        return order, "date"
    return chain, "similarity"


# --- the whole suggestion --------------------------------------------------------------------


def suggest(
    vectors: np.ndarray,
    texts: Sequence[str],
    *,
    n_rooms: int,
    per_room: int,
    seed: int = 0,
    years: Sequence[float | None] | None = None,
    central_n: int = 3,
) -> Suggestion:
    """Cluster `vectors` into at most `n_rooms` themes of at most `per_room` objects, name,
    order and explain them. Same inputs and seed, same suggestion."""
    if len(vectors) != len(texts):
        raise ValueError("one text per vector")
    if n_rooms < 1 or per_room < 1:
        raise ValueError("rooms and objects per room must be positive")
    if len(vectors) == 0:
        return Suggestion([], [], [], [])
    vectors = _normalise(vectors)
    years = list(years) if years is not None else [None] * len(vectors)
    labels, _ = balanced_kmeans(vectors, n_rooms, per_room, seed=seed)
    k = int(labels.max()) + 1
    terms = distinctive_terms(texts, labels, k)
    themes: list[Theme] = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        member_vectors = vectors[members]
        centroid = _normalise(member_vectors.mean(axis=0))
        to_centre = member_vectors @ centroid
        order, ordered_by = order_members(member_vectors, [years[i] for i in members], centroid)
        similarity = member_vectors @ member_vectors.T
        np.fill_diagonal(similarity, -np.inf)
        neighbours = []
        if len(members) > 1:
            for local in order:
                other = int(np.argmax(similarity[local]))
                neighbours.append(
                    (int(members[local]), int(members[other]), float(similarity[local, other]))
                )
        central = sorted(range(len(members)), key=lambda i: (-to_centre[i], i))[:central_n]
        themes.append(
            Theme(
                members=[int(members[i]) for i in order],
                name=theme_name(terms[c]),
                terms=terms[c],
                ordered_by=ordered_by,
                central=[(int(members[i]), float(to_centre[i])) for i in central],
                neighbours=neighbours,
                cohesion=float(to_centre.mean()),
                centroid=centroid,
            )
        )
    centroids = np.stack([theme.centroid for theme in themes])
    room_similarity = centroids @ centroids.T
    path = narrative_path(room_similarity)
    if len(path) > 1:
        # Begin with the earlier end of the path: a story usually starts with the older objects.
        first, last = (_median_year(themes[path[e]].members, years) for e in (0, -1))
        if first is not None and last is not None and last < first:
            path.reverse()
    ordered = [themes[c] for c in path]
    return Suggestion(
        themes=ordered,
        unplaced=[int(i) for i in np.flatnonzero(labels < 0)],
        path_similarities=[float(room_similarity[a, b]) for a, b in itertools.pairwise(path)],
        overall_terms=common_terms(texts),
    )


def _median_year(members: Sequence[int], years: Sequence[float | None]) -> float | None:
    dated = [year for i in members if (year := years[i]) is not None]
    return float(np.median(dated)) if dated else None
