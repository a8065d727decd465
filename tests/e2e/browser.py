"""Helpers for the browser tests: watched pages, waiting on the viewer, axe-core."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import LiveMuseum

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


@dataclass
class WatchedPage:
    """A Playwright page plus what went wrong on it."""

    page: object
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    # Requests the page itself cancelled (net::ERR_ABORTED: the browser dropped a load it no
    # longer needed). Kept for the record, not a failure: a server error arrives as a status
    # (>= 400, see the response handler) or as another net:: error, which still fail.
    aborted_requests: list[str] = field(default_factory=list)

    def record_failure(self, url: str, failure: str) -> None:
        target = self.aborted_requests if failure == "net::ERR_ABORTED" else self.failed_requests
        target.append(f"{url} ({failure})")

    def assert_clean(self) -> None:
        assert not self.external_requests, f"requests to other hosts: {self.external_requests}"
        assert not self.page_errors, f"uncaught exceptions: {self.page_errors}"
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.failed_requests, f"failed requests: {self.failed_requests}"


@contextmanager
def launched_chromium() -> Iterator[object]:
    """Debian's Chromium under Playwright (skips the test when it is not installed)."""
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt install chromium) so browser tests cannot run")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


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


def wait_until_still(page, timeout_s: float = 15.0) -> None:
    """Wait until no camera move is running and the camera stopped changing."""
    deadline = time.monotonic() + timeout_s
    previous = None
    while time.monotonic() < deadline:
        state = page.evaluate(
            "() => [window.mouseionViewer.isMoving(), window.mouseionViewer.getCameraPosition()]"
        )
        if not state[0] and state[1] == previous:
            return
        previous = state[1]
        page.wait_for_timeout(150)
    raise AssertionError(f"the camera was still moving after {timeout_s} s")


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


def go_live(
    browser, live_museum: LiveMuseum, server_url: str, *, init_script: str | None = None
) -> tuple[object, object, str]:
    """The demo educator signs in and starts a live tour: (context, guide page, join code).
    `init_script` runs in the guide's pages before theirs (a stand-in for a browser API)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en")
    if init_script:
        context.add_init_script(init_script)
    guide = context.new_page()
    guide.on("dialog", lambda dialog: dialog.accept())
    guide.goto(f"{server_url}/admin/login/?next=/tours/")
    guide.fill("#id_username", "educator")
    guide.fill("#id_password", live_museum.demo_password)
    guide.click("input[type=submit]")
    guide.wait_for_url(re.compile(r"/tours/$"))
    guide.get_by_role("button", name="Go live").first.click()
    guide.wait_for_selector("#tour[data-connection='open']", timeout=30_000)
    return context, guide, guide.locator("#tour-code").inner_text().strip()
