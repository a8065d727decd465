""" "Drawn by a conservator" (#23): regions whose class maps to a damage class are counted and
measured per class on the condition report (page, API, PDF) beside the detector's figures,
for those who may see a condition record of the artifact."""

from __future__ import annotations

import io
import math

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from exhibits.models import Annotation, AnnotationClass, Artifact, Asset, Canvas, Job
from restoration.condition import drawn, services
from restoration.models import ConditionRecord
from tests.unit.factories import make_artifact, png_bytes

pytestmark = pytest.mark.django_db

EMPTY_POINT = {"position": [], "normal": [], "camera_position": [], "camera_target": []}
# A 10 cm x 10 cm square on the model (metres): 100 cm².
SQUARE = [[0.0, 0.1, 0.0], [0.1, 0.1, 0.0], [0.1, 0.2, 0.0], [0.0, 0.2, 0.0]]


def _class(name: str) -> AnnotationClass:
    return AnnotationClass.objects.get(name=name)


def _checked(artifact: Artifact, *, released: bool) -> ConditionRecord:
    job = Job.objects.create(
        kind=services.CONDITION_KIND, status=Job.Status.DONE, artifact=artifact,
        finished_at=timezone.now(),
    )  # fmt: skip
    record = ConditionRecord(
        artifact=artifact, job=job, origin=ConditionRecord.Origin.SOURCE, image_index=0,
        width_px=8, height_px=8, model_version="drawn-test", released=released,
    )  # fmt: skip
    record.texture.save("t.png", ContentFile(png_bytes()), save=False)
    record.save()
    return record


def _object_with_regions(*, published: bool = True) -> Artifact:
    artifact = make_artifact(published=published, width_m=0.4, height_m=1.0, depth_m=0.3)
    crack, loss = _class("Crack"), _class("Loss")
    for title, kind, cls in (
        ("Crack A", "polygon", crack),
        ("Crack B", "polyline", crack),
        ("Lacuna", "polygon", loss),
    ):
        points = SQUARE if kind == "polygon" else SQUARE[:2]
        Annotation.objects.create(
            artifact=artifact, title=title, annotation_class=cls,
            shape={"type": kind, "points": points},
        )  # fmt: skip
    # Not damage: an inscription is not counted.
    Annotation.objects.create(
        artifact=artifact, title="Stamp", annotation_class=_class("Inscription"),
        shape={"type": "polygon", "points": SQUARE},
    )  # fmt: skip
    return artifact


def test_counts_and_areas_on_a_3d_object() -> None:
    rows = {row["class"]: row for row in drawn.drawn_damage(_object_with_regions())}
    assert set(rows) == {"crack", "loss"}
    assert rows["crack"]["count"] == 2 and math.isclose(rows["crack"]["area_cm2"], 100.0)
    assert rows["loss"]["count"] == 1 and math.isclose(rows["loss"]["area_cm2"], 100.0)
    assert rows["crack"]["area_px"] is None


def test_counts_and_areas_on_an_image_with_and_without_a_scale() -> None:
    artifact = make_artifact(form=Artifact.Form.FLAT)
    source = Asset.objects.create(
        artifact=artifact, kind=Asset.Kind.SOURCE, file=ContentFile(png_bytes(), name="w.png"),
        sha256="1" * 64, byte_size=1, format="png",
    )  # fmt: skip
    scaled = Canvas.objects.create(
        artifact=artifact, source=source, width_px=2000, height_px=1000, pixels_per_cm=20.0
    )
    unscaled = Canvas.objects.create(artifact=artifact, source=source, width_px=800, height_px=600)
    corrosion = _class("Corrosion")
    regions = [
        {"canvas": scaled.pk, "type": "polygon", "points": [[0, 0], [200, 0], [200, 100]]},
        {"canvas": scaled.pk, "xywh": [0, 0, 40, 20]},
        {"canvas": unscaled.pk, "type": "polygon", "points": [[0, 0], [10, 0], [10, 10], [0, 10]]},
    ]
    for region in regions:
        Annotation.objects.create(
            artifact=artifact, title="Rust", annotation_class=corrosion, region=region,
            **EMPTY_POINT,
        )  # fmt: skip
    (row,) = drawn.drawn_damage(artifact)
    assert row["class"] == "corrosion" and row["count"] == 3
    assert row["area_px"] == 10_000 + 800 + 100
    # 10 800 px² at 20 px per cm = 27 cm²; the unscaled canvas's 100 px² has no cm².
    assert math.isclose(row["area_cm2"], 27.0) and row["unscaled"] == 1


@pytest.mark.parametrize(
    ("role", "released", "shown"),
    [
        ("anonymous", True, True),
        ("anonymous", False, False),
        ("visitor", False, False),
        ("curator", False, True),
    ],
)
def test_the_report_and_api_show_them_beside_the_detector(make_user, role, released, shown):
    artifact = _object_with_regions()
    _checked(artifact, released=released)
    client = Client()
    if (user := make_user(role)) is not None:
        client.force_login(user)
    page = client.get(f"/artifacts/{artifact.pk}/condition/").content.decode()
    assert ("Drawn by a conservator" in page) is shown
    assert ('data-drawn-class="crack"' in page) is shown
    api = client.get(f"/api/artifacts/{artifact.pk}/condition").json()
    assert bool(api["drawn"]) is shown
    if shown:
        assert {row["class"]: row["count"] for row in api["drawn"]} == {"crack": 2, "loss": 1}


def test_a_drafts_drawings_stay_private(make_user) -> None:
    artifact = _object_with_regions(published=False)
    _checked(artifact, released=True)
    assert Client().get(f"/api/artifacts/{artifact.pk}/condition").status_code == 404
    client = Client()
    client.force_login(make_user("educator"))  # reads drafts, not unreleased condition
    response = client.get(f"/api/artifacts/{artifact.pk}/condition")
    assert response.status_code == 200 and response.json()["drawn"] == []


def test_the_pdf_lists_them(make_user) -> None:
    artifact = _object_with_regions()
    _checked(artifact, released=True)
    response = Client().get(f"/artifacts/{artifact.pk}/condition.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Drawn by a conservator" in text and "100.00" in text
