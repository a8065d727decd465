"""The interchange schemas outside tools check our exports with, as validators (unit and e2e
tests): the IIIF consortium validator's Presentation 3 schema, run as that validator runs it
(Draft 7, no format checker), and the Linked Art 1.0 API schemas (2020-12), their `core.json`
references resolved to the committed copies (exhibits/curation/schemas/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, Draft202012Validator
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parents[1] / "exhibits" / "curation" / "schemas"


def _load(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


IIIF = Draft7Validator(_load("iiif/iiif_3_0.json"))
_LINKED_ART = {name: _load(f"linked-art/{name}.json") for name in ("core", "object", "concept")}
_REGISTRY = Registry().with_resources(
    (schema["$id"], Resource.from_contents(schema)) for schema in _LINKED_ART.values()
)
LINKED_ART_OBJECT = Draft202012Validator(_LINKED_ART["object"], registry=_REGISTRY)
LINKED_ART_CONCEPT = Draft202012Validator(_LINKED_ART["concept"], registry=_REGISTRY)


def errors(validator: Any, document: dict[str, Any]) -> list[str]:
    """Every schema error of `document`, as "path: message" ([] when it validates)."""
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message[:300]}"
        for error in validator.iter_errors(document)
    ]
