"""Media on S3-compatible object storage (issue #17), against moto's in-process S3.

The switch: filesystem unless MOUSEION_MEDIA_STORAGE=s3, then museum.media_storage's private
S3 backend, configured from the environment; public or unsigned configurations are refused.
The media view on S3 decides exactly as on disk (the hostile scene of #16): a hostile reader
gets a 404 naming no URL, key or bucket; an authorised one a 302 to a short-lived presigned
URL of the object's key, which returns the bytes; "stream" sends them through Django. Files
are private objects, derived files are written through the storage, and the orphan clean-up
lists the bucket."""

from __future__ import annotations

import mimetypes
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.test import Client
from moto import mock_aws

from exhibits.collection.services import delete_unreferenced_job_files
from exhibits.models import Asset
from museum import media  # noqa: F401  (registers the glTF types the view answers with)
from museum.media_storage import PrivateS3Storage
from tests.unit.factories import glb_bytes, make_artifact, make_source, make_thumbnail
from tests.unit.test_hostile_access import (  # noqa: F401  (the #16 scene, a fixture)
    HOSTILE_ROLES,
    MEDIA_TARGETS,
    Scene,
    _body,
    _client,
    assert_no_leak,
    scene,
)

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "mouseion-test-media"
PREFIX = "museum-media"
ENDPOINT = "https://s3.us-east-1.amazonaws.com"  # never reached: moto answers in-process
EXPIRY = 120
S3_ENV = ("MOUSEION_MEDIA_STORAGE", "MOUSEION_S3_BUCKET", "MOUSEION_S3_ACL")


# ------------------------------------------------------------------ the switch (settings)


def _settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> dict[str, Any]:
    """museum/settings.py evaluated afresh under `env` (its module globals)."""
    for name in S3_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MOUSEION_VAR_DIR", str(tmp_path / "var"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "museum" / "settings.py"))


def test_media_stay_on_the_filesystem_by_default(monkeypatch, tmp_path) -> None:
    default = _settings(monkeypatch, tmp_path)["STORAGES"]["default"]
    assert default["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_s3_is_configured_from_the_environment(monkeypatch, tmp_path) -> None:
    loaded = _settings(
        monkeypatch,
        tmp_path,
        MOUSEION_MEDIA_STORAGE="s3",
        MOUSEION_S3_BUCKET=BUCKET,
        MOUSEION_S3_ENDPOINT_URL="http://minio.internal:9000",
        MOUSEION_S3_REGION="eu-central-1",
        MOUSEION_S3_ADDRESSING_STYLE="path",
        MOUSEION_S3_PREFIX=PREFIX,
        MOUSEION_S3_URL_EXPIRY="90",
    )
    default = loaded["STORAGES"]["default"]
    assert default["BACKEND"] == "museum.media_storage.PrivateS3Storage"
    options = default["OPTIONS"]
    assert options["bucket_name"] == BUCKET
    assert options["endpoint_url"] == "http://minio.internal:9000"
    assert options["region_name"] == "eu-central-1"
    assert options["addressing_style"] == "path"
    assert options["location"] == PREFIX
    assert options["default_acl"] == "private"
    assert options["querystring_auth"] is True
    assert options["querystring_expire"] == 90
    assert options["signature_version"] == "s3v4"
    assert options["file_overwrite"] is False
    # The static files stay where they are; only media move.
    assert "S3" not in loaded["STORAGES"]["staticfiles"]["BACKEND"]


@pytest.mark.parametrize(
    "env",
    [
        {"MOUSEION_MEDIA_STORAGE": "s3"},  # no bucket
        {"MOUSEION_MEDIA_STORAGE": "gcs"},
        {"MOUSEION_MEDIA_DELIVERY": "public-url"},
    ],
)
def test_an_incomplete_or_unknown_media_setting_refuses_to_start(
    monkeypatch, tmp_path, env: dict[str, str]
) -> None:
    with pytest.raises(ImproperlyConfigured):
        _settings(monkeypatch, tmp_path, **env)


@pytest.mark.parametrize(
    "options",
    [
        {"default_acl": "public-read"},
        {"default_acl": "public-read-write"},
        {"querystring_auth": False},
        {"custom_domain": "media.example.org"},
    ],
)
def test_a_public_or_unsigned_bucket_configuration_is_refused(options: dict) -> None:
    with pytest.raises(ImproperlyConfigured):
        PrivateS3Storage(bucket_name=BUCKET, **options)


@pytest.mark.parametrize("acl", ["private", "bucket-owner-full-control", None])
def test_private_acls_are_accepted(acl: str | None) -> None:
    assert PrivateS3Storage(bucket_name=BUCKET, default_acl=acl).default_acl == acl


# ------------------------------------------------------------------ media on moto's S3


@pytest.fixture
def s3(settings) -> Iterator[Any]:
    """Default storage on a fresh moto bucket; yields a boto3 client of that S3."""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1", endpoint_url=ENDPOINT)
        client.create_bucket(Bucket=BUCKET)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "museum.media_storage.PrivateS3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "endpoint_url": ENDPOINT,
                    "region_name": "us-east-1",
                    "addressing_style": "path",
                    "location": PREFIX,
                    "default_acl": "private",
                    "querystring_expire": EXPIRY,
                    "signature_version": "s3v4",
                    "file_overwrite": False,
                    "access_key": "testing",
                    "secret_key": "testing",
                },
            },
        }
        settings.MOUSEION_MEDIA_DELIVERY = "redirect"
        settings.MOUSEION_MEDIA_ACCEL_PREFIX = "/protected-media/"  # ignored for objects
        yield client


def _keys(client: Any) -> set[str]:
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {entry["Key"] for entry in listed}


def _assert_presigned(location: str, name: str, content_type: str) -> None:
    parts = urlsplit(location)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}" == ENDPOINT
    assert parts.path == f"/{BUCKET}/{PREFIX}/{name}"
    assert query["X-Amz-Signature"] and query["X-Amz-Credential"]
    assert int(query["X-Amz-Expires"][0]) == EXPIRY
    assert query["response-content-type"] == [content_type]


@pytest.mark.django_db
def test_files_are_private_objects_linked_through_the_media_view(s3: Any) -> None:
    source = make_source(make_artifact(), name="scan.glb")
    thumbnail = make_thumbnail(source)  # a derived file, written through the storage
    for asset in (source, thumbnail):
        key = f"{PREFIX}/{asset.file.name}"
        assert key in _keys(s3)
        assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == asset.file.read()
        grants = s3.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
        assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
        assert all("URI" not in grant["Grantee"] for grant in grants)  # no AllUsers group
        # Pages, API and exports link the site's media view, never the bucket.
        assert asset.file.url == f"/media/{asset.file.name}"
    assert s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{source.file.name}")["Body"].read() == (
        glb_bytes()
    )


@pytest.mark.django_db
def test_a_public_file_redirects_to_a_presigned_url_of_its_key(s3: Any) -> None:
    thumbnail = make_thumbnail(make_source(make_artifact()))
    response = Client().get(thumbnail.file.url)
    assert response.status_code == 302
    _assert_presigned(response["Location"], thumbnail.file.name, "image/png")
    # The URL expires: the redirect is never kept by a shared cache, nor sent via nginx.
    assert response["Cache-Control"] == "private, no-store"
    assert "X-Accel-Redirect" not in response
    fetched = requests.get(response["Location"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.content[:4] == b"\x89PNG"
    assert fetched.headers["Content-Type"] == "image/png"


@pytest.mark.django_db
def test_private_objects_answer_404_without_a_url(s3: Any, scene: Scene, make_user) -> None:  # noqa: F811
    """Every hostile attempt of #16 on S3 (one scene, built once: it is slow)."""
    for role in HOSTILE_ROLES:
        for target in MEDIA_TARGETS:
            if role == "educator" and target == "draft stop's tour audio":
                continue  # the tour's author hears its audio (museum.view_tourstop)
            response = _client(make_user, role).get(f"/media/{scene.private[target]}")
            assert response.status_code == 404, (role, target)
            assert "Location" not in response
            body = _body(response)
            for leak in (b"X-Amz", BUCKET.encode(), b"amazonaws", b"\x89PNG", b"glTF"):
                assert leak not in body, (role, target, leak)
            assert_no_leak(scene, response, f"{role}: {target}")


@pytest.mark.django_db
def test_a_curator_is_redirected_to_each_private_object(s3: Any, scene: Scene, make_user) -> None:  # noqa: F811
    """The control: each URL above names a real object, and the right role gets it."""
    for target in MEDIA_TARGETS:
        name = scene.private[target]
        role = "educator" if "tour audio" in target else "curator"
        response = _client(make_user, role).get(f"/media/{name}")
        assert response.status_code == 302, target
        _assert_presigned(response["Location"], name, _content_type(name))
        stored = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{name}")["Body"].read()
        assert requests.get(response["Location"], timeout=10).content == stored, target


def _content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


@pytest.mark.django_db
def test_stream_delivery_sends_the_object_through_django(s3: Any, settings) -> None:
    settings.MOUSEION_MEDIA_DELIVERY = "stream"
    thumbnail = make_thumbnail(make_source(make_artifact()))
    response = Client().get(thumbnail.file.url)
    assert response.status_code == 200
    assert "Location" not in response and "X-Accel-Redirect" not in response
    body = _body(response)
    assert (
        body == s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{thumbnail.file.name}")["Body"].read()
    )
    assert int(response["Content-Length"]) == len(body)
    assert response["Cache-Control"].startswith("public")
    # A row whose object is gone answers 404, as a missing file on disk does.
    s3.delete_object(Bucket=BUCKET, Key=f"{PREFIX}/{thumbnail.file.name}")
    assert Client().get(thumbnail.file.url).status_code == 404


@pytest.mark.django_db
def test_orphan_clean_up_lists_and_deletes_objects(s3: Any) -> None:
    source = make_source(make_artifact())
    storage = Asset._meta.get_field("file").storage
    folder = f"artifacts/{source.artifact_id}/lod"
    orphan = storage.save(f"{folder}/job7-scan-web.glb", ContentFile(b"orphan"))
    other_job = storage.save(f"{folder}/job8-scan-web.glb", ContentFile(b"other job"))
    kept = Asset.objects.create(
        artifact=source.artifact,
        kind=Asset.Kind.LOD,
        label="web",
        derived_from=source,
        sha256="0" * 64,
        byte_size=1,
        format="glb",
    )
    kept.file.save("job7-scan-thumb.glb", ContentFile(b"referenced"), save=True)
    assert kept.file.name.startswith(f"artifacts/{source.artifact_id}/")
    delete_unreferenced_job_files(
        artifact_id=source.artifact_id, job_pk=7, kinds=(Asset.Kind.LOD, Asset.Kind.THUMBNAIL)
    )
    keys = _keys(s3)
    assert f"{PREFIX}/{orphan}" not in keys
    assert f"{PREFIX}/{other_job}" in keys
    assert f"{PREFIX}/{kept.file.name}" in keys
    assert f"{PREFIX}/{source.file.name}" in keys
