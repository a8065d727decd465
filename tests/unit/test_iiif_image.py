"""The IIIF Image API 3 level-0 service of flat works (#20): info.json, a tile at every level,
only the layout's files, the access rule of every file (drafts' tiles refused to visitors), and
tiles deleted with the work."""

from __future__ import annotations

import hashlib
import math
from urllib.parse import unquote, urlsplit

import pytest
from django.test import Client

from exhibits.collection import services as collection
from exhibits.imaging.services import ingest_image
from exhibits.intake.services import run_intake_job
from exhibits.models import Artifact, ImageService, PublicationStatus
from tests.unit.flat_images import gradient, write
from tests.unit.test_media_s3 import BUCKET, PREFIX, _keys, s3  # noqa: F401

pytestmark = pytest.mark.django_db
WIDTH, HEIGHT = 1100, 700


@pytest.fixture
def service(tmp_path, django_capture_on_commit_callbacks) -> ImageService:
    path = write(gradient(WIDTH, HEIGHT), tmp_path / "work.png")
    with django_capture_on_commit_callbacks(execute=True):
        job = ingest_image(artifact=None, title="A flat work", path_or_file=path, filename="w.png")
        job = run_intake_job(job_id=job.pk)
    assert job.status == "done", job.error
    Artifact.objects.filter(pk=job.artifact_id).update(status=PublicationStatus.PUBLISHED)
    return ImageService.objects.select_related("asset__artifact").get()


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def tile_urls(service: ImageService) -> list[str]:
    """Every tile an IIIF client asks for at every level (OpenSeadragon's arithmetic)."""
    base = f"/iiif/3/{service.identifier}"
    urls = []
    for scale in service.scale_factors:
        span = service.tile_size * scale
        level_w, level_h = math.ceil(service.width / scale), math.ceil(service.height / scale)
        if level_w <= service.tile_size and level_h <= service.tile_size:
            urls.append(f"{base}/full/{level_w},{level_h}/0/default.jpg")
            continue
        for x in range(0, service.width, span):
            for y in range(0, service.height, span):
                w, h = min(span, service.width - x), min(span, service.height - y)
                size = f"{math.ceil(w / scale)},{math.ceil(h / scale)}"
                urls.append(f"{base}/{x},{y},{w},{h}/{size}/0/default.jpg")
    return urls


def test_info_json_names_the_service_by_its_url(service) -> None:
    response = Client().get(f"/iiif/3/{service.identifier}/info.json")
    assert response.status_code == 200
    info = response.json()
    assert info["id"] == f"http://testserver/iiif/3/{service.identifier}"
    assert info["type"] == "ImageService3" and info["profile"] == "level0"
    assert (info["width"], info["height"]) == (WIDTH, HEIGHT)
    assert info["tiles"] == [{"width": 512, "scaleFactors": [1, 2, 4]}]
    assert info["sizes"] == [{"width": 275, "height": 175}]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Content-Type"] == "application/json"
    ld = Client().get(f"/iiif/3/{service.identifier}/info.json", HTTP_ACCEPT="application/ld+json")
    assert ld["Content-Type"].startswith("application/ld+json")
    base = Client().get(f"/iiif/3/{service.identifier}")
    assert base.status_code == 303 and base["Location"].endswith("/info.json")


def test_a_tile_at_every_level(service) -> None:
    urls = tile_urls(service)
    assert len(urls) == 6 + 2 + 1
    client = Client()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "image/jpeg"
        body = b"".join(response.streaming_content)
        assert body[:3] == b"\xff\xd8\xff"


def test_only_the_level_zero_files_exist(service) -> None:
    base = f"/iiif/3/{service.identifier}"
    client = Client()
    served = client.get(f"{base}/512,0,512,512/512,512/0/default.jpg")  # a region it serves
    assert served.status_code == 200
    for path in (
        "0,0,100,100/100,100/0/default.jpg",  # a region outside the layout
        "full/max/0/default.jpg",
        "0,0,512,512/256,256/0/default.jpg",  # another size
        "0,0,512,512/512,512/90/default.jpg",
        "0,0,512,512/512,512/0/gray.jpg",
        "0,0,512,512/512,512/0/default.png",
        "..%2F..%2Fsecret/512,512/0/default.jpg",
    ):
        assert client.get(f"{base}/{path}").status_code == 404, path
    assert client.get("/iiif/3/img-unknown/info.json").status_code == 404


@pytest.mark.parametrize(
    ("role", "status"), [("anonymous", 404), ("visitor", 404), ("curator", 200)]
)
def test_a_drafts_tiles_are_refused_to_visitors(service, make_user, role, status) -> None:
    Artifact.objects.filter(pk=service.asset.artifact_id).update(status=PublicationStatus.DRAFT)
    client = client_for(make_user(role))
    info = client.get(f"/iiif/3/{service.identifier}/info.json")
    tile = client.get(tile_urls(service)[0])
    assert (info.status_code, tile.status_code) == (status, status)
    if status == 200:
        assert "Access-Control-Allow-Origin" not in info  # a draft is never shared cross-site
        assert tile["Cache-Control"] == "private, no-store"


def test_scaled_profile_hands_the_tile_to_nginx(service, settings) -> None:
    settings.MOUSEION_MEDIA_ACCEL_PREFIX = "/protected-media/"
    response = Client().get(tile_urls(service)[0])
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == (
        f"/protected-media/iiif/{service.identifier}/0,0,512,512/512,512/0/default.jpg"
    )


def test_deleting_the_work_deletes_its_tiles(
    service, media_root, django_capture_on_commit_callbacks
) -> None:
    folder = media_root / service.root
    assert (folder / "info.json").is_file()
    with django_capture_on_commit_callbacks(execute=True):
        collection.delete_artifact(artifact=service.asset.artifact)
    assert not folder.exists()
    assert not ImageService.objects.exists()


def test_tiles_in_a_bucket(tmp_path, s3, django_capture_on_commit_callbacks) -> None:  # noqa: F811
    """Media on S3 (moto): tiles are private objects written through the storage; a tile
    answers a redirect to a presigned URL of its key; deleting the work deletes the objects."""
    path = write(gradient(600, 400), tmp_path / "work.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        job = ingest_image(artifact=None, title="In a bucket", path_or_file=path, filename="w.jpg")
        job = run_intake_job(job_id=job.pk)
    assert job.status == "done", job.error
    Artifact.objects.filter(pk=job.artifact_id).update(status=PublicationStatus.PUBLISHED)
    service = ImageService.objects.get()
    assert service.asset.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    keys = {key for key in _keys(s3) if "/iiif/" in key}
    assert f"{PREFIX}/{service.root}info.json" in keys and len(keys) > 2
    info = Client().get(f"/iiif/3/{service.identifier}/info.json")
    assert info.json()["id"] == f"http://testserver/iiif/3/{service.identifier}"
    tile = Client().get(f"/iiif/3/{service.identifier}/0,0,512,400/512,400/0/default.jpg")
    assert tile.status_code == 302 and tile["Cache-Control"] == "private, no-store"
    location = urlsplit(tile["Location"])
    assert unquote(location.path) == (
        f"/{BUCKET}/{PREFIX}/{service.root}0,0,512,400/512,400/0/default.jpg"
    )
    assert "X-Amz-Signature=" in location.query
    with django_capture_on_commit_callbacks(execute=True):
        collection.delete_artifact(artifact=Artifact.objects.get(pk=job.artifact_id))
    assert not {key for key in _keys(s3) if "/iiif/" in key}


@pytest.mark.parametrize(("width", "height"), [(300, 200), (512, 300), (1101, 701)])
def test_every_url_openseadragon_asks_for_exists(tmp_path, width, height) -> None:
    """OpenSeadragon's arithmetic (IIIFTileSource.getTileUrl, version 3): `max` for the full
    size, `full` for a level within one tile, ceil for odd edges."""
    path = write(gradient(width, height), tmp_path / "work.png")
    job = ingest_image(artifact=None, title="Sizes", path_or_file=path, filename="w.png")
    run_intake_job(job_id=job.pk)
    Artifact.objects.filter(pk=job.artifact_id).update(status=PublicationStatus.PUBLISHED)
    service = ImageService.objects.get()
    base, tile = f"/iiif/3/{service.identifier}", service.tile_size
    client = Client()
    for scale_factor in service.scale_factors:
        scale = 1 / scale_factor
        level_w, level_h = math.ceil(width * scale), math.ceil(height * scale)
        if level_w < tile and level_h < tile:
            size = "max" if (level_w, level_h) == (width, height) else f"{level_w},{level_h}"
            urls = [f"{base}/full/{size}/0/default.jpg"]
        else:
            urls = []
            step = round(tile / scale)
            for x in range(math.ceil(level_w / tile)):
                for y in range(math.ceil(level_h / tile)):
                    rx, ry = x * step, y * step
                    rw, rh = min(step, width - rx), min(step, height - ry)
                    region = (
                        "full"
                        if (rx, ry, rw, rh) == (0, 0, width, height)
                        else (f"{rx},{ry},{rw},{rh}")
                    )
                    sw, sh = min(tile, level_w - x * tile), min(tile, level_h - y * tile)
                    size = "max" if (sw, sh) == (width, height) else f"{sw},{sh}"
                    urls.append(f"{base}/{region}/{size}/0/default.jpg")
        for url in urls:
            assert client.get(url).status_code == 200, url
