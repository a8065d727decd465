"""Condition services with a real (tiny, random-weight) damage model on a real textured GLB."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import trimesh
from django.conf import settings
from django.utils import timezone
from PIL import Image, ImageDraw

from exhibits.intake.glb_document import GltfDocument
from exhibits.models import Artifact, Asset, Job
from restoration.condition import services
from restoration.condition.textures import base_colour_textures, glb_has_base_colour
from restoration.models import ConditionRecord, DamageFinding
from tests.unit.factories import make_artifact, make_source, upload

pytestmark = pytest.mark.django_db
TEXTURE_W, TEXTURE_H = 64, 32
QUAD_W_M, QUAD_H_M = 0.2, 0.1  # the quad's size; its UVs cover the whole texture once


def texture_image() -> Image.Image:
    image = Image.new("RGB", (TEXTURE_W, TEXTURE_H), (196, 170, 130))
    ImageDraw.Draw(image).line([(4, 4), (60, 28)], fill=(30, 25, 20), width=2)  # a crack
    return image


def textured_glb() -> bytes:
    """A 0.2 m × 0.1 m quad whose UVs span a 64 × 32 texture: 3.125 mm per pixel."""
    vertices = [[0, 0, 0], [QUAD_W_M, 0, 0], [QUAD_W_M, QUAD_H_M, 0], [0, QUAD_H_M, 0]]
    faces = [[0, 1, 2], [0, 2, 3]]
    uv = [[0, 0], [1, 0], [1, 1], [0, 1]]
    visual = trimesh.visual.TextureVisuals(uv=uv, image=texture_image())
    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, visual=visual, process=False)
    return mesh.export(file_type="glb")


def make_textured_artifact(*, published: bool = True) -> Artifact:
    artifact = make_artifact(published=published)
    from exhibits.collection import services as exhibit_services

    exhibit_services.store_source_asset(
        artifact=artifact, upload=upload("quad.glb", textured_glb()), filename="quad.glb"
    )
    return artifact


@pytest.fixture(scope="module")
def tiny_model():
    from restoration.damage import build_model

    return build_model("damage_unet_tiny", device="cpu")


@pytest.fixture
def tiny_weights(settings, tmp_path: Path, tiny_model) -> Path:
    """MOUSEION_DAMAGE_WEIGHTS pointed at a tiny random checkpoint (what the task loads)."""
    from restoration.damage import save_weights

    path = save_weights(tiny_model, tmp_path / "tiny.pt")
    settings.MOUSEION_DAMAGE_WEIGHTS = str(path)
    return path


def run_check(artifact: Artifact, model: object) -> Job:
    job = services.request_condition_check(artifact=artifact)
    return services.run_condition_job(job_id=job.pk, model=model)


def test_texture_scale_comes_from_surface_and_uv_area() -> None:
    document = GltfDocument.from_glb(textured_glb())
    [texture] = base_colour_textures(document)
    assert texture.metres_per_pixel(TEXTURE_W, TEXTURE_H) == pytest.approx(0.003125)
    # The intake's normalisation (here: the scan was in half-metres) scales it.
    [scaled] = base_colour_textures(document, np.diag([2.0, 2.0, 2.0, 1.0]))
    assert scaled.metres_per_pixel(TEXTURE_W, TEXTURE_H) == pytest.approx(0.00625)


def test_uv_coverage_marks_the_texels_the_mesh_uses() -> None:
    [quad] = base_colour_textures(GltfDocument.from_glb(textured_glb()))
    assert quad.coverage(TEXTURE_W, TEXTURE_H).all()
    # One triangle of the quad: UVs (0,0) (1,0) (1,1) cover the texels where v <= u.
    vertices = [[0, 0, 0], [QUAD_W_M, 0, 0], [QUAD_W_M, QUAD_H_M, 0]]
    visual = trimesh.visual.TextureVisuals(uv=[[0, 0], [1, 0], [1, 1]], image=texture_image())
    mesh = trimesh.Trimesh(vertices=vertices, faces=[[0, 1, 2]], visual=visual, process=False)
    [half] = base_colour_textures(GltfDocument.from_glb(mesh.export(file_type="glb")))
    covered = half.coverage(TEXTURE_W, TEXTURE_H)
    # trimesh writes UVs with v flipped (glTF's v runs down the image).
    v, u = np.mgrid[0:TEXTURE_H, 0:TEXTURE_W]
    u, v = (u + 0.5) / TEXTURE_W, (v + 0.5) / TEXTURE_H
    expected = (1 - v) <= u
    assert (covered == expected).mean() > 0.95
    assert 0.45 < covered.mean() < 0.55
    # Half the UV area for half the surface: the same scale.
    assert half.metres_per_pixel(TEXTURE_W, TEXTURE_H) == pytest.approx(0.003125)


def test_untextured_geometry_has_no_base_colour_texture() -> None:
    document = GltfDocument.from_glb(trimesh.creation.box().export(file_type="glb"))
    assert base_colour_textures(document) == []


def test_base_colour_check_reads_the_json_chunk_and_refuses_garbage() -> None:
    assert glb_has_base_colour(io.BytesIO(textured_glb()))
    assert not glb_has_base_colour(io.BytesIO(trimesh.creation.box().export(file_type="glb")))
    assert not glb_has_base_colour(io.BytesIO(b"not a glb file at all"))
    assert not glb_has_base_colour(io.BytesIO(textured_glb()[:40]))  # truncated JSON


def test_condition_job_stores_a_record_with_findings_and_pictures(tiny_model) -> None:
    artifact = make_textured_artifact()
    job = run_check(artifact, tiny_model)
    assert job.status == Job.Status.DONE, job.error
    assert job.progress == 100 and job.kind == "condition"
    [record] = ConditionRecord.objects.filter(artifact=artifact)
    assert record.job == job and record.origin == "source"
    assert record.source_asset.kind == Asset.Kind.SOURCE
    assert (record.width_px, record.height_px) == (TEXTURE_W, TEXTURE_H)
    assert record.metres_per_pixel == pytest.approx(0.003125)
    assert record.model_version == tiny_model.version
    assert record.texture.name.startswith(f"condition/{artifact.pk}/")
    for field in (record.texture, record.overlay, record.probability, record.explanation):
        with field.open("rb") as handle, Image.open(handle) as image:
            assert image.size[0] > 0
    findings = {finding.damage_class: finding for finding in record.findings.all()}
    assert set(findings) == {"crack", "loss", "corrosion", "fading"}
    for finding in findings.values():
        with finding.mask.open("rb") as handle:
            mask = np.asarray(Image.open(handle))
        assert mask.shape == (TEXTURE_H, TEXTURE_W)
        assert set(np.unique(mask)) <= {0, 255}
        assert finding.pixel_share == pytest.approx((mask == 255).mean())
        expected_cm2 = (mask == 255).sum() * (0.003125 * 100) ** 2
        assert finding.area_cm2 == pytest.approx(expected_cm2, abs=1e-3)
    assert job.report["textures"] == 1 and job.report["origin"] == "source"


def test_areas_count_only_texels_the_mesh_uses(tiny_model) -> None:
    vertices = [[0, 0, 0], [QUAD_W_M, 0, 0], [QUAD_W_M, QUAD_H_M, 0]]
    visual = trimesh.visual.TextureVisuals(uv=[[0, 0], [1, 0], [1, 1]], image=texture_image())
    mesh = trimesh.Trimesh(vertices=vertices, faces=[[0, 1, 2]], visual=visual, process=False)
    artifact = make_artifact()
    from exhibits.collection import services as exhibit_services

    data = mesh.export(file_type="glb")
    exhibit_services.store_source_asset(
        artifact=artifact, upload=upload("half.glb", data), filename="half.glb"
    )
    job = run_check(artifact, tiny_model)
    record = ConditionRecord.objects.get(job=job)
    assert 0.45 < record.summary["uv_covered_share"] < 0.55
    v, u = np.mgrid[0:TEXTURE_H, 0:TEXTURE_W]
    used = (1 - (v + 0.5) / TEXTURE_H) <= (u + 0.5) / TEXTURE_W
    cm2_per_pixel = (0.003125 * 100) ** 2
    for finding in record.findings.all():
        with finding.mask.open("rb") as handle:
            mask = np.asarray(Image.open(handle)) == 255
        assert finding.pixel_share == pytest.approx(mask.mean())  # of the whole texture
        expected = (mask & used).sum() * cm2_per_pixel
        assert abs(finding.area_cm2 - expected) <= 0.05 * used.size * cm2_per_pixel


def test_finished_job_is_left_alone_and_a_crashed_one_replaces_its_records(tiny_model) -> None:
    artifact = make_textured_artifact()
    job = run_check(artifact, tiny_model)
    first = ConditionRecord.objects.get(job=job)
    # A duplicate delivery of a finished job changes nothing.
    again = services.run_condition_job(job_id=job.pk, model=tiny_model)
    assert again.status == Job.Status.DONE
    assert list(ConditionRecord.objects.filter(job=job)) == [first]
    # A worker that died after storing: once its job is older than the hard time limit the
    # broker's redelivery claims it again (museum.jobs), and replaces, never duplicates.
    died = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=died)
    services.run_condition_job(job_id=job.pk, model=tiny_model)
    records = list(ConditionRecord.objects.filter(job=job))
    assert len(records) == 1 and records[0].pk != first.pk
    assert DamageFinding.objects.filter(record__job=job).count() == 4


def test_artifact_without_colour_texture_finishes_with_nothing_to_analyse(tiny_model) -> None:
    artifact = make_artifact()
    make_source(artifact)
    job = run_check(artifact, tiny_model)
    assert job.status == Job.Status.DONE
    assert job.report["textures"] == 0
    assert not ConditionRecord.objects.exists()


def test_an_unreadable_texture_is_reported_not_hidden(tiny_model) -> None:
    artifact = make_artifact()
    document = GltfDocument.from_glb(textured_glb())
    document.replace_image(0, b"not an image at all", "image/png")
    from exhibits.collection import services as exhibit_services

    exhibit_services.store_source_asset(
        artifact=artifact, upload=upload("bad.glb", document.to_glb()), filename="bad.glb"
    )
    job = run_check(artifact, tiny_model)
    assert job.status == Job.Status.DONE and job.report["textures"] == 0
    assert "cannot be read" in job.report["problems"][0]


def test_a_model_that_cannot_run_fails_the_job_with_its_reason() -> None:
    artifact = make_textured_artifact()
    job = run_check(artifact, model=object())  # not a damage model
    assert job.status == Job.Status.FAILED and job.error
    assert job.finished_at is not None and not ConditionRecord.objects.exists()


def test_repeated_requests_share_the_pending_job() -> None:
    artifact = make_textured_artifact()
    first = services.request_condition_check(artifact=artifact)
    assert services.request_condition_check(artifact=artifact) == first
    assert Job.objects.filter(kind="condition").count() == 1


def test_task_runs_the_job_once(tiny_weights, eager_celery, django_capture_on_commit_callbacks):
    artifact = make_textured_artifact()
    with django_capture_on_commit_callbacks(execute=True):
        job = services.request_condition_check(artifact=artifact)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error
    assert ConditionRecord.objects.filter(job=job).count() == 1
    from restoration.tasks import condition_check_task

    condition_check_task.delay(job.pk)  # a duplicate delivery
    assert ConditionRecord.objects.filter(job=job).count() == 1
    assert condition_check_task.name.startswith("restoration.tasks.")  # routed to `gpu`


def test_after_intake_only_textured_models_are_checked() -> None:
    textured = make_textured_artifact()
    plain = make_artifact()
    make_source(plain)
    assert services.check_condition_after_intake(artifact_id=plain.pk) is None
    job = services.check_condition_after_intake(artifact_id=textured.pk)
    assert job is not None and job.status == Job.Status.QUEUED
    # Never raises, even for an artifact that is gone.
    assert services.check_condition_after_intake(artifact_id=10**9) is None


def test_export_corrections_writes_the_finetune_layout(tiny_model, tmp_path: Path) -> None:
    artifact = make_textured_artifact()
    job = run_check(artifact, tiny_model)
    record = ConditionRecord.objects.get(job=job)
    mask = Image.new("L", (TEXTURE_W, TEXTURE_H), 0)
    ImageDraw.Draw(mask).rectangle([0, 0, 15, 7], fill=255)
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    services.save_mask_correction(record=record, damage_class="crack", data=buffer.getvalue())
    written = services.export_corrections(out_dir=tmp_path / "out")
    name = f"a{artifact.pk}_r{record.pk}"
    assert sorted(path.name for path in written) == [f"{name}.png", f"{name}_crack.png"]
    exported = np.asarray(Image.open(tmp_path / "out" / f"{name}_crack.png"))
    assert exported.shape == (TEXTURE_H, TEXTURE_W) and (exported == 255).sum() == 16 * 8
    with Image.open(tmp_path / "out" / f"{name}.png") as texture:
        assert texture.size == (TEXTURE_W, TEXTURE_H) and texture.mode == "RGB"
