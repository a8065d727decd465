"""An annotation's medium follows its artifact's record (#23): a published work's is public, a
draft's is private: from every role, by its URL, by the API, by the exports; and it goes with
its annotation (deleted, replaced) and with its artifact."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from exhibits.collection import services as collection
from exhibits.models import Annotation, Artifact
from tests.unit.factories import make_artifact, png_bytes

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "visitor", "educator", "curator", "superuser")
# Who reads drafts (exhibits.view_artifact): curators, educators preparing tours, superusers.
READS_DRAFTS = {"educator", "curator", "superuser"}
DRAFT_TITLE = "Reserve: unpublished ostrakon"
SQUARE = [[0.0, 0.1, 0.0], [0.1, 0.1, 0.0], [0.1, 0.2, 0.0]]


def _annotated(artifact: Artifact, name: str) -> Annotation:
    annotation = Annotation(
        artifact=artifact, title="Inscription", shape={"type": "polygon", "points": SQUARE}
    )
    annotation.media = SimpleUploadedFile(name, png_bytes(12))
    annotation.full_clean()
    annotation.save()
    return annotation


@pytest.fixture
def scene() -> dict[str, Annotation]:
    return {
        "public": _annotated(make_artifact(), "detail.png"),
        "draft": _annotated(make_artifact(published=False, title=DRAFT_TITLE), "secret.png"),
    }


def _client(make_user: Any, role: str) -> Client:
    client = Client()
    if (user := make_user(role)) is not None:
        client.force_login(user)
    return client


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


@pytest.mark.parametrize("role", ROLES)
def test_a_drafts_annotation_media_is_private(scene, make_user, role) -> None:
    client = _client(make_user, role)
    draft = scene["draft"]
    response = client.get(draft.media.url)
    if role in READS_DRAFTS:
        assert response.status_code == 200 and _body(response).startswith(b"\x89PNG")
        assert response["Cache-Control"] == "private, no-store"
    else:
        assert response.status_code == 404
        assert b"\x89PNG" not in _body(response)
        # Nor is its name handed out by the API or the export.
        listing = client.get("/api/annotations/").content.decode()
        assert draft.media.name.rsplit("/", 1)[-1] not in listing
        export = client.get(f"/api/artifacts/{draft.artifact_id}/annotations.jsonld")
        assert export.status_code == 404
        assert DRAFT_TITLE not in export.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_a_published_works_annotation_media_is_public(scene, make_user, role) -> None:
    public = scene["public"]
    response = _client(make_user, role).get(public.media.url)
    assert response.status_code == 200 and _body(response) == public.media.open("rb").read()
    assert response["Cache-Control"].startswith("public")
    assert response["Content-Type"] == "image/png"


def test_guessed_annotation_media_urls_answer_404(scene) -> None:
    folder = f"/media/annotations/{scene['draft'].artifact_id}/"
    for guess in ("secret.png", "../../settings.py", "", "secret-0000.png"):
        assert Client().get(folder + guess).status_code == 404


def test_the_medium_goes_with_its_annotation(
    scene, media_root, django_capture_on_commit_callbacks
) -> None:
    public = scene["public"]
    old = media_root / public.media.name
    assert old.exists()
    with django_capture_on_commit_callbacks(execute=True):
        public.media = SimpleUploadedFile("other.png", png_bytes(10))
        public.save()
    assert not old.exists() and (media_root / public.media.name).exists()
    new = media_root / public.media.name
    with django_capture_on_commit_callbacks(execute=True):
        public.delete()
    assert not new.exists()


def test_the_medium_goes_with_its_artifact(
    scene, media_root, django_capture_on_commit_callbacks
) -> None:
    draft = scene["draft"]
    path = media_root / draft.media.name
    with django_capture_on_commit_callbacks(execute=True):
        collection.delete_artifact(artifact=draft.artifact)
    assert not path.exists()
    assert (media_root / scene["public"].media.name).exists()
