"""The W3C Web Annotation export of an artifact's annotations (#23), checked against the W3C
web-annotation test suite's schemas (committed under exhibits/curation/schemas/web-annotation),
and the IIIF manifests of flat works carrying drawn regions on their canvases."""

from __future__ import annotations

import copy
from urllib.parse import urlparse

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from exhibits.annotating.web_annotation import ANNO_CONTEXT, MODEL_FRAGMENT
from exhibits.models import Annotation, AnnotationClass, Artifact, Asset, Canvas
from tests.interop_schemas import IIIF, errors, w3c_page_errors
from tests.unit.factories import make_annotation, make_artifact, png_bytes

pytestmark = pytest.mark.django_db

SQUARE = [[0.0, 0.1, 0.0], [0.1, 0.1, 0.0], [0.1, 0.2, 0.0], [0.0, 0.2, 0.0]]
EMPTY_POINT = {"position": [], "normal": [], "camera_position": [], "camera_target": []}


def _export(client: Client, artifact: Artifact) -> dict:
    response = client.get(f"/api/artifacts/{artifact.pk}/annotations.jsonld")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/ld+json")
    assert ANNO_CONTEXT in response["Content-Type"]
    return response.json()


def _uris(page: dict) -> list[str]:
    """Every id and source string of the page (the suite's `format: uri`, which jsonschema
    checks only with an optional package)."""
    found = [page["id"]]
    for item in page["items"]:
        found.append(item["id"])
        found += [b["id"] for b in item["body"] if "id" in b]
        source = item["target"]["source"]
        found.append(source if isinstance(source, str) else source["id"])
    return found


def test_a_3d_objects_points_and_regions_export_as_valid_web_annotations() -> None:
    artifact = make_artifact(width_m=0.4, height_m=1.0, depth_m=0.3)
    make_annotation(artifact, title="Chip", text="On the rim.")
    crack = AnnotationClass.objects.get(name="Crack")
    crack.concept_uri = "http://vocab.getty.edu/aat/300121937"
    crack.save()
    drawn = Annotation(
        artifact=artifact, title="Crack network", annotation_class=crack, media_alt="Detail.",
        shape={"type": "polygon", "points": SQUARE, "normals": [[0, 0, 1]] * 4},
    )  # fmt: skip
    drawn.media = SimpleUploadedFile("detail.png", png_bytes())
    drawn.full_clean()
    drawn.save()
    page = _export(Client(), artifact)
    assert w3c_page_errors(page) == []
    assert all(urlparse(uri).scheme in ("http", "urn") for uri in _uris(page))
    assert page["type"] == "AnnotationPage" and len(page["items"]) == 2
    point, region = page["items"]
    assert point["target"]["selector"] == {
        "type": "FragmentSelector", "conformsTo": MODEL_FRAGMENT,
        "value": "point=0,1,0;normal=0,1,0",
    }  # fmt: skip
    selector = region["target"]["selector"]
    assert selector["value"].startswith("polygon=0,0.1,0 0.1,0.1,0 0.1,0.2,0 0,0.2,0;normals=")
    purposes = {body.get("purpose"): body for body in region["body"]}
    assert purposes["tagging"]["value"] == "Crack"
    assert purposes["classifying"]["source"] == "http://vocab.getty.edu/aat/300121937"
    medium = next(body for body in region["body"] if body.get("type") == "Image")
    assert medium["format"] == "image/png" and medium["label"] == "Detail."
    assert Client().get(urlparse(medium["id"]).path).status_code == 200


def _flat() -> tuple[Artifact, Canvas]:
    artifact = make_artifact(form=Artifact.Form.FLAT)
    source = Asset.objects.create(
        artifact=artifact, kind=Asset.Kind.SOURCE, file=ContentFile(png_bytes(), name="w.png"),
        sha256="1" * 64, byte_size=1, format="png",
    )  # fmt: skip
    canvas = Canvas.objects.create(artifact=artifact, source=source, width_px=2000, height_px=1000)
    regions = [
        {"canvas": canvas.pk, "xywh": [10, 20, 300, 400]},
        {"canvas": canvas.pk, "type": "polygon", "points": [[10, 10], [200, 10], [100, 300]]},
        {"canvas": canvas.pk, "type": "polyline", "points": [[5, 5], [1999.5, 999]]},
    ]
    for number, region in enumerate(regions):
        Annotation.objects.create(
            artifact=artifact, title=f"Region {number}", region=region, **EMPTY_POINT
        )
    return artifact, canvas


def test_image_regions_export_as_fragment_and_svg_selectors() -> None:
    artifact, canvas = _flat()
    page = _export(Client(), artifact)
    assert w3c_page_errors(page) == []
    box, polygon, polyline = (item["target"] for item in page["items"])
    assert box["source"].endswith(f"/canvas/{canvas.pk}")
    assert box["selector"] == {
        "type": "FragmentSelector", "conformsTo": "http://www.w3.org/TR/media-frags/",
        "value": "xywh=10,20,300,400",
    }  # fmt: skip
    assert polygon["selector"] == {
        "type": "SvgSelector",
        "value": '<svg xmlns="http://www.w3.org/2000/svg"><polygon points="10,10 200,10 100,300"/>'
        "</svg>",
    }
    assert '<polyline points="5,5 1999.5,999"/>' in polyline["selector"]["value"]


def test_the_validator_bites() -> None:
    """The schemas refuse what the model forbids: a page with a broken annotation fails."""
    artifact, _ = _flat()
    page = _export(Client(), artifact)
    broken = copy.deepcopy(page)
    del broken["items"][0]["target"]
    broken["items"][1]["bodyValue"] = "both body and bodyValue"
    broken["items"][2]["target"] = {"type": "SpecificResource", "selector": {"type": "x"}}
    broken["@context"] = "http://iiif.io/api/presentation/3/context.json"
    found = "\n".join(w3c_page_errors(broken))
    assert "3.1-targetKeyFound" in found and "3.2.5-notBodyBodyValue" in found
    assert "items/2 3.2-targetObjectsRecognized" in found and "page: " in found


def test_a_drafts_export_is_for_those_who_read_drafts(make_user) -> None:
    draft = make_artifact(published=False)
    make_annotation(draft)
    url = f"/api/artifacts/{draft.pk}/annotations.jsonld"
    assert Client().get(url).status_code == 404
    client = Client()
    client.force_login(make_user("curator"))
    assert client.get(url).status_code == 200


def test_iiif_canvases_carry_drawn_regions_and_stay_valid() -> None:
    artifact, _ = _flat()
    data = Client().get(reverse("interop:iiif-artifact", args=[artifact.pk])).json()
    assert errors(IIIF, data) == []
    (page,) = data["items"][0]["annotations"]
    targets = [item["target"] for item in page["items"]]
    assert targets[0].endswith("#xywh=10,20,300,400")
    assert targets[1]["type"] == "SpecificResource"
    assert targets[1]["selector"]["type"] == "SvgSelector"
    assert targets[2]["selector"]["value"].startswith('<svg xmlns="http://www.w3.org/2000/svg">')
