"""Browser fixtures: Debian's headless Chromium (SwiftShader WebGL) driven by Playwright.

Every page is watched: console errors, uncaught exceptions and any request to another host
(which is aborted) are recorded, so a test can assert the museum works fully offline.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.browser import WatchedPage

CHROMIUM = Path(os.environ.get("MOUSEION_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--ignore-gpu-blocklist",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
ARTIFACT_LINK = re.compile(r'href="/artifacts/(\d+)/"[^>]*>([^<]+)</a>')
EXHIBITION_LINK = re.compile(r'href="(/exhibitions/[\w-]+/)"')


@pytest.fixture(scope="session")
def server_url(request: pytest.FixtureRequest) -> str:
    """The museum under test: MOUSEION_E2E_URL if set (a server you run), else a live one."""
    url = os.environ.get("MOUSEION_E2E_URL")
    return url.rstrip("/") if url else request.getfixturevalue("live_server_url")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One Chromium per module: Playwright's sync API keeps an asyncio loop running in this
    thread while it is open, and asyncio tests that run after the browser tests need it closed."""
    from tests.e2e.browser import launched_chromium

    with launched_chromium() as instance:
        yield instance


@pytest.fixture
def watched(browser, request: pytest.FixtureRequest) -> Iterator[WatchedPage]:
    """A watched page in an English browser; another language by indirect parametrisation:
    `@pytest.mark.parametrize("watched", ["fr"], indirect=True)` (its Accept-Language too)."""
    locale = getattr(request, "param", "en")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    watch = WatchedPage(page)

    def guard(route) -> None:
        url = urlsplit(route.request.url)
        if url.scheme in {"http", "https", "ws", "wss"} and url.hostname not in LOCAL_HOSTS:
            watch.external_requests.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", guard)
    page.on("console", lambda m: m.type == "error" and watch.console_errors.append(m.text))
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    page.on("requestfailed", lambda r: watch.record_failure(r.url, r.failure or ""))
    page.on(
        "response",
        lambda r: r.status >= 400 and watch.failed_requests.append(f"{r.url} ({r.status})"),
    )
    yield watch
    context.close()


@pytest.fixture(scope="session")
def demo_pages(server_url: str) -> dict[str, str]:
    """Titles of published artifacts -> their page URL, found by walking lobby and exhibitions."""
    lobby = httpx.get(f"{server_url}/", timeout=30)
    lobby.raise_for_status()
    # The scans' exhibition first: "exhibition" is its page, and a word names a scan before a
    # picture (the Venus de Milo, not the Birth of Venus; exhibits/demo/flat_works.py).
    exhibitions = sorted(
        set(EXHIBITION_LINK.findall(lobby.text)),
        key=lambda path: ("shapes-of-time" not in path, path),
    )
    if not exhibitions and 'href="/api/exhibitions/' in lobby.text:
        pytest.fail(
            "the lobby links to /api/exhibitions/...: Exhibition.get_absolute_url reverses the "
            "API route because the API router reuses the page URL names (exhibition-detail)"
        )
    assert exhibitions, "the lobby lists no exhibitions: is the demo seeded (seed_demo)?"
    pages: dict[str, str] = {"lobby": f"{server_url}/", "exhibition": server_url + exhibitions[0]}
    for path in exhibitions:
        html = httpx.get(server_url + path, timeout=30).text
        for pk, title in ARTIFACT_LINK.findall(html):
            pages.setdefault(title.strip(), f"{server_url}/artifacts/{pk}/")
    return pages
