"""Region annotations (#23): the one check of drawn shapes, image regions and media (model,
API, admin: bad input gets a clear error and nothing is stored), the vocabulary, and the
payload the API and the pages read."""

from __future__ import annotations

import io
import json
import math

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image

from exhibits.annotating import geometry
from exhibits.annotating.media_kind import sniff_format
from exhibits.models import (
    Annotation,
    AnnotationClass,
    Artifact,
    Asset,
    Canvas,
    DamageClass,
)
from restoration.damage.config import DAMAGE_CLASSES
from tests.unit.factories import make_artifact, make_source, png_bytes

pytestmark = pytest.mark.django_db

SQUARE = [[0.0, 0.1, 0.0], [0.1, 0.1, 0.0], [0.1, 0.2, 0.0], [0.0, 0.2, 0.0]]
EMPTY_POINT = {"position": [], "normal": [], "camera_position": [], "camera_target": []}


def mp3_bytes() -> bytes:
    return b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 200


def wav_bytes() -> bytes:
    return b"RIFF" + (36).to_bytes(4, "little") + b"WAVEfmt " + b"\x00" * 200


def webp_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(out, "WEBP")
    return out.getvalue()


def scanned() -> Artifact:
    """A 3D object 40 cm wide, 1 m high, 30 cm deep (normalised: footprint centred, y >= 0)."""
    return make_artifact(width_m=0.4, height_m=1.0, depth_m=0.3)


def flat_work() -> tuple[Artifact, Canvas]:
    artifact = make_artifact(form=Artifact.Form.FLAT)
    source = Asset.objects.create(
        artifact=artifact, kind=Asset.Kind.SOURCE, file=ContentFile(png_bytes(), name="w.png"),
        sha256="1" * 64, byte_size=1, format="png",
    )  # fmt: skip
    canvas = Canvas.objects.create(
        artifact=artifact, source=source, width_px=2000, height_px=1000, pixels_per_cm=20.0
    )
    return artifact, canvas


# ------------------------------------------------------------------ geometry (framework-free)


def test_areas_of_known_polygons() -> None:
    assert geometry.polygon_area_2d([[0, 0], [4, 0], [4, 3], [0, 3]]) == 12
    assert math.isclose(geometry.polygon_area_3d(SQUARE), 0.01)
    # A tilted unit square keeps its area.
    tilted = [[0, 0, 0], [1, 0, 0], [1, 0.6, 0.8], [0, 0.6, 0.8]]
    assert math.isclose(geometry.polygon_area_3d(tilted), 1.0)


def test_media_sniffing() -> None:
    assert sniff_format(png_bytes()[:32]) == "png"
    assert sniff_format(webp_bytes()[:32]) == "webp"
    assert sniff_format(mp3_bytes()[:32]) == "mp3"
    assert sniff_format(wav_bytes()[:32]) == "wav"
    assert sniff_format(b"OggS\x00\x02" + b"\x00" * 30) == "ogg"
    assert sniff_format(b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 20) == "m4a"
    assert sniff_format(b"<html><body>hello</body>") is None


def test_damage_classes_match_the_condition_check() -> None:
    assert tuple(DamageClass.values) == DAMAGE_CLASSES


def test_the_starter_vocabulary_is_seeded_with_french_names() -> None:
    names = {c.name: c for c in AnnotationClass.objects.all()}
    assert {"Crack", "Loss", "Corrosion", "Fading", "Restored zone", "Inscription"} <= set(names)
    assert {c.damage_class for c in names.values() if c.damage_class} == set(DAMAGE_CLASSES)
    with translation.override("fr"):
        assert str(names["Crack"]) == "Fissure"
    with translation.override("en"):
        assert str(names["Crack"]) == "Crack"


# ------------------------------------------------------------------ the one check (model)


def test_a_3d_polygon_is_valid_without_a_point_or_view() -> None:
    annotation = Annotation(
        artifact=scanned(), title="Crack", shape={"type": "polygon", "points": SQUARE}
    )
    annotation.full_clean()


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ({"type": "polygon", "points": SQUARE[:2]}, "at least 3 points"),
        ({"type": "polyline", "points": SQUARE[:1]}, "at least 2 points"),
        ({"type": "polygon", "points": [[float("nan"), 0, 0], *SQUARE]}, "finite numbers"),
        ({"type": "polygon", "points": [[0, 0], [1, 1], [2, 0]]}, "finite numbers"),
        ({"type": "circle", "points": SQUARE}, '"polygon" or "polyline"'),
        ({"type": "polyline", "points": [[0.0, 0.5, 0.0]] * 2001}, "at most 2000"),
        ({"type": "polygon", "points": [*SQUARE, [5.0, 0.5, 0.0]]}, "far outside the model"),
        ({"type": "polygon", "points": SQUARE, "normals": [[0, 1, 0]]}, "one normal"),
        ({"type": "polygon", "points": SQUARE, "colour": "red"}, "Expected {"),
        ([[0, 0, 0]], "Expected {"),
    ],
)
def test_bad_shapes_are_refused(shape, message) -> None:
    annotation = Annotation(artifact=scanned(), title="Crack", shape=shape)
    with pytest.raises(ValidationError) as error:
        annotation.full_clean()
    assert message in " ".join(error.value.message_dict["shape"])


def test_without_a_recorded_size_only_absurd_points_are_refused() -> None:
    artifact = make_artifact()
    Annotation(artifact=artifact, title="x", shape={"type": "polygon", "points": SQUARE}).clean()
    far = {"type": "polyline", "points": [[0, 0, 0], [1000.0, 0, 0]]}
    with pytest.raises(ValidationError):
        Annotation(artifact=artifact, title="x", shape=far).clean()


def test_a_shape_with_half_a_view_or_with_a_region_is_refused() -> None:
    artifact, canvas = flat_work()
    with pytest.raises(ValidationError) as error:
        Annotation(
            artifact=scanned(), title="x", shape={"type": "polygon", "points": SQUARE},
            camera_position=[0, 0, 2], camera_target=[],
        ).clean()  # fmt: skip
    assert "camera_target" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        Annotation(
            artifact=artifact, title="x", shape={"type": "polygon", "points": SQUARE},
            region={"canvas": canvas.pk, "xywh": [0, 0, 10, 10]},
        ).clean()  # fmt: skip
    assert "not both" in error.value.message_dict["shape"][0]


def test_image_polygons_and_polylines() -> None:
    artifact, canvas = flat_work()
    good = {"canvas": canvas.pk, "type": "polygon", "points": [[10, 10], [200, 10], [100, 300]]}
    Annotation(artifact=artifact, title="x", region=good, **EMPTY_POINT).full_clean()
    line = {"canvas": canvas.pk, "type": "polyline", "points": [[10, 10], [1999, 999]]}
    Annotation(artifact=artifact, title="x", region=line, **EMPTY_POINT).full_clean()
    bad = [
        ({**good, "points": [[10, 10], [20, 20]]}, "at least 3 points"),
        ({**good, "points": [[10, 10], [20, 20], [2500, 20]]}, "inside the image"),
        ({**good, "points": [[10, 10], [20, float("inf")], [30, 20]]}, "finite numbers"),
        ({**good, "xywh": [0, 0, 5, 5]}, "Expected {"),
        ({**good, "canvas": canvas.pk + 99}, "not an image of this artifact"),
    ]
    for region, message in bad:
        with pytest.raises(ValidationError) as error:
            Annotation(artifact=artifact, title="x", region=region, **EMPTY_POINT).clean()
        assert message in error.value.message_dict["region"][0], region


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("sound.mp3", png_bytes(), "not the MP3"),
        ("picture.png", mp3_bytes(), "not the PNG"),
        ("page.html", b"<html></html>", "Attach an image or a sound"),
        ("picture.png", b"", "empty"),
        ("picture.jpg", b"\xff\xd8\xff\xe0broken", "cannot be used"),
    ],
)
def test_media_that_is_not_what_its_name_says_is_refused(name, content, message) -> None:
    annotation = Annotation(
        artifact=scanned(), title="x", shape={"type": "polygon", "points": SQUARE}
    )
    annotation.media = SimpleUploadedFile(name, content)
    with pytest.raises(ValidationError) as error:
        annotation.full_clean()
    assert message in error.value.message_dict["media"][0]


def test_media_over_the_cap_is_refused(settings) -> None:
    settings.MOUSEION_ANNOTATION_MEDIA_MAX_BYTES = 1 << 20
    annotation = Annotation(
        artifact=scanned(), title="x", shape={"type": "polygon", "points": SQUARE}
    )
    annotation.media = SimpleUploadedFile("long.wav", wav_bytes() + b"\x00" * (1 << 20))
    with pytest.raises(ValidationError) as error:
        annotation.full_clean()
    assert "too large" in error.value.message_dict["media"][0]


# ------------------------------------------------------------------ API


def test_the_api_creates_a_3d_region_and_returns_class_and_media(curator_api) -> None:
    artifact = scanned()
    crack = AnnotationClass.objects.get(name="Crack")
    response = curator_api.post(
        "/api/annotations/",
        {
            "artifact": artifact.pk,
            "title": "Crack network",
            "annotation_class": crack.pk,
            "shape": json.dumps({"type": "polygon", "points": SQUARE}),
            "media": SimpleUploadedFile("detail.webp", webp_bytes()),
            "media_alt": "The crack under raking light.",
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["shape"] == {"type": "polygon", "points": SQUARE}
    assert body["class"] == {
        "id": crack.pk, "name": "Crack", "group": "damage", "colour": crack.colour,
        "damageClass": "crack",
    }  # fmt: skip
    assert body["media"]["kind"] == "image"
    assert body["media"]["alt"] == "The crack under raking light."
    assert "/media/annotations/" in body["media"]["url"]
    detail = curator_api.get(f"/api/artifacts/{artifact.pk}/", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert detail["annotations"][0]["class"]["name"] == "Fissure"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"shape": {"type": "polygon", "points": SQUARE[:2]}}, "shape"),
        ({"shape": {"type": "polygon", "points": [[1e9, 0, 0], *SQUARE]}}, "shape"),
        ({"media": ("x.mp3", png_bytes())}, "media"),
    ],
)
def test_the_api_refuses_bad_regions_and_stores_nothing(curator_api, payload, field) -> None:
    data = {"artifact": scanned().pk, "title": "x", **EMPTY_POINT}
    data["shape"] = json.dumps(payload.get("shape", {"type": "polygon", "points": SQUARE}))
    for key in ("position", "normal", "camera_position", "camera_target"):
        data.pop(key)
    if "media" in payload:
        data["media"] = SimpleUploadedFile(*payload["media"])
    response = curator_api.post("/api/annotations/", data, format="multipart")
    assert response.status_code == 400
    assert field in response.json() or field in json.dumps(response.json())
    assert not Annotation.objects.exists()


# ------------------------------------------------------------------ admin


@pytest.fixture
def curator_client(curator) -> Client:
    client = Client()
    client.force_login(curator)
    return client


def test_the_admin_form_saves_a_drawn_shape_with_class_and_media(curator_client) -> None:
    artifact = scanned()
    loss = AnnotationClass.objects.get(name="Loss")
    response = curator_client.post(
        reverse("admin:exhibits_annotation_add"),
        {
            "artifact": artifact.pk, "title": "Lost glaze", "order": 0, "text": "",
            "annotation_class": loss.pk, "shape": json.dumps({"type": "polygon", "points": SQUARE}),
            "region": "", "position": "", "normal": "", "camera_position": "",
            "camera_target": "", "media": SimpleUploadedFile("note.mp3", mp3_bytes()),
            "media_alt": "The conservator's note.",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    annotation = Annotation.objects.get()
    assert annotation.annotation_class == loss and annotation.shape["type"] == "polygon"
    assert annotation.media.name.startswith(f"annotations/{artifact.pk}/")
    assert annotation.position == [] and annotation.region is None


def test_the_admin_form_refuses_a_two_point_polygon(curator_client) -> None:
    response = curator_client.post(
        reverse("admin:exhibits_annotation_add"),
        {
            "artifact": scanned().pk, "title": "x", "order": 0,
            "shape": json.dumps({"type": "polygon", "points": SQUARE[:2]}),
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert "A polygon needs at least 3 points." in response.content.decode()
    assert not Annotation.objects.exists()


def test_the_editor_config_lists_the_vocabulary(curator_client) -> None:
    html = curator_client.get(reverse("admin:exhibits_annotation_add")).content.decode()
    config = html.split('id="annotation-editor-config" type="application/json">')[1]
    classes = json.loads(config.split("</script>")[0])["classes"]
    assert {"Crack", "Inscription"} <= {c["name"] for c in classes}
    assert 'name="shape"' in html and 'name="region"' in html and 'name="media"' in html


def test_curators_keep_the_vocabulary_and_educators_only_read_it(make_user) -> None:
    curator, educator = make_user("curator"), make_user("educator")
    for perm in ("add", "change", "delete", "view"):
        assert curator.has_perm(f"exhibits.{perm}_annotationclass")
    assert educator.has_perm("exhibits.view_annotationclass")
    assert not educator.has_perm("exhibits.change_annotationclass")
    client = Client()
    client.force_login(curator)
    response = client.post(
        reverse("admin:exhibits_annotationclass_add"),
        {"name": "Gilding", "name_fr": "Dorure", "group": "material", "colour": "#d4af37",
         "damage_class": "", "concept_uri": "", "order": 5},
    )  # fmt: skip
    assert response.status_code == 302
    bad = client.post(
        reverse("admin:exhibits_annotationclass_add"),
        {"name": "Soot", "group": "damage", "colour": "black", "order": 5},
    )
    assert bad.status_code == 200 and "#rrggbb" in bad.content.decode()
    assert client.get(reverse("admin:exhibits_annotationclass_changelist")).status_code == 200


# ------------------------------------------------------------------ the artifact page's config


def test_the_artifact_pages_viewer_config_carries_region_class_and_media() -> None:
    artifact = scanned()
    source = make_source(artifact)  # the viewer needs a model visitors may fetch
    source.public = True
    source.save(update_fields=["public"])
    annotation = Annotation(
        artifact=artifact, title="Inscription", media_alt="A stamp.",
        annotation_class=AnnotationClass.objects.get(name="Inscription"),
        shape={"type": "polyline", "points": SQUARE[:2]},
    )  # fmt: skip
    annotation.media = SimpleUploadedFile("stamp.png", png_bytes())
    annotation.save()
    html = Client().get(artifact.get_absolute_url()).content.decode()
    config = html.split('id="viewer-config" type="application/json">')[1].split("</script>")[0]
    (entry,) = json.loads(config)["annotations"]
    assert entry["shape"] == {"type": "polyline", "points": SQUARE[:2]}
    assert entry["region"] is None
    assert entry["class"]["name"] == "Inscription" and entry["class"]["group"] == "inscription"
    assert entry["media"]["kind"] == "image" and entry["media"]["alt"] == "A stamp."


def test_a_tour_stop_on_a_region_carries_its_shape_or_region(make_user) -> None:
    from museum.models import Tour, TourStop
    from museum.tours import services as tours

    educator = make_user("educator")
    artifact = scanned()
    crack = AnnotationClass.objects.get(name="Crack")
    drawn = Annotation.objects.create(
        artifact=artifact, title="Crack", annotation_class=crack,
        shape={"type": "polygon", "points": SQUARE},
    )  # fmt: skip
    flat, canvas = flat_work()
    box = {"canvas": canvas.pk, "type": "polygon", "points": [[10, 10], [200, 10], [100, 300]]}
    on_image = Annotation.objects.create(artifact=flat, title="Hand", region=box, **EMPTY_POINT)
    tour = Tour.objects.create(title="Damage walk", educator=educator)
    TourStop.objects.create(tour=tour, order=0, artifact=artifact, annotation=drawn)
    TourStop.objects.create(tour=tour, order=1, artifact=flat, annotation=on_image)
    session = tours.start_live_tour(tour=tour, guide=educator)
    first = tours.tour_state(session)["stop"]["annotation"]
    assert first["shape"] == {"type": "polygon", "points": SQUARE}
    assert first["colour"] == crack.colour
    second = tours.go_to_stop(code=session.code, user=educator, index=1)["stop"]["annotation"]
    assert second["region"] == box and second["shape"] is None


def test_a_flat_works_regions_are_not_3d_shapes() -> None:
    artifact, _ = flat_work()
    with pytest.raises(ValidationError) as error:
        Annotation(
            artifact=artifact, title="x", shape={"type": "polygon", "points": SQUARE}
        ).full_clean()
    assert "drawn on its images" in error.value.message_dict["shape"][0]
