"""Flat works through the three doors (#20): `manage.py ingest IMAGE`, the API upload, the admin
upload; the staged image intake job; physical size and where it came from; refusals that keep
nothing."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from exhibits.imaging.services import ingest_image
from exhibits.intake.services import run_intake_job
from exhibits.intake.signals import intake_published
from exhibits.models import Artifact, ArtifactForm, Asset, Canvas, ImageService, Job
from tests.unit.factories import make_artifact, upload
from tests.unit.flat_images import gradient, png_with_header, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator_client(curator) -> Client:
    client = Client()
    client.force_login(curator)
    return client


def run_ingest(*args: str) -> dict:
    out = io.StringIO()
    call_command("ingest", *args, stdout=out)
    return json.loads(out.getvalue())


def stored_names(media_root: Path) -> list[str]:
    if not media_root.exists():
        return []
    return sorted(str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file())


def test_ingest_an_image_makes_a_flat_work_in_stages(
    tmp_path, media_root, django_capture_on_commit_callbacks
) -> None:
    path = write(gradient(1200, 800), tmp_path / "painting.tif")
    sent = []

    def receiver(sender, **kwargs):
        sent.append(kwargs["artifact_id"])

    intake_published.connect(receiver, dispatch_uid="test-flat")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            summary = run_ingest(
                str(path), "--title", "Harbour at dusk", "--width-cm", "60", "--height-cm", "40"
            )
    finally:
        intake_published.disconnect(dispatch_uid="test-flat")
    assert summary["status"] == "done", summary["error"]
    artifact = Artifact.objects.get(pk=summary["artifact_id"])
    assert artifact.form == ArtifactForm.FLAT and artifact.title == "Harbour at dusk"
    assert (artifact.width_m, artifact.height_m, artifact.dimensions_source) == (0.6, 0.4, "person")
    canvas = Canvas.objects.get(artifact=artifact)
    assert (canvas.width_px, canvas.height_px, canvas.order) == (1200, 800, 0)
    assert canvas.pixels_per_cm == 20.0 and canvas.scale_source == "curator"
    assert canvas.source.kind == Asset.Kind.SOURCE and canvas.source.format == "tiff"
    assert canvas.source.file.read() == path.read_bytes()  # stored untouched
    assert canvas.source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    web = canvas.web_image()
    assert web is not None and (web.width_px, web.height_px, web.format) == (1200, 800, "jpeg")
    thumbnail = artifact.thumbnail()
    assert thumbnail is not None and thumbnail.width_px == 512
    service = canvas.image_service()
    assert service is not None and (service.width, service.height) == (1200, 800)
    assert service.scale_factors == [1, 2, 4] and service.root == f"iiif/{service.identifier}/"
    assert (media_root / service.root / "info.json").is_file()
    assert summary["report"]["kind"] == "image" and summary["report"]["tiles"] > 8
    assert sent == [artifact.pk]


def test_the_scale_comes_from_the_catalogue_then_the_file(tmp_path) -> None:
    work = make_artifact(width_m=0.3, height_m=0.2)
    job = ingest_image(
        artifact=work, title="", path_or_file=write(gradient(), tmp_path / "a.png"),
        filename="a.png",
    )  # fmt: skip
    canvas = Canvas.objects.get(source=job.input_asset)
    assert (canvas.pixels_per_cm, canvas.scale_source) == (10.0, "catalogue")
    scan = write(gradient(), tmp_path / "scan.tif", xres=600 / 25.4, yres=600 / 25.4)
    job = ingest_image(artifact=None, title="A scan", path_or_file=scan, filename="scan.tif")
    canvas = Canvas.objects.get(source=job.input_asset)
    assert canvas.scale_source == "file"
    assert canvas.pixels_per_cm == pytest.approx(236.2205, rel=1e-4)
    assert canvas.artifact.width_m == pytest.approx(300 / 236.2205 / 100, rel=1e-3)
    assert canvas.artifact.dimensions_source == "measured"
    plain = ingest_image(
        artifact=None, title="Unknown size", path_or_file=write(gradient(), tmp_path / "p.jpg"),
        filename="p.jpg",
    )  # fmt: skip
    canvas = Canvas.objects.get(source=plain.input_asset)
    assert (canvas.pixels_per_cm, canvas.scale_source) == (None, "")


def test_recto_and_verso_are_canvases_in_order(tmp_path) -> None:
    first = ingest_image(
        artifact=None, title="Leaf", path_or_file=write(gradient(), tmp_path / "r.png"),
        filename="r.png", label="recto",
    )  # fmt: skip
    work = first.artifact
    assert work is not None
    ingest_image(
        artifact=work, title="", path_or_file=write(gradient(200, 300), tmp_path / "v.png"),
        filename="v.png", label="verso",
    )  # fmt: skip
    labels = list(work.canvases.values_list("order", "label", "width_px"))
    assert labels == [(0, "recto", 300), (1, "verso", 200)]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bomb.png", png_with_header(60_000, 60_000), "3600 megapixels"),
        ("notes.jpg", b"no picture here\n" * 10, "is not an image we read"),
        ("renamed.tif", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "named .tif but its content is PNG"),
    ],
)
def test_a_refused_image_stores_nothing(tmp_path, media_root, name, content, message) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run_ingest(str(path), "--title", "Refused")
    assert not Artifact.objects.exists() and not Asset.objects.exists()
    assert stored_names(media_root) == []


def test_damage_found_while_reading_fails_the_job_and_keeps_nothing_half_made(
    tmp_path, media_root
) -> None:
    data = bytes(gradient(600, 400).jpegsave_buffer(Q=95))
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2] + b"\xff\xd9")
    with pytest.raises(CommandError, match="damaged or incomplete"):
        run_ingest(str(path), "--title", "Cut")
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED and job.report["error_code"] == "corrupt"
    # The source stays (evidence, as for scans); no derivative, no tiles.
    assert list(Asset.objects.values_list("kind", flat=True)) == ["source"]
    assert not ImageService.objects.exists()
    assert [n for n in stored_names(media_root) if "/source/" not in n] == []


def test_a_failed_tiles_stage_keeps_nothing(tmp_path, media_root, monkeypatch) -> None:
    from exhibits.imaging import intake_job

    real = intake_job.write_tiles

    def broken(*args, **kwargs):
        real(*args, **kwargs)  # every tile written, then the disk fills
        raise OSError("disk full")

    monkeypatch.setattr(intake_job, "write_tiles", broken)
    path = write(gradient(), tmp_path / "work.png")
    with pytest.raises(CommandError, match="disk full"):
        run_ingest(str(path), "--title", "Half")
    assert list(Asset.objects.values_list("kind", flat=True)) == ["source"]
    assert not ImageService.objects.exists()
    left = list((media_root / "iiif").rglob("*")) if (media_root / "iiif").exists() else []
    assert left == []


def test_a_failed_service_keeps_the_web_copy_and_no_tiles(
    tmp_path, media_root, monkeypatch
) -> None:
    from exhibits.imaging import intake_job

    def broken(**kwargs):
        raise OSError("database gone")

    monkeypatch.setattr(intake_job, "_publish_service", broken)
    path = write(gradient(), tmp_path / "work.png")
    with pytest.raises(CommandError, match="web copy is published"):
        run_ingest(str(path), "--title", "Half")
    assert Asset.objects.filter(kind=Asset.Kind.IMAGE).count() == 1
    left = list((media_root / "iiif").rglob("*")) if (media_root / "iiif").exists() else []
    assert left == []


def test_a_retry_replaces_the_rows_and_tiles(
    tmp_path, media_root, django_capture_on_commit_callbacks
) -> None:
    summary = run_ingest(str(write(gradient(), tmp_path / "work.png")), "--title", "Twice")
    job = Job.objects.get(pk=summary["job_id"])
    first = ImageService.objects.get()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED, attempts=0)
    with django_capture_on_commit_callbacks(execute=True):
        run_intake_job(job_id=job.pk)
    second = ImageService.objects.get()
    assert second.identifier != first.identifier
    assert Asset.objects.filter(kind=Asset.Kind.IMAGE).count() == 1
    assert not (media_root / first.root).exists()


def test_api_upload_of_an_image_adds_a_canvas_and_queues_intake(curator_api) -> None:
    artifact = make_artifact()
    data = bytes(gradient().pngsave_buffer())
    response = curator_api.post(
        f"/api/artifacts/{artifact.pk}/assets/",
        {"file": upload("front.png", data), "label": "recto", "width_cm": "15"},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    job = Job.objects.get(pk=response.json()["job_id"])
    assert job.status == "queued" and job.input_asset.format == "png"
    canvas = Canvas.objects.get(artifact=artifact)
    assert (canvas.label, canvas.pixels_per_cm, canvas.scale_source) == ("recto", 20.0, "curator")
    artifact.refresh_from_db()
    assert artifact.form == ArtifactForm.FLAT


def test_api_refuses_an_animated_gif_with_its_reason(curator_api, media_root) -> None:
    from tests.unit.test_imaging_raster import gif_bytes

    artifact = make_artifact()
    response = curator_api.post(
        f"/api/artifacts/{artifact.pk}/assets/",
        {"file": upload("loop.gif", gif_bytes(3))},
        format="multipart",
    )
    assert response.status_code == 400
    assert "An animated GIF is not accepted" in json.dumps(response.json())
    assert not Asset.objects.exists() and stored_names(media_root) == []


def test_admin_upload_of_an_image_queues_its_intake(curator_client) -> None:
    artifact = make_artifact()
    response = curator_client.post(
        reverse("admin:exhibits_asset_add"),
        {"artifact": artifact.pk, "upload": upload("leaf.jpg", jpeg())},
    )
    assert response.status_code == 302
    assert Job.objects.get(input_asset__artifact=artifact).status == "queued"
    assert Canvas.objects.filter(artifact=artifact).count() == 1


def jpeg() -> bytes:
    return bytes(gradient().jpegsave_buffer())


def test_the_artifact_admin_lists_its_canvases(curator_client, tmp_path) -> None:
    job = ingest_image(
        artifact=None, title="Leaf", path_or_file=write(gradient(), tmp_path / "r.png"),
        filename="r.png", label="recto", width_cm=30,
    )  # fmt: skip
    run_intake_job(job_id=job.pk)
    page = curator_client.get(reverse("admin:exhibits_artifact_change", args=[job.artifact_id]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "recto" in html and "300 × 200" in html and "info.json" in html


def test_ingest_runs_here_and_queues_only_with_queue(
    tmp_path, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from museum import jobs

    sent = []
    monkeypatch.setattr(jobs, "enqueue", lambda job: sent.append(job.pk))
    path = write(gradient(), tmp_path / "work.png")
    with django_capture_on_commit_callbacks(execute=True):
        here = run_ingest(str(path), "--title", "Here")
    assert here["status"] == "done" and here["job_id"] not in sent
    with django_capture_on_commit_callbacks(execute=True):
        queued = run_ingest(str(path), "--title", "Queued", "--queue")
    assert queued["status"] == "queued" and queued["job_id"] in sent
