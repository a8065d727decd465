"""Concepts of the catalogue's free-text classifications and materials.

Every term a record uses gets a concept of the museum: a scheme ("types" for classifications and
object names, "materials") and a slug, which the museum serves as Linked Art at
`/linked-art/concepts/<scheme>/<slug>.json`. Common terms carry their Getty AAT equivalent from a
small mapping kept in the repository (`aat.json`, each id's source noted there); the rest keep
the catalogue's wording and no equivalent, never a guessed id. Framework-free.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AAT = "http://vocab.getty.edu/aat/"
MAPPING = Path(__file__).with_name("aat.json")
# Scheme -> the Linked Art class of its concepts.
SCHEMES = {"types": "Type", "materials": "Material"}

# "ink and tempera on parchment; gilt frame" -> ink, tempera, parchment, gilt frame
_PARTS = re.compile(r"\s*[,;|]\s*|\s+(?:on|and)\s+|\s*&\s*", re.IGNORECASE)
_NOT_WORD = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class Concept:
    scheme: str  # a key of SCHEMES
    slug: str
    label: str
    aat: str = ""  # the AAT concept's URI, when the mapping knows the term
    aat_label: str = ""

    @property
    def linked_art_class(self) -> str:
        return SCHEMES[self.scheme]


def normal(term: str) -> str:
    """The form terms are compared in: NFKC, case-folded, single spaces, no edge punctuation."""
    text = unicodedata.normalize("NFKC", term).casefold()
    return " ".join(text.split()).strip(" .:-–—()[]\"'")


def slug(term: str) -> str:
    """A URL segment for `term` (Unicode letters kept); a digest when nothing word-like is left."""
    text = _NOT_WORD.sub("-", normal(term)).strip("-_")
    if text:
        return text[:80].rstrip("-_")
    return "term-" + hashlib.sha1(term.encode()).hexdigest()[:10]


@functools.cache
def _mapping() -> dict[str, dict[str, Concept]]:
    """scheme -> {normal form of a key or alias -> its Concept} from aat.json."""
    data: dict[str, Any] = json.loads(MAPPING.read_text(encoding="utf-8"))
    index: dict[str, dict[str, Concept]] = {}
    for scheme in SCHEMES:
        terms: dict[str, Concept] = {}
        for key, entry in data[scheme].items():
            concept = Concept(scheme, slug(key), key, AAT + entry["aat"], entry["label"])
            for name in (key, *entry.get("aliases", [])):
                terms[normal(name)] = concept
        index[scheme] = terms
    return index


def mapped(scheme: str) -> list[Concept]:
    """The concepts of `scheme` that have an AAT equivalent, one per key."""
    return list({c.slug: c for c in _mapping()[scheme].values()}.values())


def concept(scheme: str, term: str) -> Concept | None:
    """The museum's concept for a catalogue term (None for an empty one)."""
    if not normal(term):
        return None
    if known := _mapping()[scheme].get(normal(term)):
        return known
    return Concept(scheme, slug(term), " ".join(term.split()))


def material_terms(text: str) -> list[str]:
    """The materials a free-text statement names: "oil on canvas; gilt wood" -> 3 terms (split
    at commas, semicolons, bars, "on", "and", "&")."""
    return [part.strip() for part in _PARTS.split(text) if part and part.strip()]


def concepts(scheme: str, terms: Iterable[str]) -> list[Concept]:
    """The distinct concepts of `terms`, in their order (two wordings of one term count once)."""
    found: dict[str, Concept] = {}
    for term in terms:
        if (item := concept(scheme, term)) is not None:
            found.setdefault(item.slug, item)
    return list(found.values())


def find(scheme: str, wanted: str, terms: Iterable[str]) -> Concept | None:
    """The concept whose slug is `wanted`: a mapped term, else one of `terms` (the wordings that
    records visible to the reader use), else None."""
    if scheme not in SCHEMES:
        return None
    for known in (*mapped(scheme), *OWN):
        if known.slug == wanted:
            return known
    return next((c for c in concepts(scheme, terms) if c.slug == wanted), None)


# The museum's own concepts, used by its records whatever the catalogue says.
VIRTUAL_RESTORATION = Concept(
    "types", "virtual-digital-restoration", "Virtual (digital) restoration"
)
OWN = (VIRTUAL_RESTORATION,)
