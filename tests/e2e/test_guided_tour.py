"""A live guided tour in two browsers: the educator's "next stop" moves the follower's camera,
shows the new narration, and the educator sees the follower's raised hand and who is roaming."""

from __future__ import annotations

import re

import pytest

from tests.conftest import LiveMuseum
from tests.e2e.browser import WatchedPage, go_live, run_axe

pytestmark = pytest.mark.e2e

BLOCKING = {"serious", "critical"}


def close_to(a: list[float], b: list[float], tolerance: float = 1e-3) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def test_next_stop_moves_the_followers_camera(
    browser, watched: WatchedPage, live_museum: LiveMuseum, server_url: str
) -> None:
    guide_context, guide, code = go_live(browser, live_museum, server_url)
    assert re.fullmatch(r"[A-Z2-9]{6}", code)

    follower = watched.page
    follower.goto(f"{server_url}/tours/{code}/")
    follower.get_by_role("button", name="Join the tour").click()
    follower.wait_for_selector("#tour[data-connection='open']", timeout=30_000)
    follower.wait_for_function("window.mouseionTour.state.stop !== null")
    follower.wait_for_function("!window.mouseionTour.isMoving()", timeout=30_000)
    first_title = follower.locator("#tour-stop-title").inner_text()
    before = follower.evaluate("window.mouseionTour.getCameraPosition()")

    guide.get_by_role("button", name="Next stop").click()
    follower.wait_for_selector("#tour[data-stop-index='1']", timeout=15_000)
    follower.wait_for_function(
        "window.mouseionTour.state.stop && window.mouseionTour.state.stop.index === 1"
    )
    target = follower.evaluate("window.mouseionTour.state.stop.camera")
    assert target, "the demo tour's stops carry saved camera views"
    follower.wait_for_function(
        "([x, y, z]) => { const p = window.mouseionTour.getCameraPosition();"
        " return Math.abs(p[0]-x) + Math.abs(p[1]-y) + Math.abs(p[2]-z) < 1e-3; }",
        arg=target["position"],
        timeout=30_000,
    )
    after = follower.evaluate("window.mouseionTour.getCameraPosition()")
    assert not close_to(before, after), "the follower's camera did not move"
    assert follower.locator("#tour-stop-title").inner_text() != first_title
    assert "Stop 2 of" in follower.locator("#tour-stop-label").text_content()
    # The demo stops highlight an annotation: its title shows beside the narration.
    assert follower.locator("#tour-annotation").is_visible()
    assert follower.locator("#tour-annotation-title").inner_text().strip()

    # The educator sees a raised hand, and a follower who stops following as roaming.
    follower.get_by_role("button", name="Raise hand").click()
    guide.wait_for_selector("#guide-hands li button", timeout=10_000)
    follower.get_by_label("Follow the guide").uncheck()
    guide.wait_for_selector("#guide-followers li[data-lagging='true']", timeout=10_000)
    follower.get_by_role("button", name="Return to guide").click()
    guide.wait_for_selector("#guide-followers li:not([data-lagging])", timeout=10_000)

    violations = [v for v in run_axe(follower) if v["impact"] in BLOCKING]
    assert not violations, violations
    watched.assert_clean()
    guide_context.close()
