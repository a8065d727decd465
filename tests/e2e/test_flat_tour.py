"""The demo's tour of details (exhibits/demo/flat_works.py) in the browser: a follower sees the
painting itself, zoomed to the stop's region with the region framed, and the next stop moves the
frame to another picture's region; axe finds no serious or critical problems."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from exhibits.demo.flat_works import FLAT_TOUR, FLAT_TOUR_STOPS
from tests.conftest import LiveMuseum
from tests.e2e.browser import WatchedPage, run_axe

pytestmark = pytest.mark.e2e

BLOCKING = {"serious", "critical"}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def picture(page) -> dict:
    page.wait_for_function("window.mouseionTour.picture().loaded === true", timeout=30_000)
    page.wait_for_timeout(1_500)  # the glide to the region (1.2 s)
    return page.evaluate("window.mouseionTour.picture()")


def assert_region_framed(state: dict) -> None:
    stage, region = state["stage"], state["region"]
    assert region is not None, state
    # Inside the stage and zoomed: the region fills a good part of the view.
    assert region["x"] >= -1 and region["y"] >= -1, state
    assert region["x"] + region["w"] <= stage["w"] + 1, state
    assert region["y"] + region["h"] <= stage["h"] + 1, state
    assert max(region["w"] / stage["w"], region["h"] / stage["h"]) >= 0.3, state


def test_a_picture_stop_shows_its_region(
    browser, watched: WatchedPage, live_museum: LiveMuseum, server_url: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en")
    guide = context.new_page()
    guide.goto(f"{server_url}/admin/login/?next=/tours/")
    guide.fill("#id_username", "educator")
    guide.fill("#id_password", live_museum.demo_password)
    guide.click("input[type=submit]")
    guide.wait_for_url(re.compile(r"/tours/$"))
    tour = guide.locator("li", has_text=FLAT_TOUR["title"])
    tour.get_by_role("button", name="Go live").click()
    guide.wait_for_selector("#tour[data-connection='open']", timeout=30_000)
    code = guide.locator("#tour-code").inner_text().strip()

    follower = watched.page
    follower.goto(f"{server_url}/tours/{code}/")
    follower.get_by_role("button", name="Join the tour").click()
    follower.wait_for_selector("#tour[data-connection='open']", timeout=30_000)
    first = picture(follower)
    assert first["shown"] and "/media/" in first["src"], first
    assert_region_framed(first)
    assert follower.locator("#tour-stage-status").inner_text() == ""  # no "no 3D model"
    title = follower.locator("#tour-annotation-title").inner_text()
    assert title == FLAT_TOUR_STOPS[0][1]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    follower.screenshot(path=str(SCREENSHOTS / "tour-picture-region.png"))

    guide.get_by_role("button", name="Next stop").click()
    follower.wait_for_function(
        "(title) => document.getElementById('tour-annotation-title').textContent === title",
        arg=FLAT_TOUR_STOPS[1][1],
        timeout=15_000,
    )
    second = picture(follower)
    assert second["src"] != first["src"]
    assert_region_framed(second)

    violations = [v for v in run_axe(follower) if v["impact"] in BLOCKING]
    assert not violations, violations
    watched.assert_clean()
    context.close()
