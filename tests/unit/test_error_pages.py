"""Error answers (issue #22 item 12): pages in the site's frame, JSON under /api/."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from museum import error_pages

pytestmark = pytest.mark.django_db


def test_an_unknown_page_is_a_styled_404(client: Client) -> None:
    response = client.get("/no-such-room/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert 'class="site-header"' in html and "css/visit.css" in html
    assert "This page is not in the museum" in html and 'href="/"' in html


@pytest.mark.parametrize("path", ["/api/no-such-thing/", "/api/artifacts/1/nothing/"])
def test_an_unknown_api_path_answers_the_json_error_shape(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"]["code"] == "not_found" and body["error"]["message"]
    assert body["error"]["fields"] == {}


def test_a_server_error_is_a_styled_page_or_json_under_the_api() -> None:
    page = error_pages.server_error(RequestFactory().get("/exhibitions/x/"))
    assert page.status_code == 500 and b'class="site-header"' in page.content
    api = error_pages.server_error(RequestFactory().get("/api/artifacts/"))
    assert api.status_code == 500 and api["Content-Type"] == "application/json"
    assert b'"code": "server_error"' in api.content


def test_permission_denied_is_a_styled_page_or_json_under_the_api() -> None:
    from django.core.exceptions import PermissionDenied

    page = error_pages.permission_denied(RequestFactory().get("/x/"), PermissionDenied())
    assert page.status_code == 403 and b'class="site-header"' in page.content
    api = error_pages.permission_denied(RequestFactory().get("/api/x/"), PermissionDenied())
    assert api.status_code == 403 and b'"permission_denied"' in api.content
