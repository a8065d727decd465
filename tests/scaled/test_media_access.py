"""Media through the real nginx (issue #16): Django decides who may see a file and answers with
X-Accel-Redirect to nginx's internal location, nginx sends the bytes. A private file (a source,
private by default) answers 404 to a visitor; a public one (a published artifact's thumbnail)
200 with exactly the stored bytes; the internal location cannot be requested directly."""

from __future__ import annotations

import httpx
import pytest

from tests.scaled.conftest import Stack, results, wait_until

pytestmark = pytest.mark.scaled


def _media_name(url: str) -> str:
    return url.split("/media/", 1)[1]


@pytest.fixture(scope="module")
def published(stack: Stack) -> dict:
    """A published demo artifact whose thumbnail the worker has made (intake ran at seed)."""
    with httpx.Client(base_url=stack.url, timeout=30) as client:

        def with_thumbnail() -> dict | None:
            artifacts = results(client, "/api/artifacts/")
            return next((a for a in artifacts if a["thumbnail_url"]), None)

        return wait_until(with_thumbnail, 240, "a published artifact with a thumbnail", every=2)


def test_public_file_comes_from_nginx_with_the_stored_bytes(
    stack: Stack, http: httpx.Client, published: dict
) -> None:
    name = _media_name(published["thumbnail_url"])
    stored = (stack.museum.var_dir / "media" / name).read_bytes()
    response = http.get(f"/media/{name}")
    assert response.status_code == 200
    assert response.content == stored and len(stored) > 0
    assert "x-accel-redirect" not in response.headers  # nginx consumed it
    # Straight to an ASGI process: the answer is the redirect, not the bytes.
    direct = httpx.get(f"{stack.web_urls['web1']}/media/{name}", timeout=30)
    assert direct.status_code == 200
    assert direct.headers["x-accel-redirect"] == f"/protected-media/{name}"
    assert direct.content == b""


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
    stored = (stack.museum.var_dir / "media" / name).read_bytes()
    for path in (f"/media/{name}", f"/protected-media/{name}"):
        response = http.get(path)
        assert response.status_code == 404, path
        assert stored[:64] not in response.content
    direct = httpx.get(f"{stack.web_urls['web2']}/media/{name}", timeout=30)
    assert direct.status_code == 404 and "x-accel-redirect" not in direct.headers
