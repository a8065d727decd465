"""The production static path in a real browser: the live museum collected its static files under
hashed names (tests/conftest.py live_museum, MOUSEION_HASHED_STATIC), and a page with three.js,
its addons and the Draco decoder loads every module from a hashed URL, once, with no failure."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

import pytest

from tests.e2e.browser import WatchedPage, artifact_url, wait_for_viewer

pytestmark = pytest.mark.e2e

HASHED = re.compile(r"\.[0-9a-f]{12}\.\w+$")
# DRACOLoader appends file names to a directory URL: those keep their names (short cache).
UNHASHED_DIRECTORY = "/static/vendor/three/addons/libs/draco/gltf/"


def test_artifact_page_loads_hashed_modules_once(
    watched: WatchedPage, demo_pages: dict[str, str]
) -> None:
    page = watched.page
    scripts: list[tuple[str, str]] = []  # (path, Cache-Control)
    page.on(
        "response",
        lambda r: (
            urlsplit(r.url).path.startswith("/static/")
            and urlsplit(r.url).path.endswith(".js")
            and scripts.append((urlsplit(r.url).path, r.headers.get("cache-control", "")))
        ),
    )
    page.goto(artifact_url(demo_pages, "whale"))  # Draco-compressed: the decoder loads too
    assert wait_for_viewer(page) == {"state": "loaded"}
    watched.assert_clean()

    modules = [path for path, _ in scripts if not path.startswith(UNHASHED_DIRECTORY)]
    assert not [p for p in modules if not HASHED.search(p)], f"unhashed modules: {modules}"
    loaded = Counter(HASHED.sub("", path) for path in modules)
    assert not [name for name, n in loaded.items() if n > 1], f"modules loaded twice: {loaded}"
    assert {
        "/static/vendor/three/build/three.module",
        "/static/vendor/three/build/three.core",
        "/static/vendor/three/addons/loaders/GLTFLoader",
        "/static/vendor/three/addons/loaders/DRACOLoader",
        "/static/js/pages/viewer",
    } <= set(loaded), sorted(loaded)
    assert all("immutable" in cache for path, cache in scripts if path in modules), scripts
