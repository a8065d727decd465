"""The embeddable viewer, oEmbed, and the artifact page's data links (issue #22: the embed
route and item 15): only /embed/artifacts/<id>/ may be framed; drafts are never embeddable."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.unit.factories import make_artifact, make_source, make_thumbnail

pytestmark = pytest.mark.django_db
HOST = "http://testserver"


@pytest.fixture
def venus():
    return make_artifact(title='Venus "de Milo"', attribution="3D scan: SMK (CC0)")


def oembed(client, url: str, **params):
    return client.get("/oembed", {"url": url, **params})


def test_only_the_embed_route_may_be_framed(client, venus) -> None:
    embed = client.get(f"/embed/artifacts/{venus.pk}/")
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed
    assert embed["Content-Security-Policy"] == "frame-ancestors *"
    for path in ("/", f"/artifacts/{venus.pk}/", "/search/", "/plan/", "/oembed"):
        response = client.get(path)
        assert response["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors" not in response.get("Content-Security-Policy", ""), path


def test_embed_shows_only_the_viewer_with_a_link_back(client, venus) -> None:
    page = client.get(f"/embed/artifacts/{venus.pk}/").content.decode()
    assert 'id="viewer-stage"' in page
    assert 'class="site-header' not in page and 'class="site-footer' not in page
    assert f'href="{HOST}/artifacts/{venus.pk}/"' in page


def test_drafts_are_never_embeddable(client, admin_client) -> None:
    draft = make_artifact(published=False)
    assert client.get(f"/embed/artifacts/{draft.pk}/").status_code == 404
    assert admin_client.get(f"/embed/artifacts/{draft.pk}/").status_code == 404
    assert oembed(admin_client, f"{HOST}/artifacts/{draft.pk}/").status_code == 404
    assert client.get("/embed/artifacts/999999/").status_code == 404


def test_oembed_answers_rich_json_per_the_spec(client, venus) -> None:
    thumbnail = make_thumbnail(make_source(venus))
    response = oembed(client, f"{HOST}/artifacts/{venus.pk}/", format="json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    assert data["version"] == "1.0" and data["type"] == "rich"
    assert data["title"] == venus.title
    assert (data["width"], data["height"]) == (640, 480)
    assert data["provider_url"] == f"{HOST}/"
    src = re.search(r'src="([^"]+)"', data["html"]).group(1)
    assert src == f"{HOST}/embed/artifacts/{venus.pk}/"
    assert 'width="640" height="480"' in data["html"]
    assert "&quot;de Milo&quot;" in data["html"]  # the title is escaped in the markup
    if thumbnail.width_px:
        assert data["thumbnail_url"] == f"{HOST}{thumbnail.file.url}"
        assert data["thumbnail_width"] == thumbnail.width_px


def test_oembed_respects_maxwidth_and_maxheight(client, venus) -> None:
    url = f"{HOST}/artifacts/{venus.pk}/"
    data = oembed(client, url, maxwidth="320").json()
    assert (data["width"], data["height"]) == (320, 240)
    data = oembed(client, url, maxwidth="1000", maxheight="300").json()
    assert (data["width"], data["height"]) == (400, 300)
    # The embed URL itself is a page a consumer may ask about too.
    assert oembed(client, f"{HOST}/embed/artifacts/{venus.pk}/").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "https://elsewhere.example/artifacts/{pk}/",  # another site
        "http://testserver/artifacts/999999/",  # no such object
        "http://testserver/search/",  # a page that is not an object
        "http://testserver/nowhere/",
        "javascript:alert(1)",
        "",
    ],
)
def test_oembed_refuses_what_it_cannot_embed(client, venus, url) -> None:
    response = oembed(client, url.format(pk=venus.pk))
    assert response.status_code in (400, 404)
    assert response.status_code == (400 if not url else 404)


def test_oembed_other_formats_are_not_implemented(client, venus) -> None:
    response = oembed(client, f"{HOST}/artifacts/{venus.pk}/", format="xml")
    assert response.status_code == 501


def test_artifact_page_links_its_data_embed_code_and_oembed(client, venus) -> None:
    page = client.get(f"/artifacts/{venus.pk}/").content.decode()
    iiif = f"/iiif/artifacts/{venus.pk}/manifest.json"
    linked_art = f"/linked-art/objects/{venus.pk}.json"
    head = page.split("</head>")[0]
    assert 'rel="alternate" type="application/ld+json"' in head
    assert f'href="{iiif}"' in head and f'href="{linked_art}"' in head
    discovery = re.search(
        r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"', head
    )
    assert discovery, "no oEmbed discovery link"
    query = parse_qs(urlsplit(html.unescape(discovery.group(1))).query)
    assert query == {"url": [f"{HOST}/artifacts/{venus.pk}/"], "format": ["json"]}
    body = page.split("</head>")[1]
    assert f'href="{iiif}"' in body and f'href="{linked_art}"' in body
    code = re.search(r'<textarea id="artifact-embed-code"[^>]*>([^<]*)</textarea>', body).group(1)
    snippet = html.unescape(code)
    assert snippet.startswith(f'<iframe src="{HOST}/embed/artifacts/{venus.pk}/"')
    assert client.get(html.unescape(discovery.group(1))).status_code == 200
    for path in (iiif, linked_art):
        assert client.get(path).status_code == 200


def test_favicon_is_a_file_linked_from_site_and_admin(client, admin_client) -> None:
    page = client.get("/").content.decode()
    assert re.search(r'<link rel="icon" href="/static/favicon[^"]*\.svg"', page)
    admin = admin_client.get("/admin/").content.decode()
    assert re.search(r'<link rel="icon" href="/static/favicon[^"]*\.svg"', admin)
    login = client.get("/admin/login/").content.decode()
    assert 'rel="icon"' in login
