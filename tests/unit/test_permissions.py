"""Who may do what in the API: every write endpoint for every role, and who sees drafts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from exhibits.models import Annotation, Artifact, Asset, Exhibition, Job
from tests.unit.factories import (
    ROLES,
    VECTOR,
    WRITERS,
    glb_bytes,
    make_annotation,
    make_artifact,
    make_exhibition,
    make_source,
    make_thumbnail,
    upload,
)

pytestmark = pytest.mark.django_db


@dataclass
class Collection:
    artifact: Artifact
    source: Asset
    thumbnail: Asset
    annotation: Annotation
    exhibition: Exhibition


@pytest.fixture
def collection() -> Collection:
    artifact = make_artifact(title="Amphora")
    source = make_source(artifact)
    return Collection(
        artifact=artifact,
        source=source,
        thumbnail=make_thumbnail(source),
        annotation=make_annotation(artifact),
        exhibition=make_exhibition(artifact, slug="vessels"),
    )


def artifact_body(c: Collection) -> dict[str, Any]:
    return {"object_number": "NEW.1", "title": "New object", "status": "draft"}


def annotation_body(c: Collection) -> dict[str, Any]:
    return {
        "artifact": c.artifact.pk,
        "title": "Handle",
        "position": VECTOR,
        "camera_position": [0, 0, 3],
        "camera_target": [0, 0, 0],
    }


def exhibition_body(c: Collection) -> dict[str, Any]:
    return {"title": "New show", "slug": "new-show", "artifact_ids": [c.artifact.pk]}


@dataclass(frozen=True)
class Write:
    """One write request: method, URL and body built from the collection, success status."""

    method: str
    url: Callable[[Collection], str]
    body: Callable[[Collection], Any] | None
    success: int
    multipart: bool = False


WRITES: dict[str, Write] = {
    "artifact-create": Write("post", lambda c: "/api/artifacts/", artifact_body, 201),
    "artifact-update": Write(
        "put", lambda c: f"/api/artifacts/{c.artifact.pk}/", artifact_body, 200
    ),
    "artifact-partial-update": Write(
        "patch", lambda c: f"/api/artifacts/{c.artifact.pk}/", lambda c: {"title": "Jar"}, 200
    ),
    "artifact-delete": Write("delete", lambda c: f"/api/artifacts/{c.artifact.pk}/", None, 204),
    "asset-upload": Write(
        "post",
        lambda c: f"/api/artifacts/{c.artifact.pk}/assets/",
        lambda c: {"file": upload("scan.glb", glb_bytes())},
        201,
        multipart=True,
    ),
    "asset-relabel": Write(
        "patch", lambda c: f"/api/assets/{c.thumbnail.pk}/", lambda c: {"label": "web"}, 200
    ),
    "asset-replace-label": Write(
        "put", lambda c: f"/api/assets/{c.thumbnail.pk}/", lambda c: {"label": "web"}, 200
    ),
    "asset-delete": Write("delete", lambda c: f"/api/assets/{c.thumbnail.pk}/", None, 204),
    "annotation-create": Write("post", lambda c: "/api/annotations/", annotation_body, 201),
    "annotation-update": Write(
        "put", lambda c: f"/api/annotations/{c.annotation.pk}/", annotation_body, 200
    ),
    "annotation-partial-update": Write(
        "patch", lambda c: f"/api/annotations/{c.annotation.pk}/", lambda c: {"text": "x"}, 200
    ),
    "annotation-delete": Write(
        "delete", lambda c: f"/api/annotations/{c.annotation.pk}/", None, 204
    ),
    "exhibition-create": Write("post", lambda c: "/api/exhibitions/", exhibition_body, 201),
    "exhibition-update": Write(
        "put", lambda c: f"/api/exhibitions/{c.exhibition.slug}/", exhibition_body, 200
    ),
    "exhibition-partial-update": Write(
        "patch",
        lambda c: f"/api/exhibitions/{c.exhibition.slug}/",
        lambda c: {"introduction": "Pots."},
        200,
    ),
    "exhibition-delete": Write(
        "delete", lambda c: f"/api/exhibitions/{c.exhibition.slug}/", None, 204
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", WRITES)
def test_write_endpoints_by_role(api_client_for, collection, role: str, endpoint: str) -> None:
    write = WRITES[endpoint]
    client = api_client_for(role)
    body = write.body(collection) if write.body else None
    fmt = "multipart" if write.multipart else "json"
    response = getattr(client, write.method)(write.url(collection), body, format=fmt)

    if role in WRITERS:
        assert response.status_code == write.success, response.content
    else:
        # Session authentication: anonymous and unprivileged users alike get 403, as JSON.
        assert response.status_code == 403, response.content
        error = response.json()["error"]
        expected = "not_authenticated" if role == "anonymous" else "permission_denied"
        assert error["code"] == expected
        assert error["message"]


@pytest.mark.parametrize("role", [role for role in ROLES if role not in WRITERS])
def test_refused_writes_change_nothing(api_client_for, collection, role: str) -> None:
    client = api_client_for(role)
    client.patch(f"/api/artifacts/{collection.artifact.pk}/", {"title": "X"}, format="json")
    client.delete(f"/api/assets/{collection.thumbnail.pk}/")
    client.post("/api/exhibitions/", exhibition_body(collection), format="json")
    collection.artifact.refresh_from_db()
    assert collection.artifact.title == "Amphora"
    assert Asset.objects.filter(pk=collection.thumbnail.pk).exists()
    assert not Exhibition.objects.filter(slug="new-show").exists()


DRAFT_READERS = {"educator", "curator", "superuser"}  # hold the `view` permissions


@pytest.mark.parametrize("role", ROLES)
def test_drafts_visible_only_to_users_who_may_view_them(api_client_for, role: str) -> None:
    published = make_artifact(title="Shown")
    draft = make_artifact(title="Hidden", published=False)
    draft_source = make_source(draft)
    make_annotation(draft, title="Secret hotspot")
    draft_show = make_exhibition(published, draft, published=False, slug="secret")
    public_show = make_exhibition(published, draft, slug="public")
    client = api_client_for(role)
    sees = role in DRAFT_READERS

    listed = {item["id"] for item in client.get("/api/artifacts/").json()["results"]}
    assert published.pk in listed
    assert (draft.pk in listed) is sees
    for url in (
        f"/api/artifacts/{draft.pk}/",
        f"/api/artifacts/{draft.pk}/assets/",
        f"/api/exhibitions/{draft_show.slug}/",
    ):
        response = client.get(url)
        assert response.status_code == (200 if sees else 404), url
        if not sees:
            assert response.json()["error"]["message"]
    # Files (asset rows) need exhibits.view_asset: educators read a draft's record, not its files.
    response = client.get(f"/api/assets/{draft_source.pk}/")
    assert response.status_code == (200 if role in {"curator", "superuser"} else 404)

    annotations = client.get("/api/annotations/").json()["results"]
    assert any(a["title"] == "Secret hotspot" for a in annotations) is sees
    shows = {item["slug"] for item in client.get("/api/exhibitions/").json()["results"]}
    assert shows == ({"public", "secret"} if sees else {"public"})
    # A published exhibition lists only the artifacts the reader may see.
    items = client.get(f"/api/exhibitions/{public_show.slug}/").json()["items"]
    assert [item["artifact"] for item in items] == (
        [published.pk, draft.pk] if sees else [published.pk]
    )
    by_show = client.get("/api/artifacts/", {"exhibition": "secret"}).json()["results"]
    assert [item["id"] for item in by_show] == ([published.pk, draft.pk] if sees else [])


@pytest.mark.parametrize("role", ROLES)
def test_jobs_are_for_curators(api_client_for, role: str) -> None:
    artifact = make_artifact()
    job = Job.objects.create(kind="thumbnail", artifact=artifact, progress=40, stage="rendering")
    client = api_client_for(role)

    detail = client.get(f"/api/jobs/{job.pk}/")
    listing = client.get("/api/jobs/")
    write = client.patch(f"/api/jobs/{job.pk}/", {"progress": 100}, format="json")

    if role in WRITERS:
        assert detail.status_code == 200
        assert detail.json() | {"id": job.pk} == detail.json()
        assert {k: detail.json()[k] for k in ("status", "progress", "stage", "error")} == {
            "status": "queued",
            "progress": 40,
            "stage": "rendering",
            "error": "",
        }
        assert listing.json()["count"] == 1
        assert write.status_code in (403, 405)
    else:
        assert detail.status_code == listing.status_code == write.status_code == 403
    job.refresh_from_db()
    assert job.progress == 40
