"""Collection search: a semantic + keyword blend with facets, and "more like this". Framework-free.

The index holds, per artifact, a small record for facets and results, a BM25 weight matrix over
its words, and (optionally) its unit-length embedding. A query is scored twice:

* keyword: BM25 (k1=1.2, b=0.75) over title (counted twice), object number, classification,
  the embedded text and the texts attached to the object (its description, its points of
  interest, its wall labels in published exhibitions); words are lower-cased, accent-folded and
  lightly de-pluralised, and a query word also matches its aliases (ALIASES, below);
* semantic: cosine between the query's embedding (same encoder as the collection) and each
  artifact's; only artifacts at least `min_similarity` close, and among the `semantic_k`
  closest, count as semantic matches.

Both scores are min-max normalised over the matches (the best keyword match scores 1, the best
semantic match 1, the weakest semantic match 0) and blended as a convex combination
``alpha * semantic + (1 - alpha) * keyword`` (alpha = 0.5): a convex combination of normalised
scores ranks better than reciprocal-rank fusion in hybrid-retrieval studies (Bruch et al.,
2022) and keeps an exact title word on top. An artifact matched by one side only gets 0 from
the other. Without a query-capable encoder (TF-IDF is refitted per call, so a query cannot be
put into the collection's space) the search is keyword-only; embeddings still serve "similar".
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields

import numpy as np
from scipy import sparse

WORD = re.compile(r"[a-z0-9]+")
MATERIAL_SPLIT = re.compile(r"[,;|/()]|\band\b|\bon\b|\bwith\b|\bover\b|\bin\b")
# Words of a medium that are techniques, colours or fillers rather than materials.
_STOP = (
    "a an the of carved cast painted incised engraved chased gilded gilt partially partly "
    "traces remains opaque transparent translucent black white red blue green yellow brown "
    "polychrome polychromed colored coloured color colour fired glazed enameled enamelled "
    "mounted set inlaid inlay embossed repousse stamped hammered raised applied"
)
MATERIAL_STOP = frozenset(_STOP.split())
BM25_K1, BM25_B = 1.2, 0.75
PAYLOAD_FORMAT = 2  # 2: documents carry their attached texts (`context`)
# Names the museum field uses for the same subject: a query word also finds its aliases (both
# ways). Small on purpose: a synonym list grows wrong answers faster than right ones; the texts
# attached to each object (labels, descriptions) are what make most words findable.
ALIASES: tuple[tuple[str, ...], ...] = (
    ("venus", "aphrodite"),
    ("jupiter", "zeus"),
    ("minerva", "athena"),
    ("mercury", "hermes"),
    ("mars", "ares"),
    ("hercules", "herakles", "heracles"),
    ("bacchus", "dionysus", "dionysos"),
    ("cupid", "eros"),
    ("diana", "artemis"),
    ("juno", "hera"),
    ("neptune", "poseidon"),
    ("vulcan", "hephaestus"),
    ("skull", "cranium"),
    ("statue", "sculpture"),
)


def fold(text: str) -> str:
    """Lower case without accents: 'Pot de crème' -> 'pot de creme'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(word: str) -> str:
    """A very light plural stripper, the same for documents and queries."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    return [stem(word) for word in WORD.findall(fold(text))]


_ALIAS_OF: dict[str, frozenset[str]] = {
    stem(word): frozenset(stem(w) for w in group) for group in ALIASES for word in group
}


def query_tokens(query: str) -> list[str]:
    """A query's words and their aliases (ALIASES), each once, in order."""
    found: list[str] = []
    for word in tokens(query):
        for candidate in (word, *sorted(_ALIAS_OF.get(word, ()))):
            if candidate not in found:
                found.append(candidate)
    return found


def material_tokens(materials: str) -> list[str]:
    """Facet values of a medium: 'carved yellow jasper and gold' -> ['jasper', 'gold']."""
    found: list[str] = []
    for part in MATERIAL_SPLIT.split(fold(materials)):
        words = [w for w in WORD.findall(part) if w not in MATERIAL_STOP and not w.isdigit()]
        if words:
            phrase = " ".join(words[-2:]) if words[-1] in {"paper", "glass"} else words[-1]
            if phrase not in found:
                found.append(phrase)
    return found


def century(year: int | None) -> int | None:
    """Signed century: 1544 -> 16, 1 -> 1, -1 -> -1, -1479 -> -15 (negative = BCE)."""
    if year is None:
        return None
    if year >= 1:
        return (year - 1) // 100 + 1
    if year == 0:  # no year 0 in the calendar; catalogues use it for 1 BCE/CE
        return 1
    return -((-year - 1) // 100 + 1)


@dataclass
class Document:
    """What the index keeps of an artifact (enough to show a result without the database)."""

    id: int
    object_number: str
    title: str
    text: str
    classification: str = ""
    culture: str = ""
    date_text: str = ""
    date_start_year: int | None = None
    materials: str = ""
    published: bool = True
    # Texts attached to the object (description, points of interest, wall labels): searched by
    # keyword, not embedded (embeddings stay those of the record, shared with themes and tags).
    context: str = ""
    century: int | None = field(init=False)
    material_tokens: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.century = century(self.date_start_year)
        self.material_tokens = material_tokens(self.materials)


@dataclass
class Filters:
    classification: str = ""
    culture: str = ""
    century: int | None = None
    material: str = ""


@dataclass
class Hit:
    document: Document
    score: float
    semantic: float
    keyword: float


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str | int, int]]]
    mode: str


class SearchIndex:
    """An immutable in-memory index over documents and their (optional) embeddings."""

    def __init__(
        self,
        documents: Sequence[Document],
        vectors: np.ndarray | None = None,
        encode_query: Callable[[str], np.ndarray] | None = None,
        *,
        min_similarity: float = 0.3,
        semantic_k: int = 100,
        alpha: float = 0.5,
        keyword: tuple[dict[str, int], sparse.csc_matrix] | None = None,
    ) -> None:
        self.documents = list(documents)
        self.positions = {doc.id: i for i, doc in enumerate(self.documents)}
        self.vectors = None if vectors is None else np.ascontiguousarray(vectors, np.float32)
        self.encode_query = encode_query
        self.min_similarity = min_similarity
        self.semantic_k = semantic_k
        self.alpha = alpha
        if keyword is None:
            self._build_keyword_index()
        else:  # precomputed (from_payload): loading skips the tokenising
            self.vocabulary, self._bm25 = keyword
        self._published = np.array([d.published for d in self.documents], dtype=bool)
        self._classification = np.array([fold(d.classification) for d in self.documents])
        self._culture = np.array([fold(d.culture) for d in self.documents])
        self._century = np.array(
            [d.century if d.century is not None else 0 for d in self.documents], dtype=np.int32
        )

    def to_payload(self) -> bytes:
        """The index as bytes (a NumPy .npz, no pickle): documents, BM25 matrix and vectors,
        everything but the query encoder. `from_payload` reads it back without re-tokenising."""
        init = [f.name for f in fields(Document) if f.init]
        meta = {
            "format": PAYLOAD_FORMAT,
            "min_similarity": self.min_similarity,
            "semantic_k": self.semantic_k,
            "alpha": self.alpha,
            "documents": [[asdict(doc)[name] for name in init] for doc in self.documents],
            "fields": init,
            "vocabulary": sorted(self.vocabulary, key=self.vocabulary.__getitem__),
        }
        bm25 = self._bm25.tocsc()
        arrays: dict[str, np.ndarray] = {
            "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
            "bm25_data": bm25.data.astype(np.float32),
            "bm25_indices": bm25.indices,
            "bm25_indptr": bm25.indptr,
            "bm25_shape": np.array(bm25.shape, dtype=np.int64),
        }
        if self.vectors is not None:
            arrays["vectors"] = self.vectors
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]  # stubs: **kwds vs allow_pickle
        return buffer.getvalue()

    @classmethod
    def from_payload(
        cls, data: bytes, encode_query: Callable[[str], np.ndarray] | None = None
    ) -> SearchIndex:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
            if meta.get("format") != PAYLOAD_FORMAT:
                raise ValueError(f"search index payload format {meta.get('format')!r}")
            bm25 = sparse.csc_matrix(
                (arrays["bm25_data"], arrays["bm25_indices"], arrays["bm25_indptr"]),
                shape=(int(arrays["bm25_shape"][0]), int(arrays["bm25_shape"][1])),
            )
            vectors = arrays["vectors"] if "vectors" in arrays.files else None
        names = meta["fields"]
        documents = [Document(**dict(zip(names, row, strict=True))) for row in meta["documents"]]
        vocabulary = {word: i for i, word in enumerate(meta["vocabulary"])}
        return cls(
            documents,
            vectors,
            encode_query,
            min_similarity=meta["min_similarity"],
            semantic_k=meta["semantic_k"],
            alpha=meta["alpha"],
            keyword=(vocabulary, bm25),
        )

    @property
    def mode(self) -> str:
        if self.vectors is not None and self.encode_query is not None:
            return "semantic+keyword"
        return "keyword"

    def _build_keyword_index(self) -> None:
        vocabulary: dict[str, int] = {}
        rows, cols, counts = [], [], []
        lengths = np.zeros(len(self.documents), dtype=np.float32)
        for i, doc in enumerate(self.documents):
            text = (
                f"{doc.title} {doc.title} {doc.object_number} {doc.classification} {doc.text} "
                f"{doc.context}"
            )
            bag = Counter(tokens(text))
            lengths[i] = sum(bag.values())
            for word, count in bag.items():
                rows.append(i)
                cols.append(vocabulary.setdefault(word, len(vocabulary)))
                counts.append(count)
        self.vocabulary = vocabulary
        n = len(self.documents)
        tf = sparse.csc_matrix(
            (np.array(counts, np.float32), (rows, cols)), shape=(n, max(len(vocabulary), 1))
        )
        df = np.diff(tf.indptr).astype(np.float32)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        mean_length = float(lengths.mean()) if n else 1.0  # an empty collection has no mean
        norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(mean_length, 1.0))
        coo = tf.tocoo()
        weights = coo.data * (BM25_K1 + 1) / (coo.data + norm[coo.row]) * idf[coo.col]
        self._bm25 = sparse.csc_matrix((weights, (coo.row, coo.col)), shape=coo.shape)

    def keyword_scores(self, query: str) -> np.ndarray:
        words = query_tokens(query)
        ids = sorted({self.vocabulary[w] for w in words if w in self.vocabulary})
        if not ids:
            return np.zeros(len(self.documents), dtype=np.float32)
        return np.asarray(self._bm25[:, ids].sum(axis=1)).ravel()

    def mask(self, filters: Filters, include_drafts: bool) -> np.ndarray:
        keep = np.ones(len(self.documents), dtype=bool) if include_drafts else self._published
        keep = keep.copy()
        if filters.classification:
            keep &= self._classification == fold(filters.classification.strip())
        if filters.culture:
            keep &= self._culture == fold(filters.culture.strip())
        if filters.century is not None:
            keep &= self._century == filters.century
        if filters.material:
            wanted = fold(filters.material.strip())
            keep &= np.array([wanted in d.material_tokens for d in self.documents], dtype=bool)
        return keep

    def search(
        self,
        query: str,
        filters: Filters | None = None,
        *,
        include_drafts: bool = False,
        offset: int = 0,
        limit: int = 20,
        facet_size: int = 20,
    ) -> SearchResult:
        keep = self.mask(filters or Filters(), include_drafts)
        query = query.strip()
        if not query:  # browsing: everything that passes the filters, by object number
            matched = np.flatnonzero(keep)
            order = sorted(matched.tolist(), key=lambda i: self.documents[i].object_number)
            zeros = np.zeros(len(self.documents), np.float32)
            return self._result(order, keep, zeros, zeros, zeros, offset, limit, facet_size)
        keyword = np.where(keep, self.keyword_scores(query), 0.0)
        semantic = np.zeros(len(self.documents), dtype=np.float32)
        if self.mode == "semantic+keyword":
            assert self.vectors is not None and self.encode_query is not None  # the mode says so
            similarity = self.vectors @ self.encode_query(query).astype(np.float32)
            similarity = np.where(keep, similarity, -1.0)
            top = np.argpartition(-similarity, min(self.semantic_k, len(similarity) - 1))
            top = top[: self.semantic_k]
            top = top[similarity[top] >= self.min_similarity]
            if top.size:
                low, high = float(similarity[top].min()), float(similarity[top].max())
                semantic[top] = (similarity[top] - low) / (high - low) if high > low else 1.0
                semantic[top] = np.maximum(semantic[top], 1e-6)  # a match, even the weakest
        best_keyword = float(keyword.max()) if keyword.size else 0.0
        keyword_norm = keyword / best_keyword if best_keyword > 0 else keyword
        score = self.alpha * semantic + (1 - self.alpha) * keyword_norm
        matched = np.flatnonzero((keyword > 0) | (semantic > 0))
        ranked = matched[np.argsort(-score[matched], kind="stable")]
        return self._result(
            ranked.tolist(), keep, score, semantic, keyword_norm, offset, limit, facet_size
        )

    def _result(
        self,
        order: list[int],
        keep: np.ndarray,
        score: np.ndarray,
        semantic: np.ndarray,
        keyword: np.ndarray,
        offset: int,
        limit: int,
        facet_size: int,
    ) -> SearchResult:
        hits = [
            Hit(self.documents[i], float(score[i]), float(semantic[i]), float(keyword[i]))
            for i in order[offset : offset + limit]
        ]
        docs = [self.documents[i] for i in order]
        return SearchResult(len(order), hits, facet_counts(docs, facet_size), self.mode)

    def example_queries(self, count: int = 2) -> list[str]:
        """Queries worth suggesting to a visitor: types of object and materials the published
        collection holds, commonest first, each from another object, each with results."""
        published = [doc for doc in self.documents if doc.published]
        frequency: Counter[str] = Counter()
        holders: dict[str, set[int]] = {}
        for doc in published:
            for phrase in {fold(doc.classification).strip(), *doc.material_tokens} - {""}:
                frequency[phrase] += 1
                holders.setdefault(phrase, set()).add(doc.id)
        chosen: list[str] = []
        covered: set[int] = set()
        for phrase, _ in sorted(frequency.items(), key=lambda item: (-item[1], item[0])):
            if len(chosen) == count:
                break
            if holders[phrase] <= covered:
                continue  # every object it finds is found by an example already chosen
            if not (self.keyword_scores(phrase)[self._published] > 0).any():
                continue
            chosen.append(phrase)
            covered |= holders[phrase]
        return chosen

    def similar(self, doc_id: int, *, k: int = 8, include_drafts: bool = False) -> list[Hit]:
        """The k nearest artifacts by cosine of their embeddings (never the artifact itself)."""
        if self.vectors is None or doc_id not in self.positions:
            return []
        position = self.positions[doc_id]
        similarity = self.vectors @ self.vectors[position]
        keep = self.mask(Filters(), include_drafts)
        keep[position] = False
        similarity = np.where(keep, similarity, -np.inf)
        count = min(k, int(keep.sum()))
        if count <= 0:
            return []
        top = np.argpartition(-similarity, count - 1)[:count]
        top = top[np.argsort(-similarity[top], kind="stable")]
        return [
            Hit(self.documents[i], float(similarity[i]), float(similarity[i]), 0.0) for i in top
        ]


def facet_counts(
    documents: Iterable[Document], size: int = 20
) -> dict[str, list[tuple[str | int, int]]]:
    """Counts of classification, culture, century and material among `documents`."""
    counters: dict[str, Counter] = {
        "classification": Counter(),
        "culture": Counter(),
        "century": Counter(),
        "material": Counter(),
    }
    for doc in documents:
        if doc.classification:
            counters["classification"][doc.classification] += 1
        if doc.culture:
            counters["culture"][doc.culture] += 1
        if doc.century is not None:
            counters["century"][doc.century] += 1
        counters["material"].update(doc.material_tokens)
    return {
        name: sorted(counter.items(), key=lambda item: (-item[1], str(item[0])))[:size]
        for name, counter in counters.items()
    }
