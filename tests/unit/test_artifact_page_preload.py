"""The artifact page preloads the LODs the viewer loads on its own: the first, and the web level
at low priority when the thumb comes first (issue #24: its download no longer waits for the
thumb's first frame)."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from exhibits.models import Asset
from tests.unit.factories import glb_bytes, make_artifact, make_source

pytestmark = pytest.mark.django_db


def make_lod(source: Asset, label: str) -> Asset:
    return Asset.objects.create(
        artifact=source.artifact, kind=Asset.Kind.LOD, label=label, derived_from=source,
        file=ContentFile(glb_bytes(), name=f"{label}.glb"), sha256=label[0] * 64, byte_size=10,
        format="glb",
    )  # fmt: skip


def preloads(client: Client, url: str) -> list[tuple[str, bool]]:
    """(href, low priority) of each preloaded fetch on the page."""
    html = client.get(url).content.decode()
    links = re.findall(r'<link rel="preload" [^>]*>', html)
    return [(href_of(link), 'fetchpriority="low"' in link) for link in links]


def href_of(link: str) -> str:
    found = re.search(r'href="([^"]+)"', link)
    assert found is not None, link
    return found[1]


def test_thumb_then_web_preloaded_web_at_low_priority(client: Client) -> None:
    source = make_source(make_artifact())
    thumb, web = make_lod(source, "thumb"), make_lod(source, "web")
    url = f"/artifacts/{source.artifact.pk}/"
    assert preloads(client, url) == [(thumb.file.url, False), (web.file.url, True)]
    # A forced level loads alone: nothing else is preloaded.
    assert preloads(client, url + "?lod=thumb") == [(thumb.file.url, False)]
    assert preloads(client, url + "?lod=web") == [(web.file.url, False)]


def test_web_alone_is_preloaded_once(client: Client) -> None:
    source = make_source(make_artifact())
    web = make_lod(source, "web")
    assert preloads(client, f"/artifacts/{source.artifact.pk}/") == [(web.file.url, False)]
