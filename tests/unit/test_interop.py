"""IIIF Presentation 3 manifests and Linked Art JSON-LD: validity, content, visibility, CORS."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import cromulent
import pytest
from cromulent import model
from cromulent.reader import Reader
from django.core.files.base import ContentFile
from django.test import Client
from pyld import jsonld

from exhibits.curation.iiif import rights_uri
from exhibits.curation.linked_art import LINKED_ART_CONTEXT, xsd_year
from exhibits.models import Artifact, Asset, Job
from tests.unit.factories import (
    glb_bytes,
    make_annotation,
    make_artifact,
    make_exhibition,
    make_source,
    make_thumbnail,
)

pytestmark = pytest.mark.django_db

IIIF_TYPE = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'
LINKED_ART_TYPE = 'application/ld+json;profile="https://linked.art/ns/v1/linked-art.json"'
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
BASE = "http://testserver"

FULL_RECORD: dict[str, Any] = {
    "title": "Venus de Milo (plaster cast)",
    "classification": "Sculpture cast",
    "object_name": "cast",
    "culture": "Hellenistic Greek (original)",
    "date_text": "cast after an original of about 150–125 BCE",
    "date_start_year": -150,
    "date_end_year": -125,
    "materials": "plaster; wood",
    "dimensions": "202 × 60 × 50 cm",
    "height_m": 2.02,
    "width_m": 0.6,
    "maker": "After an unknown Hellenistic sculptor",
    "place_of_origin": "Milos",
    "credit_line": "Royal Cast Collection",
    "rights": "CC0 1.0 (3D scan)",
    "attribution": "3D scan: SMK (CC0).",
    "description": "A full-size plaster cast.",
    "keywords": "sculpture | goddess",
}


def _store(artifact: Artifact, kind: str, label: str, origin: Asset, **fields: Any) -> Asset:
    """A derived GLB asset (web LOD, restored model) stored as the pipelines would."""
    asset = Asset(
        artifact=artifact,
        kind=kind,
        label=label,
        derived_from=origin,
        sha256="0" * 64,
        byte_size=3,
        format="glb",
        **fields,
    )
    asset.file.save(f"{kind}-{label}.glb", ContentFile(glb_bytes()), save=True)
    return asset


@pytest.fixture
def venus() -> Artifact:
    """A published artifact with a source, a web LOD, a thumbnail and two hotspots."""
    artifact = make_artifact(**FULL_RECORD)
    source = make_source(artifact)
    make_thumbnail(source)
    _store(artifact, Asset.Kind.LOD, "web", source)
    make_annotation(artifact, title="Arm", text="Lost <before> 1820.", order=1)
    make_annotation(artifact, title="Drapery", order=2)
    return artifact


def _get(client: Client, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return response


# The properties that Presentation 3 requires of each resource type the manifests use.
_REQUIRED = {
    "Manifest": {"id", "label", "items"},
    "Canvas": {"id", "items"},
    "AnnotationPage": {"id"},
    "Annotation": {"id", "motivation", "target"},
    "TextualBody": {"value"},
}
_LANGUAGE_MAPS = {"label", "summary"}


def _check_language_map(value: Any, where: str) -> None:
    assert isinstance(value, dict) and value, f"{where}: not a language map: {value!r}"
    for language, strings in value.items():
        assert isinstance(language, str) and isinstance(strings, list), where
        assert strings and all(isinstance(text, str) for text in strings), where


def _check_resource(resource: Any, where: str) -> None:
    """A structural check of a Presentation 3 resource and everything it embeds."""
    if isinstance(resource, list):
        for index, item in enumerate(resource):
            _check_resource(item, f"{where}[{index}]")
        return
    if not isinstance(resource, dict):
        return
    kind = resource.get("type")
    missing = _REQUIRED.get(kind, set()) - set(resource)
    assert not missing, f"{where}: {kind} lacks {missing}"
    if "id" in resource and kind is not None:
        assert resource["id"].startswith(("http://", "https://")), f"{where}: relative id"
    if kind == "Canvas" and ("width" in resource or "height" in resource):
        assert isinstance(resource["width"], int) and isinstance(resource["height"], int), where
    for key in ("label", "summary"):
        if key in resource and kind is not None:
            _check_language_map(resource[key], f"{where}.{key}")
    for key in ("metadata", "requiredStatement"):
        for pair in resource.get(key, []) if key == "metadata" else [resource.get(key)]:
            if pair is not None:
                assert set(pair) == {"label", "value"}, f"{where}.{key}"
                _check_language_map(pair["label"], f"{where}.{key}.label")
                _check_language_map(pair["value"], f"{where}.{key}.value")
    for reference in resource.get("partOf", []):  # references: an id and a type only
        assert set(reference) >= {"id", "type"}, f"{where}.partOf"
    for key, value in resource.items():
        if key not in _LANGUAGE_MAPS | {"metadata", "requiredStatement", "partOf"}:
            _check_resource(value, f"{where}.{key}")


def _validated(response: Any) -> dict[str, Any]:
    """The manifest after a structural check against the Presentation 3 requirements."""
    assert response["Content-Type"] == IIIF_TYPE
    assert response["Access-Control-Allow-Origin"] == "*"
    manifest = response.json()
    assert manifest["type"] == "Manifest"
    _check_resource(manifest, "manifest")
    return manifest


def _file_url(asset: Asset) -> str:
    return BASE + asset.file.url


def _metadata(resource: dict[str, Any]) -> dict[str, list[str]]:
    return {pair["label"]["en"][0]: pair["value"]["en"] for pair in resource.get("metadata", [])}


def _walk(value: Any) -> Any:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _keys(document: dict[str, Any]) -> set[str]:
    return {key for value in _walk(document) if isinstance(value, dict) for key in value}


def _assert_no_empty_values(document: dict[str, Any]) -> None:
    empty = [value for value in _walk(document) if value in ("", [], {}, None)]
    assert not empty, f"empty values printed: {empty}"


# IIIF ---------------------------------------------------------------------------------------


def test_artifact_manifest_validates_and_paints_the_web_model(client: Client, venus) -> None:
    manifest = _validated(_get(client, f"/iiif/artifacts/{venus.pk}/manifest.json"))
    web, thumbnail = venus.lods()["web"], venus.thumbnail()
    assert manifest["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert manifest["id"] == f"{BASE}/iiif/artifacts/{venus.pk}/manifest.json"
    assert manifest["label"] == {"en": [venus.title]}
    [canvas] = manifest["items"]
    [painting] = canvas["items"][0]["items"]
    assert painting["motivation"] == "painting"
    assert painting["target"] == canvas["id"]
    # The web LOD is preferred over the source it derives from.
    assert painting["body"]["id"] == _file_url(web)
    assert painting["body"]["type"] == "Model"
    assert painting["body"]["format"] == "model/gltf-binary"
    assert manifest["thumbnail"] == [
        {
            "id": _file_url(thumbnail),
            "type": "Image",
            "format": "image/png",
            "width": thumbnail.width_px,
            "height": thumbnail.height_px,
        }
    ]
    placeholder = canvas["placeholderCanvas"]["items"][0]["items"][0]["body"]
    assert placeholder["id"] == _file_url(thumbnail)
    assert manifest["homepage"][0]["id"] == f"{BASE}/artifacts/{venus.pk}/"


def test_artifact_manifest_metadata_rights_and_attribution(client: Client, venus) -> None:
    manifest = _validated(_get(client, f"/iiif/artifacts/{venus.pk}/manifest.json"))
    metadata = _metadata(manifest)
    assert metadata["Object number"] == [venus.object_number]
    assert metadata["Classification"] == ["Sculpture cast"]
    assert metadata["Date"] == [FULL_RECORD["date_text"]]
    assert metadata["Materials"] == ["plaster; wood"]
    assert metadata["Subjects"] == ["sculpture", "goddess"]
    assert metadata["Rights"] == ["CC0 1.0 (3D scan)"]  # the full wording stays readable
    assert "Culture" in metadata and "Dimensions" in metadata
    assert "Dynasty" not in metadata  # empty fields are left out
    assert manifest["rights"] == CC0
    assert manifest["summary"] == {"en": ["A full-size plaster cast."]}
    assert manifest["requiredStatement"] == {
        "label": {"en": ["Attribution"]},
        "value": {"en": ["Royal Cast Collection", "3D scan: SMK (CC0)."]},
    }


def test_hotspots_are_a_commenting_annotation_page(client: Client, venus) -> None:
    manifest = _validated(_get(client, f"/iiif/artifacts/{venus.pk}/manifest.json"))
    canvas = manifest["items"][0]
    [page] = canvas["annotations"]
    arm, drapery = page["items"]
    assert {arm["motivation"], drapery["motivation"]} == {"commenting"}
    assert arm["target"] == canvas["id"]
    assert arm["body"]["format"] == "text/html"
    assert arm["body"]["value"] == "<p><b>Arm</b></p><p>Lost &lt;before&gt; 1820.</p>"
    assert drapery["label"] == {"en": ["Drapery"]}


def test_rights_text_that_is_no_uri_goes_to_metadata_only(client: Client) -> None:
    artifact = make_artifact(rights="All rights reserved")
    manifest = _validated(_get(client, f"/iiif/artifacts/{artifact.pk}/manifest.json"))
    assert "rights" not in manifest
    assert _metadata(manifest)["Rights"] == ["All rights reserved"]


@pytest.mark.parametrize(
    ("text", "uri"),
    [
        ("CC0 1.0 (3D scan)", CC0),
        ("cc0", CC0),
        ("CC BY-SA 4.0", "http://creativecommons.org/licenses/by-sa/4.0/"),
        ("CC-BY-NC-ND 3.0", "http://creativecommons.org/licenses/by-nc-nd/3.0/"),
        (
            "https://creativecommons.org/licenses/by/4.0/deed.en",
            "http://creativecommons.org/licenses/by/4.0/",
        ),
        (
            "http://rightsstatements.org/page/InC/1.0/?language=en",
            "http://rightsstatements.org/vocab/InC/1.0/",
        ),
        ("Public Domain Mark", "http://creativecommons.org/publicdomain/mark/1.0/"),
        ("CC BY", None),  # no version: not guessed
        ("All rights reserved", None),
        ("", None),
    ],
)
def test_rights_uri(text: str, uri: str | None) -> None:
    assert rights_uri(text) == uri


def test_minimal_artifact_manifest_omits_missing_fields(client: Client) -> None:
    artifact = make_artifact()
    manifest = _validated(_get(client, f"/iiif/artifacts/{artifact.pk}/manifest.json"))
    for key in ("summary", "requiredStatement", "rights", "thumbnail"):
        assert key not in manifest
    assert _metadata(manifest) == {"Object number": [artifact.object_number]}
    canvas = manifest["items"][0]
    assert canvas["items"][0]["items"] == []  # nothing to paint yet, still a valid Canvas
    assert "annotations" not in canvas and "placeholderCanvas" not in canvas


def test_exhibition_manifest_has_the_visible_artifacts_in_order(
    client: Client, curator, venus
) -> None:
    first = make_artifact(title="Cup")
    draft = make_artifact(title="Unpublished", published=False)
    exhibition = make_exhibition(first, draft, venus, introduction="Casts and cups.")
    exhibition.items.filter(artifact=venus).update(label_text="Found on Milos in 1820.")
    url = f"/iiif/exhibitions/{exhibition.slug}/manifest.json"

    manifest = _validated(_get(client, url))
    assert [c["label"]["en"][0] for c in manifest["items"]] == ["Cup", venus.title]
    assert manifest["summary"] == {"en": ["Casts and cups."]}
    assert manifest["homepage"][0]["id"] == f"{BASE}/exhibitions/{exhibition.slug}/"
    canvas = manifest["items"][1]
    assert canvas["id"] == f"{BASE}/iiif/artifacts/{venus.pk}/canvas/model"
    assert canvas["partOf"] == [
        {"id": f"{BASE}/iiif/artifacts/{venus.pk}/manifest.json", "type": "Manifest"}
    ]
    assert canvas["summary"] == {"en": ["Found on Milos in 1820."]}
    assert canvas["rights"] == CC0
    assert _metadata(canvas)["Object number"] == [venus.object_number]
    assert canvas["items"][0]["items"][0]["body"]["format"] == "model/gltf-binary"
    assert manifest["thumbnail"] == canvas["thumbnail"]

    client.force_login(curator)
    titles = [c["label"]["en"][0] for c in _validated(_get(client, url))["items"]]
    assert titles == ["Cup", "Unpublished", venus.title]


# Visibility ---------------------------------------------------------------------------------


def test_drafts_are_404_for_anonymous_and_visible_to_curators(client: Client, curator) -> None:
    artifact = make_artifact(published=False)
    exhibition = make_exhibition(artifact, published=False)
    urls = [
        f"/iiif/artifacts/{artifact.pk}/manifest.json",
        f"/linked-art/objects/{artifact.pk}.json",
        f"/iiif/exhibitions/{exhibition.slug}/manifest.json",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    client.force_login(curator)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Access-Control-Allow-Origin"] == "*"


def test_unknown_records_are_404_and_writes_are_refused(client: Client, venus) -> None:
    assert client.get("/iiif/artifacts/999999/manifest.json").status_code == 404
    assert client.get("/iiif/exhibitions/nope/manifest.json").status_code == 404
    assert client.get("/linked-art/objects/999999.json").status_code == 404
    assert client.post(f"/iiif/artifacts/{venus.pk}/manifest.json").status_code == 405
    assert client.head(f"/iiif/artifacts/{venus.pk}/manifest.json").status_code == 200


# Linked Art ---------------------------------------------------------------------------------


def _linked_art(client: Client, artifact: Artifact) -> dict[str, Any]:
    response = _get(client, f"/linked-art/objects/{artifact.pk}.json")
    assert response["Content-Type"] == LINKED_ART_TYPE
    assert response["Access-Control-Allow-Origin"] == "*"
    return response.json()


def _local_context_loader(url: str, options: Any = None) -> dict[str, Any]:
    """pyld document loader that serves cromulent's copy of the Linked Art context offline."""
    assert url == LINKED_ART_CONTEXT, url
    path = Path(cromulent.__file__).parent / "data" / "linked-art.json"
    document = json.loads(path.read_text())
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": document}  # fmt: skip


def _classified(node: dict[str, Any], aat: str) -> bool:
    return any(t.get("id") == f"http://vocab.getty.edu/aat/{aat}" for t in node["classified_as"])


def test_linked_art_object(client: Client, venus) -> None:
    data = _linked_art(client, venus)
    assert data["@context"] == LINKED_ART_CONTEXT
    assert data["type"] == "HumanMadeObject"
    assert data["id"] == f"{BASE}/linked-art/objects/{venus.pk}.json"
    accession = [i for i in data["identified_by"] if i["type"] == "Identifier"]
    assert [i["content"] for i in accession] == [venus.object_number]
    assert _classified(accession[0], "300312355")
    name = next(n for n in data["identified_by"] if n["type"] == "Name")
    assert name["content"] == venus.title and _classified(name, "300404670")
    # Types and materials are concepts the museum serves (AAT equivalents there, for common
    # terms: tests/unit/test_interop_schemas.py), never label-only or guessed ids.
    concepts = f"{BASE}/linked-art/concepts"
    types = {t["_label"]: t["id"] for t in data["classified_as"]}
    assert types == {
        "Sculpture cast": f"{concepts}/types/sculpture-cast.json",
        "cast": f"{concepts}/types/cast.json",
    }
    assert [(m["_label"], m["id"]) for m in data["made_of"]] == [
        ("plaster", f"{concepts}/materials/plaster.json"),
        ("wood", f"{concepts}/materials/wood.json"),
    ]
    production = data["produced_by"]
    assert production["timespan"]["begin_of_the_begin"] == "-0149-01-01T00:00:00Z"
    assert production["timespan"]["end_of_the_end"] == "-0124-12-31T23:59:59Z"
    # No Person or Place records to point at: who and where are production statements.
    statements = {s["_label"]: s["content"] for s in production["referred_to_by"]}
    assert statements == {"Maker": FULL_RECORD["maker"], "Place of origin": "Milos"}
    heights = [d for d in data["dimension"] if _classified(d, "300055644")]
    assert heights[0]["value"] == 2.02 and heights[0]["unit"]["_label"] == "meters"
    assert len(data["dimension"]) == 2  # no depth recorded
    statements = {s["classified_as"][0]["_label"]: s["content"] for s in data["referred_to_by"]}
    assert statements["Dimension Statement"] == FULL_RECORD["dimensions"]
    assert statements["Credit Statement"] == FULL_RECORD["credit_line"]
    assert statements["Description"] == FULL_RECORD["description"]
    carriers = [c for s in data["subject_of"] for c in s["digitally_carried_by"]]
    manifest = next(c for c in carriers if c["format"] == IIIF_TYPE)
    assert manifest["access_point"][0]["id"] == f"{BASE}/iiif/artifacts/{venus.pk}/manifest.json"
    shown = [d for r in data["representation"] for d in r["digitally_shown_by"]]
    assert {d["access_point"][0]["id"] for d in shown} == {
        _file_url(venus.thumbnail()),
        _file_url(venus.lods()["web"]),
    }
    assert len(data["representation"]) == 2  # no restoration accepted


def _restorations(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The representations classified as virtual restorations."""
    return [
        r
        for r in data.get("representation", [])
        if r.get("classified_as", [{}])[0].get("_label") == "Virtual (digital) restoration"
    ]


def _reviewed(artifact: Artifact, asset: Asset, review: str | None, user: Any) -> Asset:
    """`asset` as the model of a finished restoration, accepted, rejected or left pending
    through the review services (which decide whether visitors may see its files)."""
    from restoration.models import RestorationJob
    from restoration.restore import services as restore

    job = RestorationJob.objects.create(
        artifact=artifact,
        kind=RestorationJob.Kind.SURFACE,
        status=RestorationJob.Status.DONE,
        restored_model=asset,
        report={"assets": {"model": asset.pk, "textures": [], "masks": []}},
    )
    if review == "accepted":
        restore.accept_restoration(job=job, user=user)
    elif review == "rejected":
        restore.reject_restoration(job=job, user=user)
    asset.refresh_from_db()
    return asset


def test_linked_art_records_only_accepted_virtual_restorations(
    client: Client, venus, make_user
) -> None:
    """Linked Art (public, CORS *) lists the accepted restoration only: a pending or rejected
    one is no Modification of the object, for visitors and curators alike (issue #16)."""
    curator = make_user("curator")
    source = venus.assets.get(kind=Asset.Kind.SOURCE)
    start = dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.UTC)
    job = Job.objects.create(
        kind="restoration",
        artifact=venus,
        status=Job.Status.DONE,
        started_at=start,
        finished_at=start + dt.timedelta(minutes=7),
    )
    timed = _store(venus, Asset.Kind.RESTORED, "inpainting", source, created_by_job=job)
    accepted = _reviewed(venus, timed, "accepted", curator)
    rejected = _reviewed(
        venus, _store(venus, Asset.Kind.RESTORED, "telea", source), "rejected", curator
    )
    pending = _reviewed(
        venus, _store(venus, Asset.Kind.RESTORED, "symmetry", source), None, curator
    )
    assert (accepted.public, rejected.public, pending.public) == (True, False, False)

    for reader in (client, _logged_in(curator)):
        data = _linked_art(reader, venus)
        assert "modified_by" not in data  # the object itself was not modified
        [first] = _restorations(data)
        assert first["type"] == "VisualItem"
        assert first["_label"] == "Virtual (digital) restoration: inpainting"
        concept = f"{BASE}/linked-art/concepts/types/virtual-digital-restoration.json"
        assert first["classified_as"][0]["id"] == concept
        [note] = first["referred_to_by"]
        assert "the physical object was not modified" in note["content"]
        assert "from 2025-03-01T10:00:00Z to 2025-03-01T10:07:00Z" in note["content"]
        [digital] = first["digitally_shown_by"]
        assert digital["type"] == "DigitalObject"
        assert digital["access_point"][0]["id"] == _file_url(timed)
        assert digital["format"] == "model/gltf-binary"
        text = json.dumps(data)
        assert rejected.file.name not in text and pending.file.name not in text
    served = _get(client, concept.removeprefix(BASE)).json()
    assert served["_label"] == "Virtual (digital) restoration"


def _logged_in(user: Any) -> Client:
    reader = Client()
    reader.force_login(user)
    return reader


def test_linked_art_parses_back(client: Client, venus, make_user) -> None:
    source = venus.assets.get(kind=Asset.Kind.SOURCE)
    restored = _store(venus, Asset.Kind.RESTORED, "inpainting", source)
    _reviewed(venus, restored, "accepted", make_user("curator"))
    data = _linked_art(client, venus)

    # cromulent reads its own output back into model objects, validating against the profile.
    obj = Reader().read(json.dumps(data))
    assert type(obj).__name__ == "HumanMadeObject"
    identifiers = [i for i in obj.identified_by if isinstance(i, model.Identifier)]
    assert [i.content for i in identifiers] == [venus.object_number]
    restorations = [r for r in obj.representation if r._label.startswith("Virtual (digital)")]
    assert len(restorations) == 1

    # pyld expands it with the Linked Art context into CIDOC-CRM RDF.
    crm = "http://www.cidoc-crm.org/cidoc-crm/"
    expanded = jsonld.expand(data, {"documentLoader": _local_context_loader})
    [node] = expanded
    assert node["@type"] == [f"{crm}E22_Human-Made_Object"]
    representations = node[f"{crm}P138i_has_representation"]
    assert {r["@type"][0] for r in representations} == {f"{crm}E36_Visual_Item"}
    assert len(representations) == 3  # thumbnail, 3D model, accepted restoration
    quads = jsonld.to_rdf(
        data, {"documentLoader": _local_context_loader, "format": "application/n-quads"}
    )
    assert f'<{crm}P190_has_symbolic_content> "{venus.object_number}"' in quads
    # No term is unknown to the context: compacting the expansion keeps every key.
    back = jsonld.compact(expanded, LINKED_ART_CONTEXT, {"documentLoader": _local_context_loader})
    assert _keys(back) == _keys(data)


def test_linked_art_of_a_minimal_artifact_omits_missing_fields(client: Client) -> None:
    artifact = make_artifact()
    data = _linked_art(client, artifact)
    for key in (
        "classified_as",
        "made_of",
        "dimension",
        "referred_to_by",
        "produced_by",
        "modified_by",
        "representation",
    ):
        assert key not in data, key
    _assert_no_empty_values(data)
    assert [i["content"] for i in data["identified_by"]] == [artifact.title, artifact.object_number]


def test_minimal_manifest_prints_no_empty_values(client: Client) -> None:
    artifact = make_artifact()
    manifest = _get(client, f"/iiif/artifacts/{artifact.pk}/manifest.json").json()
    painting_page = manifest["items"][0]["items"][0]
    assert painting_page.pop("items") == []  # the one required, legitimately empty list
    _assert_no_empty_values(manifest)


def test_xsd_year_has_no_year_zero() -> None:
    assert xsd_year(-150, end=False) == "-0149-01-01T00:00:00Z"
    assert xsd_year(-1, end=True) == "0000-12-31T23:59:59Z"
    assert xsd_year(1901, end=False) == "1901-01-01T00:00:00Z"


def test_manifest_builds_with_few_queries(
    client: Client, venus, django_assert_max_num_queries
) -> None:
    exhibition = make_exhibition(venus, make_artifact(), make_artifact())
    with django_assert_max_num_queries(6):
        _get(client, f"/iiif/exhibitions/{exhibition.slug}/manifest.json")
