"""Every manifest and Linked Art record the museum serves, checked against the schemas outside
tools use: the IIIF consortium validator's Presentation 3 schema and the Linked Art 1.0 API
schemas (committed under exhibits/curation/schemas/, never fetched); plus the flat works'
manifests (a Canvas per image, the image service, regions) and the concept URIs with their
Getty AAT equivalents."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from jsonschema import Draft202012Validator
from PIL import Image

from exhibits.curation import concepts
from exhibits.models import Artifact, Asset, Canvas, Exhibition, ImageService
from tests.interop_schemas import IIIF, LINKED_ART_CONCEPT, LINKED_ART_OBJECT
from tests.interop_schemas import errors as _errors
from tests.unit.factories import (
    make_annotation,
    make_artifact,
    make_exhibition,
    make_source,
    make_thumbnail,
)

pytestmark = pytest.mark.django_db

BASE = "http://testserver"
AAT = "http://vocab.getty.edu/aat/"


def _jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (150, 90, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def _image_asset(artifact: Artifact, kind: str, label: str, size: tuple[int, int], **fields: Any):
    asset = Asset(
        artifact=artifact,
        kind=kind,
        label=label,
        sha256="0" * 64,
        byte_size=1,
        format="jpeg",
        width_px=size[0],
        height_px=size[1],
        **fields,
    )
    asset.file.save(f"{kind}-{label}.jpg", ContentFile(_jpeg(*size)), save=True)
    return asset


def _canvas(artifact: Artifact, order: int, label: str, size: tuple[int, int]) -> Canvas:
    """A canvas as the image intake publishes it: source, web copy, thumbnail, image service."""
    source = _image_asset(artifact, Asset.Kind.SOURCE, f"source-{order}", size)
    web_size = (size[0] // 4, size[1] // 4)
    _image_asset(artifact, Asset.Kind.IMAGE, "web", web_size, derived_from=source)
    _image_asset(artifact, Asset.Kind.THUMBNAIL, "", (64, 48), derived_from=source)
    ImageService.objects.create(
        asset=source,
        width=size[0],
        height=size[1],
        tile_size=512,
        scale_factors=[1, 2, 4, 8],
        sizes=[[size[0] // 8, size[1] // 8]],
        root="iiif/x/",
    )
    return Canvas.objects.create(
        artifact=artifact,
        order=order,
        label=label,
        source=source,
        width_px=size[0],
        height_px=size[1],
    )


@pytest.fixture
def folio() -> Artifact:
    """A published flat work with two images (verso ordered after recto, created first) and
    two regions on the recto."""
    artifact = make_artifact(
        title="Book of hours, folio 12",
        form=Artifact.Form.FLAT,
        classification="Manuscripts",
        object_name="folio",
        materials="ink, gold leaf and tempera on parchment",
        maker="Workshop of the Boucicaut Master",
        place_of_origin="Paris",
        rights="Public Domain Mark 1.0",
    )
    _canvas(artifact, 2, "verso", (1600, 2400))
    recto = _canvas(artifact, 1, "recto", (1620, 2410))
    for title, xywh in (("Initial", [100, 120, 300, 280.4]), ("Border", [0, 0, 1620, 200])):
        make_annotation(
            artifact,
            title=title,
            position=[],
            normal=[],
            camera_position=[],
            camera_target=[],
            region={"canvas": recto.pk, "xywh": xywh},
        )
    return artifact


@pytest.fixture
def sculpture() -> Artifact:
    """A published 3D artifact with its thumbnail and a hotspot."""
    artifact = make_artifact(
        title="Bust", classification="Sculpture", materials="marble; bronze", maker="Unknown"
    )
    make_thumbnail(make_source(artifact))
    make_annotation(artifact, title="Nose")
    return artifact


def _get(client: Client, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return response


def _served_manifests(client: Client) -> dict[str, dict[str, Any]]:
    urls = [
        f"/iiif/artifacts/{pk}/manifest.json"
        for pk in Artifact.objects.values_list("pk", flat=True)
    ]
    urls += [
        f"/iiif/exhibitions/{slug}/manifest.json"
        for slug in Exhibition.objects.values_list("slug", flat=True)
    ]
    found = {}
    for url in urls:
        response = client.get(url)
        if response.status_code == 200:
            found[url] = response.json()
    return found


# IIIF ---------------------------------------------------------------------------------------


def test_every_served_manifest_validates_against_the_iiif_schema(
    client: Client, curator, folio, sculpture
) -> None:
    make_artifact(title="No files yet")
    make_artifact(title="Draft flat", published=False, form=Artifact.Form.FLAT)
    make_exhibition(folio, sculpture, introduction="Pages and busts.")
    make_exhibition(folio, published=False)
    IIIF.check_schema(IIIF.schema)

    public = _served_manifests(client)
    assert len(public) == 4  # three published artifacts, one published exhibition
    client.force_login(curator)
    every = _served_manifests(client)
    assert len(every) == 6
    for url, manifest in every.items():
        assert _errors(IIIF, manifest) == [], url


def test_the_schema_check_can_fail(client: Client, folio) -> None:
    manifest = _get(client, f"/iiif/artifacts/{folio.pk}/manifest.json").json()
    broken = copy.deepcopy(manifest)
    del broken["items"][0]["height"]  # a Canvas with a width needs its height
    broken["label"] = "A label that is no language map"
    assert len(_errors(IIIF, broken)) >= 1
    assert _errors(IIIF, manifest) == []


def test_flat_work_manifest_has_a_canvas_per_image_with_its_image_service(
    client: Client, folio
) -> None:
    manifest = _get(client, f"/iiif/artifacts/{folio.pk}/manifest.json").json()
    recto, verso = manifest["items"]
    assert [recto["label"], verso["label"]] == [{"en": ["recto"]}, {"en": ["verso"]}]
    assert (recto["width"], recto["height"], verso["width"], verso["height"]) == (
        1620,
        2410,
        1600,
        2400,
    )
    canvases = {c.label: c for c in folio.canvases.all()}
    for resource, canvas in ((recto, canvases["recto"]), (verso, canvases["verso"])):
        assert resource["id"] == f"{BASE}/iiif/artifacts/{folio.pk}/canvas/{canvas.pk}"
        [painting] = resource["items"][0]["items"]
        assert painting["motivation"] == "painting" and painting["target"] == resource["id"]
        body = painting["body"]
        web = Asset.objects.get(kind=Asset.Kind.IMAGE, derived_from=canvas.source)
        assert body["id"] == BASE + web.file.url
        assert (body["type"], body["format"]) == ("Image", "image/jpeg")
        assert (body["width"], body["height"]) == (web.width_px, web.height_px)
        service = canvas.source.image_service
        assert body["service"] == [
            {
                "id": f"{BASE}/iiif/3/{service.identifier}",
                "type": "ImageService3",
                "profile": "level0",
            }
        ]
        [thumbnail] = resource["thumbnail"]
        assert thumbnail["id"].startswith(f"{BASE}/iiif/3/{service.identifier}/full/")
    assert manifest["thumbnail"][0]["type"] == "Image"
    assert manifest["rights"] == "http://creativecommons.org/publicdomain/mark/1.0/"


def test_regions_are_commenting_annotations_with_a_media_fragment(client: Client, folio) -> None:
    manifest = _get(client, f"/iiif/artifacts/{folio.pk}/manifest.json").json()
    recto, verso = manifest["items"]
    assert "annotations" not in verso
    [page] = recto["annotations"]
    initial, border = page["items"]
    assert initial["motivation"] == "commenting"
    assert initial["target"] == f"{recto['id']}#xywh=100,120,300,280"
    assert border["target"] == f"{recto['id']}#xywh=0,0,1620,200"
    assert initial["body"]["value"] == "<p><b>Initial</b></p>"
    assert initial["label"] == {"en": ["Initial"]}


def test_exhibition_manifest_shows_a_flat_works_first_image(client: Client, folio) -> None:
    exhibition = make_exhibition(folio)
    manifest = _get(client, f"/iiif/exhibitions/{exhibition.slug}/manifest.json").json()
    [canvas] = manifest["items"]
    assert canvas["label"] == {"en": ["recto"]}
    assert canvas["partOf"][0]["id"] == f"{BASE}/iiif/artifacts/{folio.pk}/manifest.json"
    assert canvas["items"][0]["items"][0]["body"]["service"][0]["type"] == "ImageService3"


def test_flat_manifest_reads_prefetched_rows(
    client: Client, folio, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(6):
        _get(client, f"/iiif/artifacts/{folio.pk}/manifest.json")


# Linked Art ---------------------------------------------------------------------------------


def test_every_linked_art_record_validates_against_the_linked_art_schema(
    client: Client, curator, folio, sculpture
) -> None:
    make_artifact(title="Bare record")
    make_artifact(title="Draft", published=False, materials="oil on canvas")
    Draft202012Validator.check_schema(LINKED_ART_OBJECT.schema)
    client.force_login(curator)
    for pk in Artifact.objects.values_list("pk", flat=True):
        record = _get(client, f"/linked-art/objects/{pk}.json").json()
        assert _errors(LINKED_ART_OBJECT, record) == [], pk


def test_the_linked_art_check_catches_label_only_concepts(client: Client, sculpture) -> None:
    record = _get(client, f"/linked-art/objects/{sculpture.pk}.json").json()
    assert _errors(LINKED_ART_OBJECT, record) == []
    broken = copy.deepcopy(record)
    del broken["made_of"][0]["id"]  # what every record looked like before concept URIs
    assert any("'id' is a required property" in e for e in _errors(LINKED_ART_OBJECT, broken))


def test_flat_work_record_lists_its_images_and_their_iiif_service(client: Client, folio) -> None:
    record = _get(client, f"/linked-art/objects/{folio.pk}.json").json()
    shown = [d for r in record["representation"] for d in r["digitally_shown_by"]]
    services = [d for d in shown if d.get("conforms_to")]
    assert len(services) == 2
    assert services[0]["conforms_to"][0]["id"] == "http://iiif.io/api/image"
    assert services[0]["access_point"][0]["id"].endswith("/info.json")
    statements = [s for s in record["produced_by"]["referred_to_by"]]
    assert {s["_label"]: s["content"] for s in statements} == {
        "Maker": "Workshop of the Boucicaut Master",
        "Place of origin": "Paris",
    }


def test_classifications_and_materials_are_concepts_the_museum_serves(
    client: Client, folio, sculpture
) -> None:
    record = _get(client, f"/linked-art/objects/{folio.pk}.json").json()
    types = {t["_label"]: t["id"] for t in record["classified_as"]}
    materials = {m["_label"]: m["id"] for m in record["made_of"]}
    assert types == {
        "manuscript": f"{BASE}/linked-art/concepts/types/manuscript.json",
        "folio": f"{BASE}/linked-art/concepts/types/folio.json",
    }
    assert set(materials) == {"ink", "gold leaf", "tempera", "parchment"}
    expected_aat = {
        "manuscript": "300265483",
        "ink": "300015012",
        "gold leaf": "300264831",
        "tempera": "300015062",
    }
    for label, url in (types | materials).items():
        concept = _get(client, url.removeprefix(BASE)).json()
        assert _errors(LINKED_ART_CONCEPT, concept) == [], url
        assert concept["id"] == url
        assert concept["_label"] == label
        if label in expected_aat:
            [equivalent] = concept["equivalent"]
            assert equivalent["id"] == AAT + expected_aat[label]
            assert equivalent["type"] == "Type"
        else:
            assert "equivalent" not in concept  # no guessed AAT id
    assert _get(client, materials["ink"].removeprefix(BASE)).json()["type"] == "Material"
    bust = _get(client, f"/linked-art/objects/{sculpture.pk}.json").json()
    assert [m["id"].rsplit("/", 1)[1] for m in bust["made_of"]] == ["marble.json", "bronze.json"]


def test_concepts_of_drafts_stay_hidden_and_unknown_ones_are_404(client: Client, curator) -> None:
    make_artifact(title="Secret", published=False, classification="Unreleased technique")
    url = "/linked-art/concepts/types/unreleased-technique.json"
    assert client.get(url).status_code == 404
    assert client.get("/linked-art/concepts/types/nothing-like-it.json").status_code == 404
    assert client.get("/linked-art/concepts/people/painting.json").status_code == 404
    assert client.post("/linked-art/concepts/types/painting.json").status_code == 405
    # Mapped terms are vocabulary, served whatever the collection holds, with CORS.
    response = _get(client, "/linked-art/concepts/types/painting.json")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json()["equivalent"][0]["id"] == AAT + "300033618"
    client.force_login(curator)
    assert _get(client, url).json()["_label"] == "Unreleased technique"


def test_aat_mapping_is_well_formed() -> None:
    data = json.loads(concepts.MAPPING.read_text(encoding="utf-8"))
    for scheme in concepts.SCHEMES:
        for key, entry in data[scheme].items():
            assert entry["aat"].isdigit() and entry["aat"].startswith("300"), key
            assert entry["label"], key
        assert len({e["aat"] for e in data[scheme].values()}) == len(data[scheme]), scheme
    unverified = {concepts.normal(term) for term in data["unverified"]}
    assert not unverified & {concepts.normal(k) for k in data["materials"] | data["types"]}
    oil, parchment = concepts.concepts("materials", ["Oil", "parchment"])
    assert (oil.aat, parchment.aat) == (AAT + "300015050", "")
    assert concepts.material_terms("oil on canvas; gilt wood") == ["oil", "canvas", "gilt wood"]
