"""Browser fixtures: Debian's headless Chromium (SwiftShader WebGL) driven by Playwright.

Every page is watched: console errors, uncaught exceptions and any request to another host
(which is aborted) are recorded, so a test can assert the museum works fully offline.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

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
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACT_LINK = re.compile(r'href="/artifacts/(\d+)/"[^>]*>([^<]+)</a>')
EXHIBITION_LINK = re.compile(r'href="(/exhibitions/[\w-]+/)"')


@pytest.fixture(scope="session")
def server_url(request: pytest.FixtureRequest) -> str:
    """The museum under test: MOUSEION_E2E_URL if set (a server you run), else a live one."""
    url = os.environ.get("MOUSEION_E2E_URL")
    return url.rstrip("/") if url else request.getfixturevalue("live_server_url")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt install chromium) so browser tests cannot run")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@dataclass
class WatchedPage:
    """A Playwright page plus what went wrong on it."""

    page: object
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.external_requests, f"requests to other hosts: {self.external_requests}"
        assert not self.page_errors, f"uncaught exceptions: {self.page_errors}"
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.failed_requests, f"failed requests: {self.failed_requests}"


@pytest.fixture
def watched(browser) -> Iterator[WatchedPage]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en")
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
    page.on(
        "requestfailed",
        lambda r: watch.failed_requests.append(f"{r.url} ({r.failure})"),
    )
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
    exhibitions = sorted(set(EXHIBITION_LINK.findall(lobby.text)))
    assert exhibitions, "the lobby lists no exhibitions: is the demo seeded (seed_demo)?"
    pages: dict[str, str] = {"lobby": f"{server_url}/", "exhibition": server_url + exhibitions[0]}
    for path in exhibitions:
        html = httpx.get(server_url + path, timeout=30).text
        for pk, title in ARTIFACT_LINK.findall(html):
            pages.setdefault(title.strip(), f"{server_url}/artifacts/{pk}/")
    return pages


def artifact_url(demo_pages: dict[str, str], word: str) -> str:
    """The page of the first demo artifact whose title contains `word` (case-insensitive)."""
    for title, url in demo_pages.items():
        if "/artifacts/" in url and word.lower() in title.lower():
            return url
    pytest.fail(f"no demo artifact titled like {word!r}; found {sorted(demo_pages)}")


def wait_for_viewer(page, timeout_ms: int = 60_000) -> dict:
    """Wait until the viewer has drawn the model (or failed); returns the ready result."""
    page.wait_for_function("() => window.mouseionViewer !== undefined", timeout=timeout_ms)
    page.wait_for_function(
        "() => ['loaded', 'error'].includes(document.getElementById('viewer').dataset.state)",
        timeout=timeout_ms,
    )
    return page.evaluate("window.mouseionViewer.ready")


def wait_until_still(page, timeout_ms: int = 15_000) -> None:
    """Wait until no camera move is running and the camera stopped changing."""
    page.wait_for_function(
        """() => new Promise((resolve) => {
            if (window.mouseionViewer.isMoving()) return resolve(false);
            const before = JSON.stringify(window.mouseionViewer.getCameraPosition());
            setTimeout(() => resolve(
                !window.mouseionViewer.isMoving()
                && JSON.stringify(window.mouseionViewer.getCameraPosition()) === before), 150);
        })""",
        timeout=timeout_ms,
        polling=100,
    )


def run_axe(page) -> list[dict]:
    """axe-core violations on the current page, summarised."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
            }));
        }"""
    )
