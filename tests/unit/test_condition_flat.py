"""The condition check of a flat work (restoration.condition.flat): a painting-like image with a
crack drawn at a known place, analysed at full resolution by strips with the committed weights;
the same records, findings and review rules as a texture's; the overlays the deep-zoom page
shows (restoration.condition.overlays)."""

from __future__ import annotations

import hashlib
import io

import cv2
import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image

from exhibits.models import Artifact, Asset, Canvas, Job
from restoration.condition import overlays, review, services, visibility
from restoration.damage.synth import smooth_noise
from restoration.models import ConditionRecord, DamageFinding
from tests.unit.factories import make_artifact

pytestmark = pytest.mark.django_db
WIDTH, HEIGHT = 1000, 700
CRACK = (596, 266, 306, 68)  # x, y, w, h around the drawn crack
PIXELS_PER_CM = 50.0


def painting() -> np.ndarray:
    rng = np.random.default_rng(1)
    tint = np.array([1.0, 0.85, 0.6])
    noise = [0.35 + 0.3 * smooth_noise((HEIGHT, WIDTH), rng, cells=5) for _ in range(3)]
    image = (np.clip(np.dstack(noise) * tint, 0, 1) * 255).astype(np.uint8)
    image = cv2.GaussianBlur(image, (0, 0), 1.0)
    points = np.array([[600 + i * 2, 300 + int(30 * np.sin(i / 15))] for i in range(150)])
    cv2.polylines(image, [points.astype(np.int32)], False, (30, 25, 20), thickness=3)
    return image


def encoded(array: np.ndarray, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt)
    return buffer.getvalue()


def asset(artifact: Artifact, data: bytes, **fields: object) -> Asset:
    row = Asset(
        artifact=artifact, sha256=hashlib.sha256(data).hexdigest(), byte_size=len(data), **fields
    )
    row.file.save(str(fields.get("original_filename") or "file"), ContentFile(data), save=False)
    row.save()
    return row


def make_flat_work(*, published: bool = True, web: bool = True) -> Artifact:
    artifact = make_artifact(published=published, form=Artifact.Form.FLAT)
    pixels = painting()
    source = asset(
        artifact, encoded(pixels, "PNG"), kind=Asset.Kind.SOURCE, format="png",
        original_filename="painting.png", width_px=WIDTH, height_px=HEIGHT,
    )  # fmt: skip
    if web:
        small = cv2.resize(pixels, (500, 350), interpolation=cv2.INTER_AREA)
        asset(
            artifact, encoded(small, "JPEG"), kind=Asset.Kind.IMAGE, label="web", format="jpeg",
            original_filename="web.jpg", width_px=500, height_px=350, derived_from=source,
        )  # fmt: skip
    Canvas.objects.create(
        artifact=artifact, order=0, label="recto", source=source, width_px=WIDTH,
        height_px=HEIGHT, pixels_per_cm=PIXELS_PER_CM, scale_source="curator",
    )  # fmt: skip
    return artifact


@pytest.fixture(scope="module")
def model():
    from restoration.damage import load_model

    return load_model(device="cpu")


@pytest.fixture
def checked(model) -> Artifact:
    artifact = make_flat_work()
    job = services.request_condition_check(artifact=artifact)
    job = services.run_condition_job(job_id=job.pk, model=model)
    assert job.status == Job.Status.DONE, job.error
    assert job.report["canvases"] == 1
    return artifact


def test_a_crack_on_the_image_is_found_where_it_is(checked) -> None:
    [record] = ConditionRecord.objects.filter(artifact=checked)
    assert record.origin == ConditionRecord.Origin.IMAGE
    assert record.canvas == checked.canvases.get()
    assert (record.width_px, record.height_px) == (WIDTH, HEIGHT)
    assert record.metres_per_pixel == pytest.approx(0.0002)
    assert record.summary["preview"] == {"width": 500, "height": 350}
    crack = record.findings.get(damage_class="crack")
    x, y, w, h = crack.regions[0]
    cx, cy, cw, ch = CRACK
    assert abs(x - cx) <= 8 and abs(y - cy) <= 8
    assert abs(x + w - cx - cw) <= 12 and abs(y + h - cy - ch) <= 12
    pixels = record.summary["classes"]["crack"]["pixels"]
    assert pixels > 500
    assert crack.area_cm2 == pytest.approx(pixels / PIXELS_PER_CM**2, rel=1e-3)
    with crack.mask.open("rb") as handle, Image.open(handle) as mask:
        assert mask.size == (WIDTH, HEIGHT)  # full resolution: what a restoration inpaints
        found = np.asarray(mask.convert("L")) >= 128
    assert found[cy : cy + ch, cx : cx + cw].sum() > 0.95 * found.sum()
    with crack.overlay.open("rb") as handle, Image.open(handle) as overlay:
        assert (overlay.size, overlay.mode) == ((500, 350), "RGBA")
        alpha = np.asarray(overlay)[..., 3]
    assert alpha[cy // 2 : (cy + ch) // 2, cx // 2 : (cx + cw) // 2].any()
    assert alpha.sum() == alpha[cy // 2 - 4 : (cy + ch) // 2 + 4, cx // 2 - 4 :].sum()
    with record.texture.open("rb") as handle, Image.open(handle) as picture:
        assert picture.size == (500, 350)
    assert not record.findings.get(damage_class="loss").regions


def test_overlays_follow_the_review_rules(checked) -> None:
    curator = User.objects.create_superuser("curator", "c@example.org", "pw")
    [staff] = overlays.flat_work_overlays(checked, curator)
    assert staff["class"] == "crack" and staff["url"].startswith("/media/condition/")
    assert staff["canvas"] == checked.canvases.get().pk
    assert (staff["width"], staff["height"]) == (500, 350)
    assert overlays.flat_work_overlays(checked, AnonymousUser()) == []  # not released
    from django.test import Client

    assert Client().get(staff["url"]).status_code == 404  # the file follows the same rule
    records = ConditionRecord.objects.filter(artifact=checked)
    crack = DamageFinding.objects.get(record__artifact=checked, damage_class="crack")
    review.review_finding(finding=crack, decision="dismissed", by=curator)
    visibility.set_released(records=records, released=True, by=curator)
    assert overlays.flat_work_overlays(checked, AnonymousUser()) == []  # dismissed
    review.review_finding(finding=crack, decision="accepted", by=curator)
    [public] = overlays.flat_work_overlays(checked, AnonymousUser())
    assert public["url"] == staff["url"]
    assert Client().get(public["url"]).status_code == 200


def test_the_check_runs_on_intake_published_for_images() -> None:
    artifact = make_flat_work(web=False)
    job = services.check_condition_after_intake(artifact_id=artifact.pk)
    assert job is not None and job.kind == services.CONDITION_KIND
    bare = make_artifact(form=Artifact.Form.FLAT)
    assert services.check_condition_after_intake(artifact_id=bare.pk) is None


def test_a_flat_work_without_a_web_copy_is_analysed_from_its_source(model) -> None:
    artifact = make_flat_work(web=False)
    job = services.request_condition_check(artifact=artifact)
    job = services.run_condition_job(job_id=job.pk, model=model)
    assert job.status == Job.Status.DONE, job.error
    [record] = ConditionRecord.objects.filter(artifact=artifact)
    assert record.summary["preview"] == {"width": WIDTH, "height": HEIGHT}


def test_report_page_api_and_pdf_of_a_flat_work(checked) -> None:
    from django.test import Client
    from pypdf import PdfReader

    curator = User.objects.create_superuser("curator", "c@example.org", "pw")
    client = Client()
    client.force_login(curator)
    html = client.get(f"/artifacts/{checked.pk}/condition/").content.decode()
    assert "Image 1: recto" in html and "at full resolution" in html
    assert "data-mask-editor" not in html  # too large to paint on: the upload form stays
    assert "500 × 350 px" in html, html[html.find("Mask image") :][:300]
    crack = DamageFinding.objects.get(record__artifact=checked, damage_class="crack")
    x, y, w, h = crack.regions[0]
    assert f"{x}, {y} ({w} × {h} px)" in html
    body = client.get(f"/api/artifacts/{checked.pk}/condition").json()
    assert body["records"][0]["width_px"] == WIDTH
    assert body["records"][0]["canvas"] == checked.canvases.get().pk
    [api_crack] = [f for f in body["records"][0]["findings"] if f["damage_class"] == "crack"]
    assert api_crack["regions"] == crack.regions and api_crack["overlay_url"]
    pdf = client.get(f"/artifacts/{checked.pk}/condition.pdf")
    assert pdf.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Image 1: recto" in text and "Crack" in text


def test_an_ingested_image_gets_its_condition_check_through_intake_published(
    tmp_path, eager_celery, django_capture_on_commit_callbacks
) -> None:
    """The whole path: ingest_image -> the intake job -> intake_published -> the condition job
    (run eagerly here) -> a record of the image with the crack where it was drawn."""
    from exhibits.imaging.services import ingest_image
    from exhibits.intake.services import run_intake_job

    path = tmp_path / "painting.png"
    path.write_bytes(encoded(painting(), "PNG"))
    with django_capture_on_commit_callbacks(execute=True):
        job = ingest_image(
            artifact=None, title="Cracked", path_or_file=path, filename="painting.png",
            width_cm=20.0, height_cm=14.0,
        )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        job = run_intake_job(job_id=job.pk)
    assert job.status == Job.Status.DONE, job.error
    check = Job.objects.get(artifact=job.artifact, kind=services.CONDITION_KIND)
    assert check.status == Job.Status.DONE, check.error
    [record] = ConditionRecord.objects.filter(artifact=job.artifact)
    assert record.canvas is not None and record.metres_per_pixel == pytest.approx(0.0002)
    x, y, _w, _h = record.findings.get(damage_class="crack").regions[0]
    assert abs(x - CRACK[0]) <= 8 and abs(y - CRACK[1]) <= 8


def test_a_correction_of_an_image_may_be_drawn_at_the_web_copys_size(checked) -> None:
    from restoration.condition import corrections
    from restoration.restore.flat import damage_mask_files

    [record] = ConditionRecord.objects.filter(artifact=checked)
    small = np.zeros((350, 500), np.uint8)
    small[10:20, 10:40] = 255
    correction = corrections.save_mask_correction(
        record=record, damage_class="loss", data=encoded(small, "PNG")
    )
    assert correction.pixel_share == pytest.approx(300 / (350 * 500))
    with pytest.raises(ValidationError, match="its web copy 500×350"):
        corrections.save_mask_correction(
            record=record, damage_class="loss", data=encoded(small[:100, :100], "PNG")
        )
    record = ConditionRecord.objects.get(pk=record.pk)
    assert damage_mask_files(record)["loss"] == correction.mask  # the restoration scales it


def test_a_damaged_source_image_fails_the_check_with_a_reason(model) -> None:
    artifact = make_flat_work()
    source = artifact.canvases.get().source
    data = encoded(painting(), "PNG")
    name = source.file.name
    source.file.storage.delete(name)
    assert source.file.storage.save(name, ContentFile(data[: len(data) // 2])) == name
    job = services.request_condition_check(artifact=artifact)
    job = services.run_condition_job(job_id=job.pk, model=model)
    assert job.status == Job.Status.FAILED
    assert "damaged or incomplete" in job.error
    assert not ConditionRecord.objects.filter(artifact=artifact).exists()
