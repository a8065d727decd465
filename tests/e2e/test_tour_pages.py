"""The guided tour's pages (issue #22 items 4 and 13): ending a tour is said as such on every
screen, with no reconnecting and no live control left; anonymous followers get distinct names;
the join form is styled and the stage shows no empty status pill."""

from __future__ import annotations

import pytest

from tests.conftest import LiveMuseum
from tests.e2e.browser import WatchedPage, go_live, run_axe

pytestmark = pytest.mark.e2e

BLOCKING = {"serious", "critical"}
LIVE_CONTROLS = ".tour-panel button:not(#tour-ended *), .tour-panel input"


def join(page, server_url: str, code: str) -> str:
    page.goto(f"{server_url}/tours/{code}/")
    page.get_by_role("button", name="Join the tour").click()
    page.wait_for_selector("#tour[data-connection='open']", timeout=30_000)
    page.wait_for_function("window.mouseionTour.state.memberId !== null")
    return page.evaluate("window.mouseionTour.state.memberId")


def test_ending_the_tour_says_so_stops_reconnecting_and_disables_the_controls(
    browser, watched: WatchedPage, live_museum: LiveMuseum, server_url: str
) -> None:
    guide_context, guide, code = go_live(browser, live_museum, server_url)
    follower = watched.page
    join(follower, server_url, code)
    # The empty status pill of the stage is not drawn once the model has loaded.
    follower.wait_for_function("document.getElementById('tour-stage-status').textContent === ''")
    assert not follower.locator("#tour-stage-status").is_visible()

    # Count websocket connections from here on: none may open after the end.
    follower.evaluate(
        """() => {
            window.__sockets = 0;
            const Native = window.WebSocket;
            window.WebSocket = class extends Native {
                constructor(...a) { super(...a); window.__sockets += 1; }
            };
        }"""
    )
    guide.get_by_role("button", name="End the tour").click()
    for page in (guide, follower):
        page.wait_for_selector("#tour[data-state='ended']", timeout=15_000)
        ended = page.locator("#tour-ended")
        assert ended.is_visible()
        assert "This tour has ended" in ended.inner_text()
        assert (
            ended.get_by_role("link", name="Back to the guided tours").get_attribute("href")
            == "/tours/"
        )
        assert not page.locator("#tour-connection").is_visible()
        assert not page.locator("#tour-join-line").is_visible(), "the join code is still offered"
    follower.wait_for_timeout(3_000)  # longer than the client's first reconnect delays
    for page in (guide, follower):
        assert "reconnecting" not in page.locator(".tour-panel").inner_text().lower()
        controls = page.locator(LIVE_CONTROLS)
        assert controls.count() > 0
        enabled = [
            controls.nth(i).get_attribute("id")
            for i in range(controls.count())
            if controls.nth(i).is_enabled()
        ]
        assert not enabled, f"live controls still enabled after the end: {enabled}"
    assert follower.evaluate("window.__sockets") == 0, "the follower reconnected after the end"
    assert follower.evaluate("window.mouseionTour.state.connection") == "closed"

    violations = [v for v in run_axe(follower) if v["impact"] in BLOCKING]
    assert not violations, violations
    watched.assert_clean()
    guide_context.close()


def test_anonymous_followers_have_distinct_names(
    browser, watched: WatchedPage, live_museum: LiveMuseum, server_url: str
) -> None:
    guide_context, guide, code = go_live(browser, live_museum, server_url)
    other_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en")
    first, second = watched.page, other_context.new_page()
    join(first, server_url, code)
    join(second, server_url, code)
    for page in (first, second):  # followers send their stop, so the guide lists them
        page.wait_for_function("!window.mouseionTour.isMoving()", timeout=30_000)
    guide.wait_for_function(
        "document.querySelectorAll('#guide-followers li[data-member]').length === 2", timeout=15_000
    )
    names = guide.locator("#guide-followers li[data-member]").all_inner_texts()
    names = [name.split(" — ")[0] for name in names]
    assert len(set(names)) == 2, f"two anonymous followers share a name: {names}"
    assert all(name.startswith("Visitor ") for name in names)
    other_context.close()
    guide_context.close()


def test_the_join_form_is_styled(watched: WatchedPage, server_url: str) -> None:
    page = watched.page
    page.goto(f"{server_url}/tours/")
    form = page.locator("form.join-form")
    style = form.evaluate(
        "(f) => { const s = getComputedStyle(f);"
        " const i = getComputedStyle(f.querySelector('input'));"
        " const b = getComputedStyle(f.querySelector('button'));"
        " return {display: s.display, border: s.borderTopWidth, inputPad: i.paddingLeft,"
        " buttonBg: b.backgroundColor}; }"
    )
    assert style["display"] == "flex" and style["border"] != "0px", style
    assert float(style["inputPad"].rstrip("px")) >= 8, style
    assert style["buttonBg"] == "rgb(138, 59, 18)", style  # the accent, not the browser's grey
    violations = [v for v in run_axe(page) if v["impact"] in BLOCKING]
    assert not violations, violations
    watched.assert_clean()
