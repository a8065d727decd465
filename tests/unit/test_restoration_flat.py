"""The surface restoration of a flat work (restoration.restore.flat): the crack the condition
check found on the image inpainted by cells, the restored image a RESTORED asset derived from
the source with its own IIIF service, a generated-regions mask at the web copy's size, review
and visibility as for textures."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from django.contrib.auth.models import User
from PIL import Image

from exhibits.collection.visibility import may_see_asset
from exhibits.models import Artifact, Asset, ImageService, Job
from restoration.condition import services as condition
from restoration.models import RestorationJob
from restoration.restore import flat
from restoration.restore import services as rs
from tests.unit.test_condition_flat import CRACK, HEIGHT, WIDTH, make_flat_work, painting

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def model():
    from restoration.damage import load_model

    return load_model(device="cpu")


@pytest.fixture
def checked(model) -> Artifact:
    artifact = make_flat_work()
    job = condition.request_condition_check(artifact=artifact)
    assert condition.run_condition_job(job_id=job.pk, model=model).status == Job.Status.DONE
    return artifact


def decoded(asset: Asset) -> np.ndarray:
    with asset.file.open("rb") as handle:
        return np.asarray(Image.open(io.BytesIO(handle.read())).convert("RGB")).astype(int)


def test_the_crack_is_inpainted_by_cells_into_a_new_image_with_its_service(
    checked, monkeypatch
) -> None:
    monkeypatch.setattr(flat, "CELL", 256)  # the crack crosses cells and bands
    monkeypatch.setattr(flat, "MARGIN", 48)
    job = rs.request_restoration(
        artifact=checked, kind=RestorationJob.Kind.SURFACE, options={"method": "telea"}
    )
    job = rs.run_restoration_job(job_id=job.pk)
    assert job.status == Job.Status.DONE, job.error
    canvas = checked.canvases.get()
    restored = job.restored_texture
    assert restored.kind == Asset.Kind.RESTORED and restored.derived_from == canvas.source
    assert (restored.width_px, restored.height_px) == (WIDTH, HEIGHT)
    before, after = painting().astype(int), decoded(restored)
    assert after.shape == before.shape
    cx, cy, cw, ch = CRACK
    crack = before.sum(axis=2) < 150  # the dark drawn line
    assert crack[cy : cy + ch, cx : cx + cw].sum() > 500
    assert after.sum(axis=2)[crack].mean() > before.sum(axis=2)[crack].mean() + 150
    outside = np.ones(crack.shape, bool)
    outside[cy - 8 : cy + ch + 8, cx - 8 : cx + cw + 8] = False
    assert np.abs(after - before)[outside].mean() < 2.0  # JPEG rounding only
    service = ImageService.objects.get(asset=restored)
    assert (service.width, service.height) == (WIDTH, HEIGHT)
    with restored.file.storage.open(f"{service.root}info.json") as handle:
        assert json.load(handle)["width"] == WIDTH
    mask = job.generated_mask
    assert (mask.width_px, mask.height_px) == (500, 350)
    generated = decoded(mask)[..., 0] > 0
    assert generated[cy // 2 : (cy + ch) // 2, cx // 2 : (cx + cw) // 2].any()
    assert not generated[:, : cx // 2 - 8].any()
    assert job.regions.count() >= 2  # one per cell the crack crosses
    for region in job.regions.all():  # the inpainter's crops (damage + context), per cell
        x0, y0, x1, y1 = region.bbox
        assert x0 < cx + cw and cx < x1 and y0 < cy + ch and cy < y1
        assert x1 - x0 <= 256 and y1 - y0 <= 256 and region.damage_class == "crack"
    [entry] = job.report["canvases"]
    assert entry["canvas"] == canvas.pk and entry["service"] == service.identifier


def test_visitors_see_the_restored_image_once_accepted(checked) -> None:
    job = rs.request_restoration(
        artifact=checked, kind=RestorationJob.Kind.SURFACE, options={"method": "telea"}
    )
    job = rs.run_restoration_job(job_id=job.pk)
    curator = User.objects.create_superuser("curator", "c@example.org", "pw")
    from django.contrib.auth.models import AnonymousUser

    assert not may_see_asset(job.restored_texture, AnonymousUser())
    assert flat.flat_work_restorations(checked, AnonymousUser()) == []
    from django.test import Client

    info_url = (
        f"/iiif/3/{ImageService.objects.get(asset=job.restored_texture).identifier}/info.json"
    )
    assert Client().get(info_url).status_code == 404  # pending: its tiles are not public
    [pending] = flat.flat_work_restorations(checked, curator)
    assert pending["review"] == "pending"
    rs.accept_restoration(job=job, user=curator)
    job.restored_texture.refresh_from_db()
    assert may_see_asset(job.restored_texture, AnonymousUser())
    [shown] = flat.flat_work_restorations(checked, AnonymousUser())
    service = ImageService.objects.get(asset=job.restored_texture)
    assert shown["info_url"] == f"/iiif/3/{service.identifier}/info.json"
    assert shown["generated_regions_url"] == job.generated_mask.file.url
    response = Client().get(info_url)
    assert response.status_code == 200 and response.json()["width"] == WIDTH
    assert Client().get(shown["generated_regions_url"]).status_code == 200
    assert shown["canvas"] == checked.canvases.get().pk


def test_shape_restoration_of_a_flat_work_is_refused(checked) -> None:
    job = rs.request_restoration(artifact=checked, kind=RestorationJob.Kind.SHAPE)
    job = rs.run_restoration_job(job_id=job.pk)
    assert job.status == Job.Status.FAILED and "flat work" in job.error


def test_a_failed_publication_leaves_no_image_mask_or_tiles(checked, monkeypatch) -> None:
    from restoration.restore import flat_publish

    def refuse(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(flat_publish.jobs, "complete", refuse)
    job = rs.request_restoration(
        artifact=checked, kind=RestorationJob.Kind.SURFACE, options={"method": "telea"}
    )
    job = rs.run_restoration_job(job_id=job.pk)
    assert job.status == Job.Status.FAILED and "disk full" in job.error
    assert not Asset.objects.filter(artifact=checked, kind=Asset.Kind.RESTORED).exists()
    assert not ImageService.objects.filter(asset__artifact=checked).exists()
    storage = checked.canvases.get().source.file.storage
    folders, files = storage.listdir("iiif") if storage.exists("iiif") else ([], [])
    assert folders == [] and files == []


def test_a_correction_drawn_at_the_web_copys_size_is_restored_at_full_size(checked) -> None:
    from restoration.condition import corrections
    from restoration.models import ConditionRecord

    [record] = ConditionRecord.objects.filter(artifact=checked)
    small = np.zeros((350, 500), np.uint8)
    small[10:20, 10:40] = 255  # a loss the detector missed, in the web copy's pixels
    buffer = io.BytesIO()
    Image.fromarray(small).save(buffer, format="PNG")
    corrections.save_mask_correction(record=record, damage_class="loss", data=buffer.getvalue())
    job = rs.request_restoration(
        artifact=checked, kind=RestorationJob.Kind.SURFACE, options={"method": "telea"}
    )
    job = rs.run_restoration_job(job_id=job.pk)
    assert job.status == Job.Status.DONE, job.error
    assert "loss" in job.report["canvases"][0]["classes"]
    generated = decoded(job.generated_mask)[..., 0] > 0
    assert generated[10:20, 10:40].all() and not generated[25:60, 45:100].any()
    assert any(r.bbox[0] <= 20 and r.bbox[1] <= 20 for r in job.regions.all())


def test_a_damaged_source_image_fails_the_restoration_with_a_reason(checked) -> None:
    from django.core.files.base import ContentFile

    source = checked.canvases.get().source
    with source.file.open("rb") as handle:
        data = handle.read()
    name = source.file.name
    source.file.storage.delete(name)
    source.file.storage.save(name, ContentFile(data[: len(data) // 2]))
    job = rs.request_restoration(
        artifact=checked, kind=RestorationJob.Kind.SURFACE, options={"method": "telea"}
    )
    job = rs.run_restoration_job(job_id=job.pk)
    assert job.status == Job.Status.FAILED and "damaged or incomplete" in job.error
    assert not Asset.objects.filter(artifact=checked, kind=Asset.Kind.RESTORED).exists()
