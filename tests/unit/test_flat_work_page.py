"""The artifact page of a flat work (museum/gallery/flat_work.py): the deep-zoom branch instead
of the 3D viewer, and a `flat_work` config naming only what the user may fetch: tiles under
the IIIF views' rule (public with a published work), region annotations, the curator's
annotation API, no measuring without a scale. Rows made here as the image intake leaves them."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from PIL import Image

from exhibits.models import Annotation, AnnotationClass, Artifact, Asset, Canvas, ImageService
from tests.unit.factories import make_artifact

pytestmark = pytest.mark.django_db

CONFIG = re.compile(r'<script id="flat-work" type="application/json">(.*?)</script>', re.S)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (180, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def make_flat(*, public_source: bool) -> tuple[Artifact, Canvas]:
    artifact = make_artifact(form=Artifact.Form.FLAT, title="Still life")
    source = Asset.objects.create(
        artifact=artifact, kind=Asset.Kind.SOURCE, file=ContentFile(jpeg(), name="work.jpg"),
        sha256="1" * 64, byte_size=1, format="jpeg", public=public_source,
    )  # fmt: skip
    Asset.objects.create(
        artifact=artifact, kind=Asset.Kind.IMAGE, label="web", derived_from=source,
        file=ContentFile(jpeg(), name="web.jpg"), sha256="2" * 64, byte_size=1, format="jpeg",
    )  # fmt: skip
    ImageService.objects.create(
        asset=source, identifier="img-test", width=4000, height=3000, tile_size=512,
        scale_factors=[1, 2, 4, 8], sizes=[[500, 375]], root="iiif/img-test/",
    )  # fmt: skip
    recto = Canvas.objects.create(
        artifact=artifact, source=source, order=0, label="recto", width_px=4000,
        height_px=3000, pixels_per_cm=50.0, scale_source="curator",
    )  # fmt: skip
    Canvas.objects.create(
        artifact=artifact, source=source, order=1, label="", width_px=4000, height_px=3000
    )
    Annotation.objects.create(
        artifact=artifact, title="A hand", text="Painted last.",
        region={"canvas": recto.pk, "xywh": [100, 200, 300, 400]},
        position=[], normal=[], camera_position=[], camera_target=[],
    )  # fmt: skip
    return artifact, recto


def page_config(client: Client, artifact: Artifact) -> tuple[str, dict]:
    response = client.get(f"/artifacts/{artifact.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    match = CONFIG.search(html)
    assert match, "no flat-work json_script on the page"
    return html, json.loads(match.group(1))


def test_a_flat_work_gets_the_deep_zoom_page_with_its_canvases_and_regions() -> None:
    artifact, recto = make_flat(public_source=True)
    html, config = page_config(Client(), artifact)
    assert 'id="deep-zoom-osd"' in html and 'id="viewer-canvas"' not in html
    assert "vendor/openseadragon/openseadragon.min.js" in html
    assert "annotorious" not in html  # visitors mark nothing: the drawing library is not sent
    first, second = config["canvases"]
    assert first["infoUrl"] == "http://testserver/iiif/3/img-test/info.json"
    assert (first["label"], first["width"], first["height"]) == ("recto", 4000, 3000)
    assert first["pixelsPerCm"] == 50.0
    assert second["label"] == "Image 2" and second["pixelsPerCm"] is None
    assert first["damageOverlays"] == [] and first["restoredInfoUrl"] is None
    assert config["regions"] == [
        {"id": config["regions"][0]["id"], "title": "A hand", "text": "Painted last.",
         "canvas": recto.pk, "xywh": [100, 200, 300, 400], "type": "box", "points": None,
         "class": None, "media": None}
    ]  # fmt: skip
    assert config["canEdit"] is False and config["annotationsUrl"] is None
    assert 'aria-pressed="true">recto</button>' in html  # the page switcher


def test_tiles_follow_the_iiif_rule_and_curators_may_mark_regions(curator) -> None:
    # A published work's tiles are public, its source file private (iiif_views.may_see_service).
    artifact, _recto = make_flat(public_source=False)
    _html, config = page_config(Client(), artifact)
    assert config["canvases"][0]["infoUrl"].endswith("/iiif/3/img-test/info.json")
    assert config["canvases"][0]["webUrl"].startswith("/media/")
    client = Client()
    client.force_login(curator)
    html, config = page_config(client, artifact)
    assert config["canEdit"] is True and config["annotationsUrl"] == "/api/annotations/"
    assert "vendor/annotorious/annotorious-openseadragon.js" in html
    assert 'id="region-form"' in html and "csrfmiddlewaretoken" in html
    # A draft: its preview (curators) still zooms; nobody else gets the page.
    Artifact.objects.filter(pk=artifact.pk).update(status="draft")
    _html, config = page_config(client, artifact)
    assert config["canvases"][0]["infoUrl"] is not None
    assert Client().get(f"/artifacts/{artifact.pk}/").status_code == 404


def test_a_polygon_region_carries_its_box_class_and_medium(curator) -> None:
    """A drawn polygon gets its bounding box (what the page zooms to); its class's colour and
    its medium come along; curators get the vocabulary for the new region's class."""
    artifact, recto = make_flat(public_source=True)
    crack = AnnotationClass.objects.get(name="Crack")
    annotation = Annotation(
        artifact=artifact, title="A crack", annotation_class=crack, media_alt="A close-up.",
        region={"canvas": recto.pk, "type": "polygon", "points": [[10, 20], [110, 25], [60, 90]]},
        position=[], normal=[], camera_position=[], camera_target=[],
    )  # fmt: skip
    annotation.media.save("close-up.jpg", ContentFile(jpeg()), save=False)
    annotation.save()
    _html, config = page_config(Client(), artifact)
    region = next(r for r in config["regions"] if r["id"] == annotation.pk)
    assert region["type"] == "polygon" and region["xywh"] == [10, 20, 100, 70]
    assert region["class"]["colour"] == crack.colour and region["class"]["name"] == "Crack"
    assert region["media"]["kind"] == "image" and region["media"]["alt"] == "A close-up."
    assert config["classes"] == []  # visitors choose nothing
    client = Client()
    client.force_login(curator)
    html, config = page_config(client, artifact)
    assert {"id": crack.pk, "name": "Crack", "colour": crack.colour} in config["classes"]
    assert f'<option value="{crack.pk}">Crack</option>' in html
    assert 'id="deep-zoom-region-layers"' in html


def test_an_object_keeps_the_3d_viewer() -> None:
    artifact = make_artifact(title="A bowl")
    html = Client().get(f"/artifacts/{artifact.pk}/").content.decode()
    assert 'id="flat-work"' not in html and "openseadragon" not in html


def test_a_flat_work_offers_its_iiif_manifest_not_the_3d_embed() -> None:
    artifact, _recto = make_flat(public_source=False)
    html = Client().get(f"/artifacts/{artifact.pk}/").content.decode()
    assert "IIIF viewer" in html and f"/iiif/artifacts/{artifact.pk}/manifest.json" in html
    assert "artifact-embed-code" not in html and "json+oembed" not in html
    assert Client().get(f"/embed/artifacts/{artifact.pk}/").status_code == 404


def test_the_region_form_posts_a_polygon_with_a_medium_as_multipart(curator_api) -> None:
    """What deep-zoom-region-editor.js sends when a file goes with the region: form fields,
    the region as JSON text; stored as the drawn polygon with its class and medium."""
    artifact, recto = make_flat(public_source=True)
    crack = AnnotationClass.objects.get(name="Crack")
    png = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(png, "PNG")
    region = {"canvas": recto.pk, "type": "polygon", "points": [[10, 20], [110, 25], [60, 90]]}
    upload = ContentFile(png.getvalue(), name="detail.png")
    response = curator_api.post(
        "/api/annotations/",
        {
            "artifact": artifact.pk, "title": "Drawn", "text": "", "order": 1,
            "region": json.dumps(region), "annotation_class": crack.pk, "media": upload,
            "media_alt": "A red square.",
        },
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    stored = Annotation.objects.get(pk=response.json()["id"])
    assert stored.region == region and stored.annotation_class == crack
    assert stored.media.name.endswith(".png") and stored.media_alt == "A red square."
    assert response.json()["media"]["kind"] == "image"
