"""Media through the real nginx (issues #16, #17): Django decides who may see a file, then

- media on S3 (the stack's default: moto in server mode): redirects to a presigned URL of the
  object's key that expires within minutes; every object in the bucket is private;
- media on disk (MOUSEION_STACK_MEDIA=filesystem): answers X-Accel-Redirect to nginx's internal
  location, and nginx sends the bytes.

A private file (a source, private by default) answers 404 to a visitor, with no URL; a public
one (a published artifact's thumbnail) exactly the stored bytes; the internal location cannot
be requested directly. On S3, an object ingested through the API and processed by the worker
reaches each role as it should."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.scaled.conftest import Stack, results, wait_until

pytestmark = pytest.mark.scaled

SCAN = Path(__file__).resolve().parents[2] / "exhibits" / "demo" / "whale_cranium_draco.glb"


def _media_name(url: str) -> str:
    return url.split("/media/", 1)[1]


def assert_presigned(stack: Stack, location: str, name: str) -> None:
    """`location` is a signed, short-lived GET of exactly `name`'s object in the stack's bucket."""
    env = stack.museum.env
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == env["MOUSEION_S3_ENDPOINT_URL"]
    assert parts.path == f"/{env['MOUSEION_S3_BUCKET']}/{env['MOUSEION_S3_PREFIX']}/{name}"
    query = parse_qs(parts.query)
    assert query["X-Amz-Signature"] and query["X-Amz-Credential"]
    assert int(query["X-Amz-Expires"][0]) == int(env["MOUSEION_S3_URL_EXPIRY"]) <= 300


@pytest.fixture(scope="module")
def published(stack: Stack) -> dict:
    """A published demo artifact whose thumbnail the worker has made (intake ran at seed)."""
    with httpx.Client(base_url=stack.url, timeout=30) as client:

        def with_thumbnail() -> dict | None:
            artifacts = results(client, "/api/artifacts/")
            return next((a for a in artifacts if a["thumbnail_url"]), None)

        return wait_until(with_thumbnail, 240, "a published artifact with a thumbnail", every=2)


def test_public_file_comes_with_the_stored_bytes(
    stack: Stack, http: httpx.Client, published: dict
) -> None:
    name = _media_name(published["thumbnail_url"])
    stored = stack.stored(name)
    response = http.get(f"/media/{name}")
    assert response.status_code == 200
    assert response.content == stored and len(stored) > 0
    assert "x-accel-redirect" not in response.headers  # nginx consumed it
    # Straight to an ASGI process: the answer is the redirect, not the bytes.
    direct = httpx.get(f"{stack.web_urls['web1']}/media/{name}", timeout=30)
    assert direct.content == b""
    if stack.media_on_s3:
        assert direct.status_code == 302 and "x-accel-redirect" not in direct.headers
        assert_presigned(stack, direct.headers["location"], name)
        assert direct.headers["cache-control"] == "private, no-store"
        assert response.history and response.history[0].status_code == 302
        # The type of the stored file (a scan's thumbnail is a PNG, a picture's a JPEG).
        assert response.headers["content-type"] == mimetypes.guess_type(name)[0]
    else:
        assert direct.status_code == 200
        assert direct.headers["x-accel-redirect"] == f"/protected-media/{name}"


def test_private_file_answers_404_through_nginx(
    stack: Stack, http: httpx.Client, published: dict
) -> None:
    auth = stack.museum.api_auth("curator")
    assets = results(http, f"/api/artifacts/{published['id']}/assets/", auth=auth)
    source = next(asset for asset in assets if asset["kind"] == "source")
    assert not any(
        a["kind"] == "source" for a in results(http, f"/api/artifacts/{published['id']}/assets/")
    )
    name = _media_name(source["url"])
    stored = stack.stored(name)
    for path in (f"/media/{name}", f"/protected-media/{name}"):
        response = http.get(path, follow_redirects=False)
        assert response.status_code == 404, path
        assert "location" not in response.headers
        assert stored[:64] not in response.content and b"X-Amz" not in response.content
    direct = httpx.get(f"{stack.web_urls['web2']}/media/{name}", timeout=30)
    assert direct.status_code == 404 and "x-accel-redirect" not in direct.headers
    assert "location" not in direct.headers


def test_an_ingested_object_reaches_each_role_from_s3(
    stack: Stack, http: httpx.Client, published: dict
) -> None:
    """Upload through nginx, intake on the worker (it reads the source from the bucket and
    writes every derived file to it), then each role fetches what it may."""
    if not stack.media_on_s3:
        pytest.skip("the stack keeps media on disk (MOUSEION_STACK_MEDIA=filesystem)")
    auth = stack.museum.api_auth("curator")
    data = SCAN.read_bytes()
    response = http.post(
        f"/api/artifacts/{published['id']}/assets/",
        files={"file": (SCAN.name, data, "model/gltf-binary")},
        auth=auth,
    )
    assert response.status_code == 201, response.text
    body = response.json()

    def finished() -> dict | None:
        job = http.get(f"/api/jobs/{body['job_id']}/", auth=auth).json()
        return job if job["status"] in ("done", "failed") else None

    job = wait_until(finished, 180, f"intake job {body['job_id']}", every=0.5)
    assert job["status"] == "done", job
    assets = results(http, f"/api/artifacts/{published['id']}/assets/", auth=auth)
    derived = [a for a in assets if a["created_by_job"] == body["job_id"]]
    assert {a["kind"] for a in derived} >= {"lod", "thumbnail"}, derived
    source_name = _media_name(body["asset"]["url"])
    assert stack.stored(source_name) == data  # stored untouched, in the bucket
    stored_job_files = stack.stored_names(f"job{body['job_id']}-")
    assert stored_job_files == {_media_name(a["url"]) for a in derived}

    # Visitors: the web copies, through a presigned redirect; never the source, never a URL.
    for asset in derived:
        name = _media_name(asset["url"])
        redirect = http.get(f"/media/{name}", follow_redirects=False)
        assert redirect.status_code == 302, asset
        assert_presigned(stack, redirect.headers["location"], name)
        fetched = http.get(f"/media/{name}")
        assert fetched.status_code == 200 and fetched.content == stack.stored(name), asset
    hidden = http.get(f"/media/{source_name}", follow_redirects=False)
    assert hidden.status_code == 404 and "location" not in hidden.headers
    assert b"X-Amz" not in hidden.content and data[:64] not in hidden.content
    # The curator: the source itself, the bytes uploaded.
    signed = http.get(f"/media/{source_name}", auth=auth, follow_redirects=False)
    assert signed.status_code == 302
    assert_presigned(stack, signed.headers["location"], source_name)
    assert signed.headers["cache-control"] == "private, no-store"
    fetched = http.get(f"/media/{source_name}", auth=auth)
    assert fetched.status_code == 200 and fetched.content == data
    assert fetched.headers["content-type"] == "model/gltf-binary"
