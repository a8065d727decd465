"""A curator's mask corrections belong to the texture, not to one condition record: they carry
forward to every later check of the same texture (report, API, PDF, restoration, export) until a
curator retires them, and no re-run, redelivery, failure or superseded attempt of a condition job
loses them or their files. Each `test_survives_*` / `test_carried_*` case is one edit-survival
case (CASES counts them for the closing note)."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
import trimesh
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw
from rest_framework.test import APIClient

from exhibits.collection import services as exhibit_services
from exhibits.models import Job
from museum import jobs
from restoration.condition import corrections, services
from restoration.condition.pdf import condition_pdf
from restoration.models import ConditionRecord, MaskCorrection
from restoration.restore.runs import _damage_masks
from tests.unit.factories import upload
from tests.unit.test_condition_services import (
    TEXTURE_H,
    TEXTURE_W,
    make_textured_artifact,
    run_check,
)

pytestmark = pytest.mark.django_db
CASES = 9  # edit-survival cases in this file (the test names starting test_survives/test_carried)


@pytest.fixture(scope="module")
def tiny_model():
    from restoration.damage import build_model

    return build_model("damage_unet_tiny", device="cpu")


def mask_png(box: tuple[int, int, int, int] = (0, 0, 15, 7)) -> bytes:
    mask = Image.new("L", (TEXTURE_W, TEXTURE_H), 0)
    ImageDraw.Draw(mask).rectangle(box, fill=255)
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    return buffer.getvalue()


def correct(record: ConditionRecord, curator, damage_class: str = "crack") -> MaskCorrection:
    return services.save_mask_correction(
        record=record, damage_class=damage_class, data=mask_png(), author=curator, note="by hand"
    )


def alive(correction: MaskCorrection) -> bool:
    """The correction's row and its mask file both exist."""
    correction = MaskCorrection.objects.get(pk=correction.pk)
    return correction.mask.storage.exists(correction.mask.name)


def latest(artifact) -> ConditionRecord:
    _job, records = services.latest_records(artifact)
    [record] = records
    return record


def stale(job: Job) -> None:
    died = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=died)


def test_carried_forward_to_a_new_check(tiny_model, curator, client, tmp_path: Path) -> None:
    artifact = make_textured_artifact()
    first = ConditionRecord.objects.get(job=run_check(artifact, tiny_model))
    assert first.texture_key.startswith(f"{TEXTURE_W}x{TEXTURE_H}-")
    correction = correct(first, curator)
    second_job = run_check(artifact, tiny_model)  # e.g. queued by a new intake
    second = latest(artifact)
    assert second.job == second_job and second.pk != first.pk
    assert second.texture_key == first.texture_key
    assert [c.pk for c in second.applied_corrections] == [correction.pk]
    # The API and the report page show it on the new record; the PDF counts it.
    api = APIClient()
    api.force_login(curator)
    body = api.get(reverse("condition:api-condition", args=[artifact.pk])).json()
    [shown] = body["records"]
    assert shown["id"] == second.pk and [c["id"] for c in shown["corrections"]] == [correction.pk]
    client.force_login(curator)
    page = client.get(reverse("condition:report", args=[artifact.pk])).content.decode()
    assert correction.mask.url in page
    job, records = services.latest_records(artifact)
    assert condition_pdf(artifact=artifact, job=job, records=records).startswith(b"%PDF")
    # A restoration reads the carried correction as the crack mask.
    masks = _damage_masks(second, TEXTURE_W, TEXTURE_H)
    assert int(masks["crack"].sum()) == 16 * 8 and masks["crack"][:8, :16].all()
    # The export pairs it with the newest record's texture.
    written = services.export_corrections(out_dir=tmp_path / "out")
    name = f"a{artifact.pk}_r{second.pk}"
    assert sorted(p.name for p in written) == [f"{name}.png", f"{name}_crack.png"]
    assert alive(correction)


def test_survives_a_redelivered_job_run_twice(tiny_model, curator) -> None:
    artifact = make_textured_artifact()
    job = run_check(artifact, tiny_model)
    first = ConditionRecord.objects.get(job=job)
    correction = correct(first, curator)
    # A duplicate delivery of the finished job changes nothing.
    assert services.run_condition_job(job_id=job.pk, model=tiny_model).status == Job.Status.DONE
    assert list(ConditionRecord.objects.filter(job=job)) == [first] and alive(correction)
    # The same job claimed again (its worker was presumed dead) replaces its records...
    stale(job)
    services.run_condition_job(job_id=job.pk, model=tiny_model)
    [replaced] = ConditionRecord.objects.filter(job=job)
    assert replaced.pk != first.pk
    # ...and the correction and its file survive, now on the new record.
    assert alive(correction)
    assert MaskCorrection.objects.get(pk=correction.pk).record == replaced
    assert [c.pk for c in latest(artifact).applied_corrections] == [correction.pk]
    # A third run too.
    stale(job)
    services.run_condition_job(job_id=job.pk, model=tiny_model)
    assert alive(correction) and [c.pk for c in latest(artifact).applied_corrections] == [
        correction.pk
    ]


def test_survives_a_failed_attempt_clean_up(tiny_model, curator) -> None:
    artifact = make_textured_artifact()
    job = run_check(artifact, tiny_model)
    correction = correct(ConditionRecord.objects.get(job=job), curator)
    stale(job)
    claimed = jobs.claim(Job, job.pk)
    assert claimed is not None
    jobs.fail(claimed, RuntimeError("worker lost"))  # removes the attempt's records
    assert not ConditionRecord.objects.filter(job=job).exists()
    assert alive(correction) and MaskCorrection.objects.get(pk=correction.pk).record is None
    # The next check of the same texture picks it up again.
    run_check(artifact, tiny_model)
    assert [c.pk for c in latest(artifact).applied_corrections] == [correction.pk]


def test_survives_a_superseded_attempt_that_fails(tiny_model, curator) -> None:
    artifact = make_textured_artifact()
    job = services.request_condition_check(artifact=artifact)
    old_attempt = jobs.claim(Job, job.pk)
    assert old_attempt is not None
    stale(job)  # attempt 1 is presumed dead; attempt 2 runs and publishes
    services.run_condition_job(job_id=job.pk, model=tiny_model)
    [record] = ConditionRecord.objects.filter(job=job)
    correction = correct(record, curator)
    # Attempt 1 was alive after all and now fails: it owns nothing, so it removes nothing.
    jobs.fail(old_attempt, RuntimeError("late failure"))
    assert Job.objects.get(pk=job.pk).status == Job.Status.DONE
    assert list(ConditionRecord.objects.filter(job=job)) == [record] and alive(correction)


def test_survives_a_superseded_attempt_that_publishes(tiny_model, curator) -> None:
    artifact = make_textured_artifact()
    job = services.request_condition_check(artifact=artifact)
    old_attempt = jobs.claim(Job, job.pk)
    stale(job)
    services.run_condition_job(job_id=job.pk, model=tiny_model)
    [record] = ConditionRecord.objects.filter(job=job)
    correction = correct(record, curator)
    files_before = sorted(p.name for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())
    with pytest.raises(jobs.Superseded):
        services._check(old_attempt, tiny_model)
    files_after = sorted(p.name for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())
    assert files_after == files_before  # the superseded attempt wrote no file
    assert list(ConditionRecord.objects.filter(job=job)) == [record] and alive(correction)


def test_carried_until_retired(tiny_model, curator, tmp_path: Path) -> None:
    artifact = make_textured_artifact()
    first = ConditionRecord.objects.get(job=run_check(artifact, tiny_model))
    kept, retired = correct(first, curator, "crack"), correct(first, curator, "loss")
    api = APIClient()
    api.force_login(curator)
    url = reverse("condition:api-retire-correction", args=[retired.pk])
    assert api.post(url).status_code == 200
    retired.refresh_from_db()
    assert retired.retired_at is not None and retired.retired_by == curator
    assert api.post(url).json()["retired_at"] is not None  # again: unchanged
    run_check(artifact, tiny_model)
    second = latest(artifact)
    assert [c.pk for c in second.applied_corrections] == [kept.pk]
    assert alive(retired)  # kept as a record, with its file
    written = services.export_corrections(out_dir=tmp_path / "out")
    assert not any(p.name.endswith("_loss.png") for p in written)


def test_carried_only_to_the_same_texture(tiny_model, curator) -> None:
    artifact = make_textured_artifact()
    first = ConditionRecord.objects.get(job=run_check(artifact, tiny_model))
    correction = correct(first, curator)
    # A new scan with another texture: the mask no longer fits it, so it does not apply.
    image = Image.new("RGB", (TEXTURE_W, TEXTURE_H), (20, 120, 200))
    visual = trimesh.visual.TextureVisuals(uv=[[0, 0], [1, 0], [1, 1], [0, 1]], image=image)
    mesh = trimesh.Trimesh(
        [[0, 0, 0], [0.2, 0, 0], [0.2, 0.1, 0], [0, 0.1, 0]], [[0, 1, 2], [0, 2, 3]],
        visual=visual, process=False,
    )  # fmt: skip
    other = mesh.export(file_type="glb")
    exhibit_services.store_source_asset(
        artifact=artifact, upload=upload("new.glb", other), filename="new.glb"
    )
    run_check(artifact, tiny_model)
    second = latest(artifact)
    assert second.texture_key != first.texture_key
    assert second.applied_corrections == [] and alive(correction)
    assert [c.pk for c in ConditionRecord.objects.get(pk=first.pk).applied_corrections] == [
        correction.pk
    ]


def test_carried_through_the_admin_retire_action(tiny_model, curator, client) -> None:
    artifact = make_textured_artifact()
    record = ConditionRecord.objects.get(job=run_check(artifact, tiny_model))
    correction = correct(record, curator)
    client.force_login(curator)
    changelist = reverse("admin:restoration_maskcorrection_changelist")
    assert client.get(changelist).status_code == 200
    response = client.post(
        changelist, {"action": "retire", "_selected_action": [correction.pk]}, follow=True
    )
    assert response.status_code == 200
    correction.refresh_from_db()
    assert correction.retired_by == curator and alive(correction)
    assert ConditionRecord.objects.get(pk=record.pk).applied_corrections == []


def test_survives_the_deletion_of_old_records(tiny_model, curator) -> None:
    artifact = make_textured_artifact()
    first = ConditionRecord.objects.get(job=run_check(artifact, tiny_model))
    correction = correct(first, curator)
    run_check(artifact, tiny_model)
    ConditionRecord.objects.filter(pk=first.pk).delete()  # e.g. old checks pruned
    assert alive(correction)
    assert [c.pk for c in latest(artifact).applied_corrections] == [correction.pk]


def test_attach_fills_many_records_in_one_query(tiny_model, curator, django_assert_num_queries):
    artifact = make_textured_artifact()
    record = ConditionRecord.objects.get(job=run_check(artifact, tiny_model))
    correct(record, curator)
    records = list(ConditionRecord.objects.filter(artifact=artifact))
    with django_assert_num_queries(1):
        corrections.attach(records)
    assert [len(r.applied_corrections) for r in records] == [1]


def test_the_case_count_is_true() -> None:
    names = [name for name in globals() if name.startswith(("test_survives", "test_carried"))]
    assert len(names) == CASES
