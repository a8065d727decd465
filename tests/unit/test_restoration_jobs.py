"""Restoration jobs end to end on real files: a textured GLB with a condition record whose crack
mask is known -> the surface job inpaints it (Telea, so no weights are needed); a holed sphere
-> the shape job fills it; duplicate deliveries, failures, review rules and visibility."""

from __future__ import annotations

import io

import numpy as np
import pytest
import trimesh
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw

from exhibits.collection import services as exhibit_services
from exhibits.intake.gltf import load_glb
from exhibits.models import Artifact, Asset, Job
from restoration.mesh import open_edge_count
from restoration.mesh.confidence import ShapeConfidence
from restoration.models import ConditionRecord, DamageFinding, MaskCorrection, RestorationJob
from restoration.restore import services as rs
from restoration.restore.files import GENERATED_NODE, decode_texture, uv_mask
from tests.unit.factories import ROLES, make_artifact, png_bytes, upload
from tests.unit.mesh_shapes import sphere_with_hole

pytestmark = pytest.mark.django_db
SIZE = 96
TELEA = {"method": "telea"}


def texture() -> Image.Image:
    """Smooth colour ramps: inpainting a thin crack in them is easy to judge."""
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    rgb = np.stack([120 + x, 90 + y, 60 + (x + y) // 4], axis=2).clip(0, 255).astype(np.uint8)
    return Image.fromarray(rgb)


def crack_mask() -> np.ndarray:
    image = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(image).line([(10, 20), (80, 70)], fill=255, width=3)
    return np.asarray(image) > 127


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.where(array, 255, 0).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def cracked_texture() -> Image.Image:
    rgb = np.asarray(texture()).copy()
    rgb[crack_mask()] = (20, 15, 10)
    return Image.fromarray(rgb)


def textured_quad_glb(image: Image.Image) -> bytes:
    vertices = [[0, 0, 0], [0.2, 0, 0], [0.2, 0.2, 0], [0, 0.2, 0]]
    visual = trimesh.visual.TextureVisuals(uv=[[0, 0], [1, 0], [1, 1], [0, 1]], image=image)
    mesh = trimesh.Trimesh(vertices, [[0, 1, 2], [0, 2, 3]], visual=visual, process=False)
    return mesh.export(file_type="glb")


def artifact_with_condition(
    *, published: bool = True, classes: dict[str, np.ndarray] | None = None
) -> tuple[Artifact, ConditionRecord]:
    """A textured artifact and a finished condition check whose findings are `classes`."""
    artifact = make_artifact(published=published)
    source = exhibit_services.store_source_asset(
        artifact=artifact, upload=upload("quad.glb", textured_quad_glb(cracked_texture())),
        filename="quad.glb",
    )  # fmt: skip
    check = Job.objects.create(
        kind="condition", artifact=artifact, status=Job.Status.DONE, finished_at=timezone.now()
    )
    record = ConditionRecord.objects.create(
        artifact=artifact, job=check, source_asset=source, origin=ConditionRecord.Origin.SOURCE,
        image_index=0, width_px=SIZE, height_px=SIZE, model_version="test",
        texture=ContentFile(png_bytes(SIZE), name="t0.png"),
    )  # fmt: skip
    for name, mask in (classes if classes is not None else {"crack": crack_mask()}).items():
        DamageFinding.objects.create(
            record=record, damage_class=name, pixel_share=float(mask.mean()),
            mask=ContentFile(png(mask), name=f"t0-{name}.png"),
        )  # fmt: skip
    return artifact, record


def run(artifact: Artifact, kind: str = "surface", **options) -> RestorationJob:
    job = rs.request_restoration(artifact=artifact, kind=kind, options=options or TELEA)
    return rs.run_restoration_job(job_id=job.pk)


def read_png(asset: Asset) -> np.ndarray:
    with asset.file.open("rb") as handle:
        return np.asarray(Image.open(io.BytesIO(handle.read())).convert("RGB"))


# ------------------------------------------------------------------------- surface


def test_surface_job_restores_the_crack_and_leaves_everything_else(media_root) -> None:
    artifact, record = artifact_with_condition()
    job = run(artifact)
    assert job.status == RestorationJob.Status.DONE, job.error
    assert job.progress == 100 and job.device in ("cpu", "cuda:0")
    assert set(job.timings) >= {"read", "inpaint"}
    assert job.condition_record == record and job.source_asset.kind == Asset.Kind.SOURCE
    restored = read_png(job.restored_texture)
    before = np.asarray(cracked_texture())
    mask = crack_mask()
    assert (restored[~mask] == before[~mask]).all(), "unmasked pixels changed"
    # The crack was near black; the fill follows the ramps around it.
    error = np.abs(restored[mask].astype(int) - np.asarray(texture())[mask]).mean()
    assert error < 15, error
    assert (read_png(job.generated_mask)[..., 0] > 127).tolist() == mask.tolist()
    for asset in (job.restored_texture, job.restored_model, job.generated_mask):
        assert asset.kind == Asset.Kind.RESTORED and asset.derived_from == job.source_asset
    assert job.restored_model.label == "surface" and job.restored_model.format == "glb"
    # The restored GLB carries the restored texture, the source is untouched.
    with job.restored_model.file.open("rb") as handle:
        mesh = load_glb(handle.read())
    embedded = np.asarray(mesh.visual.material.baseColorTexture.convert("RGB"))
    assert (embedded == restored).all()
    with job.source_asset.file.open("rb") as handle:
        assert handle.read() == textured_quad_glb(cracked_texture())
    [region] = job.regions.all()
    assert region.kind == "texture" and region.damage_class == "crack"
    assert region.method == "telea" and region.size == int(mask.sum())
    assert 0 <= region.confidence <= 1 and region.candidates[0]["method"] == "telea"
    assert job.report["skipped_classes"]["fading"]


def test_a_duplicate_delivery_writes_one_asset(media_root) -> None:
    artifact, _ = artifact_with_condition()
    job = run(artifact)
    again = rs.run_restoration_job(job_id=job.pk)
    assert again.status == RestorationJob.Status.DONE
    assert Asset.objects.filter(artifact=artifact, kind=Asset.Kind.RESTORED).count() == 3
    assert job.regions.count() == 1
    # A job another worker is running is left to it.
    running = rs.request_restoration(artifact=artifact, kind="surface", options=TELEA)
    RestorationJob.objects.filter(pk=running.pk).update(status="running")
    assert rs.run_restoration_job(job_id=running.pk).status == "running"
    assert Asset.objects.filter(artifact=artifact, kind=Asset.Kind.RESTORED).count() == 3


def test_task_runs_once_through_celery(
    media_root, eager_celery, django_capture_on_commit_callbacks
) -> None:
    from restoration.tasks import restore_artifact

    artifact, _ = artifact_with_condition()
    with django_capture_on_commit_callbacks(execute=True):
        job = rs.request_restoration(artifact=artifact, kind="surface", options=TELEA)
    job.refresh_from_db()
    assert job.status == RestorationJob.Status.DONE, job.error
    restore_artifact.delay(job.pk)  # a duplicate delivery
    assert Asset.objects.filter(artifact=artifact, label="surface").count() == 1


def test_a_curator_correction_replaces_the_finding(media_root) -> None:
    artifact, record = artifact_with_condition()
    corrected = np.zeros((SIZE, SIZE), dtype=bool)
    corrected[40:50, 40:60] = True
    MaskCorrection.objects.create(
        record=record, damage_class="crack", mask=ContentFile(png(corrected), name="c.png")
    )
    job = run(artifact)
    assert (read_png(job.generated_mask)[..., 0] > 127).sum() == corrected.sum()


def test_fading_is_skipped_with_its_reason(media_root) -> None:
    fading = np.zeros((SIZE, SIZE), dtype=bool)
    fading[:, :50] = True
    artifact, _ = artifact_with_condition(classes={"fading": fading})
    job = run(artifact)
    assert job.status == RestorationJob.Status.FAILED
    assert "Nothing to restore" in job.error
    assert not Asset.objects.filter(artifact=artifact, kind=Asset.Kind.RESTORED).exists()


def test_no_condition_record_fails_with_a_clear_message(media_root) -> None:
    job = run(make_artifact())
    assert job.status == RestorationJob.Status.FAILED
    assert job.error == "No condition record: run a condition check of this artifact first."
    assert job.finished_at is not None


def test_bad_inputs_fail_the_job_with_the_reason(media_root) -> None:
    artifact, record = artifact_with_condition()
    finding = record.findings.get()
    finding.mask.save("wrong.png", ContentFile(png(np.ones((10, 12), dtype=bool))))
    job = run(artifact)
    assert job.status == RestorationJob.Status.FAILED
    assert "12x10 px but the texture is 96x96 px" in job.error
    whole, _ = artifact_with_condition(classes={"loss": np.ones((SIZE, SIZE), dtype=bool)})
    assert "covers the whole image" in run(whole).error
    with pytest.raises(ValidationError):
        rs.request_restoration(artifact=artifact, kind="colour")
    with pytest.raises(ValidationError):
        rs.request_restoration(artifact=artifact, kind="surface", options={"method": "magic"})


def test_sixteen_bit_textures_are_refused() -> None:
    buffer = io.BytesIO()
    Image.new("I;16", (4, 4)).save(buffer, format="PNG")
    with pytest.raises(ValueError, match="16-bit"):
        decode_texture(buffer.getvalue())
    palette = io.BytesIO()
    texture().convert("P").save(palette, format="PNG")
    rgb, alpha = decode_texture(palette.getvalue())
    assert rgb.shape == (SIZE, SIZE, 3) and alpha is None


def test_pending_requests_share_one_job(media_root) -> None:
    artifact, _ = artifact_with_condition()
    first = rs.request_restoration(artifact=artifact, kind="surface")
    assert rs.request_restoration(artifact=artifact, kind="surface") == first
    assert rs.request_restoration(artifact=artifact, kind="shape") != first


# ------------------------------------------------------------------------- shape


def holed_sphere_artifact(*, textured: bool) -> Artifact:
    holed, _ = sphere_with_hole(subdivisions=3, hole_radius=0.5, uv=True)
    if textured:
        holed.visual = trimesh.visual.TextureVisuals(uv=holed.visual.uv, image=texture())
    else:
        holed.visual = trimesh.visual.ColorVisuals()
    artifact = make_artifact()
    exhibit_services.store_source_asset(
        artifact=artifact, upload=upload("s.glb", holed.export(file_type="glb")), filename="s.glb"
    )
    return artifact


def test_shape_job_fills_the_hole_and_the_texture_under_it(media_root) -> None:
    artifact = holed_sphere_artifact(textured=True)
    job = run(artifact, "shape")
    assert job.status == RestorationJob.Status.DONE, job.error
    with job.restored_model.file.open("rb") as handle:
        data = handle.read()
    mesh = load_glb(data)
    assert open_edge_count(mesh.faces, mesh.vertices) == 0
    scene = trimesh.load(io.BytesIO(data), file_type="glb")
    assert GENERATED_NODE in scene.graph.nodes
    [region] = job.regions.all()
    assert region.kind == "geometry" and region.damage_class == "hole" and region.size > 0
    methods = {candidate["method"] for candidate in region.candidates}
    assert methods == {"cgal", "curvature", "fill", "symmetry", "revolve", "fan"}
    assert (
        region.method
        == min((c for c in region.candidates if c["score"] is not None), key=lambda c: c["score"])[
            "method"
        ]
    )
    # A smooth sphere hole: the rehearsal predicts the known ring well, so the calibrated
    # confidence (committed mesh_fill.confidence.json) is high, and it is the terms' ring error's.
    chosen = next(c for c in region.candidates if c["method"] == region.method)
    calibration = ShapeConfidence.load()
    assert calibration is not None
    assert region.confidence == calibration.confidence(chosen["terms"]["ring_error"])
    assert region.confidence is not None and 0.8 < region.confidence <= 1.0
    assert "texels under the new faces inpainted" in job.report["texture"]
    mask = read_png(job.generated_mask)[..., 0] > 127
    assert mask.any() and job.restored_texture.label == "shape-texture"
    # Texels the original faces use are never repainted.
    holed, _ = sphere_with_hole(subdivisions=3, hole_radius=0.5, uv=True)
    used = uv_mask(holed.visual.uv, holed.faces, SIZE, SIZE)
    restored = read_png(job.restored_texture)
    assert (restored[used] == np.asarray(texture())[used]).all()


def test_untextured_shape_says_so_and_a_closed_mesh_fails(media_root) -> None:
    job = run(holed_sphere_artifact(textured=False), "shape")
    assert job.status == RestorationJob.Status.DONE, job.error
    assert job.report["texture"].startswith("the mesh has no texture")
    assert job.restored_texture is None and job.generated_mask is None
    closed = make_artifact()
    box = trimesh.creation.box().export(file_type="glb")
    exhibit_services.store_source_asset(
        artifact=closed, upload=upload("b.glb", box), filename="b.glb"
    )
    failed = run(closed, "shape")
    assert failed.status == RestorationJob.Status.FAILED and failed.error == "No holes to restore."
    assert run(make_artifact(), "shape").error == "The artifact has no 3D model to restore."


# ------------------------------------------------------------------------- review


def test_accepting_one_unaccepts_the_previous_and_only_done_jobs_are_reviewed(
    media_root, curator
) -> None:
    artifact, _ = artifact_with_condition()
    first, second = run(artifact), run(artifact)
    assert first.pk != second.pk
    rs.accept_restoration(job=first, user=curator, note="good")
    rs.accept_restoration(job=second, user=curator)
    first.refresh_from_db()
    assert first.review == "pending" and "Superseded" in first.review_note
    second.refresh_from_db()
    assert second.review == "accepted" and second.reviewed_by == curator
    rs.reject_restoration(job=second, user=curator, note="seam visible")
    second.refresh_from_db()
    assert second.review == "rejected" and second.review_note == "seam visible"
    queued = rs.request_restoration(artifact=artifact, kind="shape")
    with pytest.raises(ValidationError, match="Only a finished restoration"):
        rs.accept_restoration(job=queued, user=curator)
    failed = run(make_artifact())
    with pytest.raises(ValidationError):
        rs.reject_restoration(job=failed, user=curator)


@pytest.mark.parametrize("role", ROLES)
def test_visibility_by_role(media_root, make_user, curator, role: str) -> None:
    artifact, _ = artifact_with_condition()
    accepted, rejected, pending = run(artifact), run(artifact), run(artifact)
    rs.accept_restoration(job=accepted, user=curator)
    rs.reject_restoration(job=rejected, user=curator)
    user = make_user(role) if role != "curator" else curator
    if user is None:
        from django.contrib.auth.models import AnonymousUser

        user = AnonymousUser()
    seen = set(rs.visible_restorations(artifact=artifact, user=user))
    if role in ("curator", "superuser"):
        assert seen == {accepted, rejected, pending}
    else:
        assert seen == {accepted}


def test_the_task_is_routed_to_the_gpu_queue() -> None:
    from museum.celery import app as celery_app
    from restoration.tasks import restore_artifact

    assert restore_artifact.name == "restoration.tasks.restore" and restore_artifact.acks_late
    route = celery_app.amqp.router.route({}, restore_artifact.name, args=(1,), kwargs={})
    assert route["queue"].name == "gpu"
