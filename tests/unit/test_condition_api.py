"""Condition API, report page, PDF and mask corrections: permissions and bad input."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from django.test import Client
from PIL import Image
from pypdf import PdfReader

from exhibits.models import Job
from restoration.condition import visibility
from restoration.models import ConditionRecord, MaskCorrection
from tests.unit import test_condition_services as base
from tests.unit.factories import upload
from tests.unit.test_condition_services import (
    TEXTURE_H,
    TEXTURE_W,
    make_textured_artifact,
    run_check,
)

tiny_model = base.tiny_model  # fixtures shared with the service tests
tiny_weights = base.tiny_weights

pytestmark = pytest.mark.django_db


@pytest.fixture
def checked(tiny_model):
    """A published artifact with a finished condition check: (artifact, record)."""
    artifact = make_textured_artifact()
    job = run_check(artifact, tiny_model)
    return artifact, ConditionRecord.objects.get(job=job)


def png(width: int, height: int, mode: str = "L", fill: int | tuple = 0) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), fill).save(buffer, format="PNG")
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width × height pixels but carries almost no data (a bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def post_mask(client, record, data: bytes, damage_class: str = "crack", name="mask.png"):
    return client.post(
        f"/api/condition-records/{record.pk}/corrections",
        {"damage_class": damage_class, "mask": upload(name, data, "image/png"), "note": "n"},
        format="multipart",
    )


# ------------------------------------------------------------------ reading


@pytest.mark.parametrize("role", ["anonymous", "visitor", "curator"])
def test_released_findings_of_published_artifacts_are_public(api_client_for, checked, role) -> None:
    artifact, record = checked
    client = api_client_for(role)
    # Unreleased (the default): curators only; visitors get no record and no image URL.
    body = client.get(f"/api/artifacts/{artifact.pk}/condition").json()
    assert len(body["records"]) == (1 if role == "curator" else 0)
    assert (record.texture.name in str(body)) is (role == "curator")
    release = f"/api/condition-records/{record.pk}/release"
    assert client.post(release, {"released": True}, format="json").status_code == (
        200 if role == "curator" else 403
    )
    if role != "curator":
        api_client_for("curator").post(release, {"released": True}, format="json")
    record.refresh_from_db()
    assert record.released
    body = client.get(f"/api/artifacts/{artifact.pk}/condition").json()
    assert body["model_version"] == record.model_version
    [shown] = body["records"]
    assert shown["id"] == record.pk and shown["width_px"] == TEXTURE_W
    assert {f["damage_class"] for f in shown["findings"]} == {
        "crack",
        "loss",
        "corrosion",
        "fading",
    }
    assert all(f["mask_url"].endswith(".png") for f in shown["findings"])
    assert [c["name"] for c in body["classes"]] == ["crack", "loss", "corrosion", "fading"]
    assert ("latest_job" in body) == (role == "curator")


def test_draft_findings_are_hidden_from_visitors(api_client_for, tiny_model) -> None:
    artifact = make_textured_artifact(published=False)
    run_check(artifact, tiny_model)
    for role in ("anonymous", "visitor"):
        assert (
            api_client_for(role).get(f"/api/artifacts/{artifact.pk}/condition").status_code == 404
        )
        assert Client().get(f"/artifacts/{artifact.pk}/condition/").status_code == 404
    response = api_client_for("curator").get(f"/api/artifacts/{artifact.pk}/condition")
    assert response.status_code == 200 and len(response.json()["records"]) == 1


def test_an_unchecked_artifact_has_no_records(api_client_for) -> None:
    artifact = make_textured_artifact()
    body = api_client_for("anonymous").get(f"/api/artifacts/{artifact.pk}/condition").json()
    assert body["records"] == [] and body["model_version"] is None


# ------------------------------------------------------------------ running checks


@pytest.mark.parametrize(("role", "code"), [("anonymous", 403), ("visitor", 403),
                                            ("educator", 403), ("curator", 202)])  # fmt: skip
def test_only_curators_run_checks(api_client_for, role, code) -> None:
    artifact = make_textured_artifact()
    response = api_client_for(role).post(f"/api/artifacts/{artifact.pk}/condition-check")
    assert response.status_code == code
    jobs = Job.objects.filter(kind="condition", artifact=artifact)
    assert jobs.count() == (1 if code == 202 else 0)
    if code == 202:
        assert response.json()["job_id"] == jobs.get().pk


def test_check_of_an_unknown_artifact_is_404(api_client_for) -> None:
    assert (
        api_client_for("curator").post("/api/artifacts/999999/condition-check").status_code == 404
    )


# ------------------------------------------------------------------ corrections


def test_curator_uploads_a_corrected_mask_which_is_binarised(api_client_for, checked) -> None:
    _, record = checked
    grey = Image.new("L", (TEXTURE_W, TEXTURE_H), 100)  # below mid-grey: no damage
    grey.paste(200, (0, 0, 10, 10))  # above: damage
    buffer = io.BytesIO()
    grey.save(buffer, format="PNG")
    response = post_mask(api_client_for("curator"), record, buffer.getvalue(), "loss")
    assert response.status_code == 201, response.content
    correction = MaskCorrection.objects.get()
    assert correction.damage_class == "loss" and correction.author.username == "curator"
    with correction.mask.open("rb") as handle:
        stored = np.asarray(Image.open(handle))
    assert set(np.unique(stored)) == {0, 255} and (stored == 255).sum() == 100
    assert correction.pixel_share == pytest.approx(100 / (TEXTURE_W * TEXTURE_H))


def test_transparent_pixels_of_a_painted_mask_are_no_damage(api_client_for, checked) -> None:
    _, record = checked
    painted = Image.new("RGBA", (TEXTURE_W, TEXTURE_H), (255, 255, 255, 0))
    painted.paste((255, 255, 255, 255), (0, 0, 4, 4))
    buffer = io.BytesIO()
    painted.save(buffer, format="PNG")
    assert post_mask(api_client_for("curator"), record, buffer.getvalue()).status_code == 201
    assert MaskCorrection.objects.get().pixel_share == pytest.approx(16 / (TEXTURE_W * TEXTURE_H))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"this is not an image", "not an image"),
        (png(TEXTURE_W + 1, TEXTURE_H), "the texture is 64×32"),
        (png_header_only(10_000, 10_000), "limit is"),
        (b"", "empty"),
    ],
    ids=["not-an-image", "wrong-size", "100-megapixel-header", "empty"],
)
def test_bad_masks_are_refused_and_nothing_is_stored(api_client_for, checked, data, message):
    _, record = checked
    response = post_mask(api_client_for("curator"), record, data)
    assert response.status_code == 400
    assert message in str(response.json()), response.json()
    assert not MaskCorrection.objects.exists()


def test_unknown_class_is_refused(api_client_for, checked) -> None:
    _, record = checked
    response = post_mask(api_client_for("curator"), record, png(TEXTURE_W, TEXTURE_H), "mould")
    assert response.status_code == 400 and not MaskCorrection.objects.exists()


@pytest.mark.parametrize("role", ["anonymous", "visitor", "educator"])
def test_only_curators_correct_masks(api_client_for, checked, role) -> None:
    _, record = checked
    response = post_mask(api_client_for(role), record, png(TEXTURE_W, TEXTURE_H))
    assert response.status_code == 403 and not MaskCorrection.objects.exists()


def test_report_page_upload_form_saves_and_reports_errors(checked, curator) -> None:
    artifact, record = checked
    client = Client()
    client.force_login(curator)
    url = f"/artifacts/{artifact.pk}/condition/"
    good = upload("m.png", png(TEXTURE_W, TEXTURE_H, fill=255), "image/png")
    response = client.post(url, {"record": record.pk, "damage_class": "crack", "mask": good})
    assert response.status_code == 302 and MaskCorrection.objects.count() == 1
    bad = upload("m.png", png(8, 8), "image/png")
    response = client.post(
        url, {"record": record.pk, "damage_class": "crack", "mask": bad}, follow=True
    )
    assert "the texture is 64×32" in response.content.decode()
    assert MaskCorrection.objects.count() == 1
    anonymous = Client().post(url, {"record": record.pk, "damage_class": "crack"})
    assert anonymous.status_code == 403


# ------------------------------------------------------------------ report and PDF


def test_report_page_lists_findings_with_pictures(checked, curator) -> None:
    artifact, record = checked
    visibility.set_released(records=ConditionRecord.objects.filter(pk=record.pk), released=True)
    html = Client().get(f"/artifacts/{artifact.pk}/condition/").content.decode()
    for word in ("Crack", "Loss", "Corrosion", "Fading"):
        assert word in html
    assert record.model_version not in html  # staff only (#22 item 9, test_condition_words.py)
    assert record.texture.url in html and record.overlay.url in html
    assert record.explanation.url in html
    assert "data-mask-editor" not in html  # visitors do not get the editor
    client = Client()
    client.force_login(curator)
    assert "data-mask-editor" in client.get(f"/artifacts/{artifact.pk}/condition/").content.decode()


def test_pdf_is_a_real_pdf_with_the_findings(checked) -> None:
    artifact, record = checked
    visibility.set_released(records=ConditionRecord.objects.filter(pk=record.pk), released=True)
    response = Client().get(f"/artifacts/{artifact.pk}/condition.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) > 0
    text = "".join(page.extract_text() for page in reader.pages)
    assert artifact.object_number in text and record.model_version in text
    assert "Corrosion" in text
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 3  # texture, masks, Grad-CAM


def test_pdf_of_an_unchecked_artifact_says_so() -> None:
    artifact = make_textured_artifact()
    response = Client().get(f"/artifacts/{artifact.pk}/condition.pdf")
    reader = PdfReader(io.BytesIO(response.content))
    assert "No condition check" in reader.pages[0].extract_text()


def test_real_intake_of_a_textured_scan_runs_its_condition_check(
    tiny_weights, eager_celery, django_capture_on_commit_callbacks
) -> None:
    from exhibits.collection.services import start_job
    from exhibits.intake.services import INTAKE_KIND, run_intake_job
    from exhibits.models import Asset

    artifact = make_textured_artifact()
    source = artifact.assets.get(kind=Asset.Kind.SOURCE)
    intake = start_job(kind=INTAKE_KIND, artifact=artifact, input_asset=source)
    with django_capture_on_commit_callbacks(execute=True):
        intake = run_intake_job(job_id=intake.pk)
    assert intake.status == Job.Status.DONE, intake.error
    check = Job.objects.get(kind="condition", artifact=artifact)
    assert check.status == Job.Status.DONE, check.error
    record = ConditionRecord.objects.get(job=check)
    # The source texture at full size, scaled by the intake's normalisation (metres here).
    assert record.origin == "source" and record.width_px == TEXTURE_W
    assert record.metres_per_pixel == pytest.approx(0.003125, rel=1e-3)


# ------------------------------------------------------------------ admin and command


def test_admin_action_queues_checks_and_record_page_shows_pictures(checked, curator) -> None:
    artifact, record = checked
    client = Client()
    client.force_login(curator)
    response = client.post(
        "/admin/exhibits/artifact/",
        {"action": "run_condition_check_action", "_selected_action": [artifact.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert Job.objects.filter(kind="condition", status="queued", artifact=artifact).count() == 1
    page = client.get(f"/admin/restoration/conditionrecord/{record.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert record.overlay.url in html and record.findings.first().mask.url in html


def test_educator_cannot_queue_checks_from_the_admin(educator) -> None:
    artifact = make_textured_artifact()
    client = Client()
    client.force_login(educator)
    client.post(
        "/admin/exhibits/artifact/",
        {"action": "run_condition_check_action", "_selected_action": [artifact.pk]},
    )
    assert not Job.objects.filter(kind="condition").exists()


def test_export_command_writes_corrections(checked, tmp_path) -> None:
    from django.core.management import call_command

    _, record = checked
    services_mask = png(TEXTURE_W, TEXTURE_H, fill=255)
    from restoration.condition.services import save_mask_correction

    save_mask_correction(record=record, damage_class="fading", data=services_mask)
    out = io.StringIO()
    call_command("export_damage_corrections", str(tmp_path / "c"), stdout=out)
    assert "2 files (1 corrected masks)" in out.getvalue()
    assert (tmp_path / "c" / f"a{record.artifact_id}_r{record.pk}_fading.png").is_file()
