"""Curators preview drafts (#22 item 3): the visitor page of a draft artifact or exhibition
opens, with a "Draft — not public" banner, for those who may edit it; for everyone else it is
a 404 that names nothing, and the draft's files stay private."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.unit.factories import ROLES, make_artifact, make_exhibition, make_source, make_thumbnail

pytestmark = pytest.mark.django_db

PREVIEWERS = {"curator", "superuser"}  # may change artifacts and exhibitions
DRAFT_TITLE = "Unreleased Lekythos"
BANNER = "Draft — not public"


def _client(make_user, role: str) -> Client:
    client = Client()
    user = make_user(role)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def drafts() -> dict:
    artifact = make_artifact(published=False, title=DRAFT_TITLE)
    source = make_source(artifact)
    thumbnail = make_thumbnail(source)
    shown = make_artifact(title="Shown amphora")
    exhibition = make_exhibition(shown, artifact, published=False, title="Secret show")
    return {
        "artifact": artifact,
        "source": source,
        "thumbnail": thumbnail,
        "exhibition": exhibition,
    }


@pytest.mark.parametrize("role", ROLES)
def test_draft_artifact_page_opens_only_for_who_may_edit_it(drafts, make_user, role) -> None:
    response = _client(make_user, role).get(f"/artifacts/{drafts['artifact'].pk}/")
    body = response.content.decode()
    if role in PREVIEWERS:
        assert response.status_code == 200
        assert BANNER in body and "data-draft-preview" in body
        assert f"/admin/exhibits/artifact/{drafts['artifact'].pk}/change/" in body
        assert "data-similar-url" not in body  # the search index may not hold a draft yet
    else:
        assert response.status_code == 404
        assert DRAFT_TITLE not in body and BANNER not in body


@pytest.mark.parametrize("role", ROLES)
def test_draft_exhibition_page_opens_only_for_who_may_edit_it(drafts, make_user, role) -> None:
    response = _client(make_user, role).get(f"/exhibitions/{drafts['exhibition'].slug}/")
    body = response.content.decode()
    if role in PREVIEWERS:
        assert response.status_code == 200
        assert BANNER in body and "Secret show" in body
        assert "Shown amphora" in body
        assert DRAFT_TITLE not in body  # the preview shows what visitors will see
    else:
        assert response.status_code == 404
        assert "Secret show" not in body and BANNER not in body


@pytest.mark.parametrize("role", ROLES)
def test_draft_files_stay_private(drafts, make_user, role) -> None:
    client = _client(make_user, role)
    for asset in (drafts["source"], drafts["thumbnail"]):
        response = client.get(asset.file.url)
        expected = 200 if role in PREVIEWERS else 404
        assert response.status_code == expected, (role, asset.kind)


@pytest.mark.parametrize("role", ROLES)
def test_published_pages_carry_no_banner(make_user, role) -> None:
    artifact = make_artifact(title="On view")
    exhibition = make_exhibition(artifact)
    client = _client(make_user, role)
    for url in (f"/artifacts/{artifact.pk}/", f"/exhibitions/{exhibition.slug}/"):
        response = client.get(url)
        assert response.status_code == 200 and BANNER not in response.content.decode()
