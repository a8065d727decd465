"""Plan-my-visit in the browser: the form plans a route, which is drawn on the floor plan and
listed as text; axe finds no serious or critical problems."""

from __future__ import annotations

import pytest

from tests.conftest import LiveMuseum
from tests.e2e.browser import WatchedPage, run_axe

pytestmark = pytest.mark.e2e

BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def floor_plan(live_museum: LiveMuseum, server_url: str) -> str:
    live_museum.manage("seed_floor_plan")
    return f"{server_url}/plan/"


def test_plan_page_draws_and_lists_a_route(watched: WatchedPage, floor_plan: str) -> None:
    page = watched.page
    page.goto(floor_plan)
    # The hall, three galleries of scans and three of pictures (the demo's flat works).
    assert page.locator("#plan-svg rect.room").count() == 7
    # Nine passages, each an opening in the wall of both its rooms (#22 item 8).
    assert page.locator("#plan-svg line.doorway").count() == 18
    page.get_by_label("Your interests").fill("whale bone skull")
    page.get_by_label("Minutes").fill("20")
    page.get_by_label("Minutes").press("Enter")  # keyboard submit
    page.wait_for_selector("#plan-svg[data-state='planned']", timeout=30_000)
    stops = page.locator("#plan-stops li")
    assert stops.count() >= 1
    whale = stops.filter(has_text="whale").first.inner_text()
    assert "Matches your interests" in whale and "whale" in whale
    assert page.locator("#plan-route .stop").count() == stops.count()
    assert page.locator("#plan-route line.route").count() >= 2
    status = page.locator("#plan-status").inner_text()
    assert status == f"Your route has {stops.count()} stop{'' if stops.count() == 1 else 's'}."
    assert "Entrance hall" in page.locator("#plan-svg-desc").text_content()
    violations = run_axe(page)
    for violation in violations:
        print(f"axe {violation['impact']}: {violation['id']}: {violation['help']}")
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"serious/critical axe violations on /plan/: {blocking}"
    watched.assert_clean()


def test_next_stop_line_follows_the_visit(watched: WatchedPage, floor_plan: str) -> None:
    """The live "Next stop" line (#21): shown once a route is planned, from the served routing
    (the learned policy by default), and asked again when the visitor marks a stop seen; the
    stop it names is never one already seen."""
    page = watched.page
    page.goto(floor_plan)
    page.get_by_label("Your interests").fill("whale bone skull")
    page.get_by_label("Minutes").fill("30")
    with page.expect_response(lambda r: r.url.endswith("/api/visits/next-stop")) as first:
        page.get_by_label("Minutes").press("Enter")
    answer = first.value.json()
    assert first.value.status == 200 and answer["routing"] == "learned", answer
    line = page.locator("#plan-next-stop")
    line.wait_for(state="visible")
    assert answer["stop"] is not None, answer
    assert line.inner_text().startswith("Next stop: ")
    assert line.locator("a").get_attribute("href") == answer["stop"]["artifact"]["url"]
    with page.expect_response(lambda r: r.url.endswith("/api/visits/next-stop")) as second:
        page.locator("#plan-stops li").first.get_by_role("button").click()
    seen = second.value.request.post_data_json["seen"]
    assert len(seen) == 1, seen
    again = second.value.json()
    assert again["stop"] is None or again["stop"]["artifact"]["id"] not in seen, again
    expect_text = again["text"]
    page.wait_for_function(
        "text => document.getElementById('plan-next-stop').textContent.startsWith(text)",
        arg=expect_text,
    )
    watched.assert_clean()
