"""The interchange schemas outside tools check our exports with, as validators (unit and e2e
tests): the IIIF consortium validator's Presentation 3 schema, run as that validator runs it
(Draft 7, no format checker), the Linked Art 1.0 API schemas (2020-12), their `core.json`
references resolved to the committed copies, and the W3C Web Annotation test suite's schemas
(draft-04) (exhibits/curation/schemas/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, Draft7Validator, Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

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


# The W3C Web Annotation test suite's schemas (draft-04; their `id`s are bare file names, so
# each `$ref` such as "bodyTarget.json#/definitions/..." resolves to the committed copy).
_W3C = SCHEMAS / "web-annotation"
_W3C_DEFINITIONS = [
    json.loads(path.read_text(encoding="utf-8"))
    for path in sorted((_W3C / "definitions").glob("*.json"))
]
_W3C_REGISTRY = Registry().with_resources(
    (schema["id"], Resource.from_contents(schema, default_specification=DRAFT4))
    for schema in _W3C_DEFINITIONS
)
# The "must" assertions an Annotation is held to (the suite's annotationMusts.test and the body
# check), each a schema of its own.
W3C_ANNOTATION_MUSTS = {
    path.stem: Draft4Validator(json.loads(path.read_text(encoding="utf-8")), registry=_W3C_REGISTRY)
    for path in sorted((_W3C / "annotations").glob("*.json"))
}
W3C_PAGE = Draft4Validator(
    {
        "type": "object",
        "required": ["@context", "id"],
        "properties": {
            "@context": {"$ref": "collections.json#/definitions/contextValueFound"},
            "id": {"$ref": "id.json#/definitions/stringUri"},
        },
        "allOf": [
            {"$ref": "collections.json#/definitions/annotationPageTypeValueFound"},
            {"$ref": "collections.json#/definitions/itemsFound"},
            {"$ref": "collections.json#/definitions/labelDefinition"},
        ],
    },
    registry=_W3C_REGISTRY,
)


def _one_body_each(annotation: dict[str, Any]) -> list[dict[str, Any]]:
    """The annotation once per body. The suite's body check is "one body, or an array of
    bodies each one": given an array, its one-body branch sends the array through
    specificResource.json's styleClassDetected, which refers back to specificeResourceDetected
    and never ends under a validator that tries every `oneOf` branch (jsonschema does). Each
    body checked alone is the array branch's own test, item by item."""
    bodies = annotation.get("body")
    if not isinstance(bodies, list):
        return [annotation]
    return [{**annotation, "body": body} for body in bodies]


def w3c_page_errors(page: dict[str, Any]) -> list[str]:
    """Every W3C model error of an AnnotationPage and of each of its Annotations (checked as
    the suite checks one annotation: standalone, so with the page's @context)."""
    found = [f"page: {message}" for message in errors(W3C_PAGE, page)]
    for index, item in enumerate(page.get("items", [])):
        standalone = {"@context": page.get("@context"), **item}
        for name, validator in W3C_ANNOTATION_MUSTS.items():
            for each in _one_body_each(standalone):
                found += [f"items/{index} {name}: {m}" for m in errors(validator, each)]
    return found
