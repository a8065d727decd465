"""The real ASGI server (uvicorn) and Celery worker, started as `make run` starts them."""

from __future__ import annotations

import re
import time

import httpx
import pytest
import trimesh

from tests.conftest import LiveMuseum

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def http(live_museum: LiveMuseum) -> httpx.Client:
    # Redirects are followed, as a browser does (media on S3 answer with a presigned URL).
    with httpx.Client(base_url=live_museum.url, timeout=30, follow_redirects=True) as client:
        yield client


def artifact_ids(http: httpx.Client) -> list[int]:
    """The demo's scanned objects (its pictures, DEMO-FLAT-nn, have no 3D model)."""
    payload = http.get("/api/artifacts/").json()
    return [
        item["id"]
        for item in payload["results"]
        if not item["object_number"].startswith("DEMO-FLAT-")
    ]


def test_healthz(http: httpx.Client) -> None:
    response = http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_pages_render_the_demo_museum(http: httpx.Client) -> None:
    lobby = http.get("/")
    assert lobby.status_code == 200
    assert "Shapes of Time" in lobby.text
    exhibition = http.get("/exhibitions/shapes-of-time/")
    assert exhibition.status_code == 200
    ids = artifact_ids(http)
    assert len(ids) == 3
    for artifact_id in ids:
        assert f"/artifacts/{artifact_id}/" in exhibition.text
        page = http.get(f"/artifacts/{artifact_id}/")
        assert page.status_code == 200
        assert 'type="importmap"' in page.text
    pictures = http.get("/exhibitions/paint-ink-and-thread/")  # the flat works (exhibits/demo)
    assert pictures.status_code == 200
    listed = http.get("/api/artifacts/").json()
    assert listed["count"] == 3 + 16
    for item in listed["results"]:
        if item["object_number"].startswith("DEMO-FLAT-"):
            assert f"/artifacts/{item['id']}/" in pictures.text
            assert http.get(f"/artifacts/{item['id']}/").status_code == 200
    assert http.get("/exhibitions/no-such-exhibition/").status_code == 404
    assert http.get("/artifacts/999999/").status_code == 404


def test_front_end_files_are_served_locally(http: httpx.Client) -> None:
    for path, content_type in [
        ("/static/vendor/three/build/three.module.js", "javascript"),
        ("/static/vendor/three/addons/loaders/GLTFLoader.js", "javascript"),
        ("/static/vendor/three/addons/libs/draco/gltf/draco_decoder.wasm", "wasm"),
        ("/static/vendor/three/addons/libs/meshopt_decoder.module.js", "javascript"),
        ("/static/js/pages/viewer.js", "javascript"),
    ]:
        response = http.get(path)
        assert response.status_code == 200, path
        assert content_type in response.headers["content-type"], path


def test_models_and_thumbnails_are_served(http: httpx.Client) -> None:
    for artifact_id in artifact_ids(http):
        detail = http.get(f"/api/artifacts/{artifact_id}/").json()
        model = http.get(detail["model_url"])
        assert model.status_code == 200
        assert model.content[:4] == b"glTF"
        thumbnail = http.get(detail["thumbnail_url"])
        assert thumbnail.status_code == 200
        assert thumbnail.content[:4] == b"\x89PNG"


def test_api_schema_and_offline_docs(http: httpx.Client) -> None:
    schema = http.get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
    assert schema.status_code == 200
    assert "/api/artifacts/" in schema.text
    docs = http.get("/api/docs/")
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower()
    assert "swagger" in docs.text.lower()
    redoc = http.get("/api/redoc/")
    assert redoc.status_code == 200
    assert not re.search(r"https?://(?!127\.0\.0\.1|localhost)", redoc.text)


def test_anonymous_cannot_write(http: httpx.Client) -> None:
    response = http.post("/api/artifacts/", json={"object_number": "X1", "title": "Nope"})
    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_upload_runs_a_real_thumbnail_job_on_the_worker(
    http: httpx.Client, live_museum: LiveMuseum
) -> None:
    auth = live_museum.api_auth("curator")
    artifact_id = artifact_ids(http)[0]
    glb = trimesh.creation.icosphere(subdivisions=2).export(file_type="glb")
    response = http.post(
        f"/api/artifacts/{artifact_id}/assets/",
        files={"file": ("sphere.glb", glb, "model/gltf-binary")},
        auth=auth,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    job_id = body.get("job_id") or body.get("job", {}).get("id")
    assert job_id, body
    # The one worker may first finish the demo's own queue: a condition check of each of its
    # sixteen pictures (seconds each, exhibits/demo/flat_works.py).
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = http.get(f"/api/jobs/{job_id}/", auth=auth).json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.5)
    assert job["status"] == "done", job
    assets = http.get(f"/api/artifacts/{artifact_id}/assets/", auth=auth).json()
    assets = assets.get("results", assets) if isinstance(assets, dict) else assets
    thumbnails = [a for a in assets if a["kind"] == "thumbnail" and a["derived_from"]]
    assert any(
        t["derived_from"] == body.get("id", body.get("asset", {}).get("id")) for t in thumbnails
    )
