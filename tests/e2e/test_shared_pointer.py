"""The guide's shared pointer in two browsers: on the tour stage the follower's dot lands where the
guide's mouse is on the object; in the gallery a visitor sees an educator's pointer ray."""

from __future__ import annotations

import re

import pytest

from tests.conftest import LiveMuseum
from tests.e2e.browser import WatchedPage, go_live
from tests.e2e.test_gallery_presence import standing_spot

pytestmark = pytest.mark.e2e

STILL = "!window.mouseionTour.isMoving()"
NEXT_FRAME = "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
SHOWN = "window.mouseionTour.pointer() && window.mouseionTour.pointer().shown"


def canvas_box(page) -> dict:
    return page.locator("#tour-canvas").bounding_box()


def test_the_follower_sees_the_guides_pointer_where_the_guide_points(
    browser, watched: WatchedPage, live_museum: LiveMuseum, server_url: str
) -> None:
    guide_context, guide, code = go_live(browser, live_museum, server_url)
    follower = watched.page
    follower.set_viewport_size({"width": 960, "height": 700})  # another size, the same view
    follower.goto(f"{server_url}/tours/{code}/")
    follower.click("#follower-join-button", timeout=60_000)
    follower.wait_for_selector("#tour[data-connection='open']", timeout=30_000)
    for page in (guide, follower):
        page.wait_for_function("window.mouseionTour.modelShown()", timeout=60_000)
        page.wait_for_function(STILL, timeout=30_000)

    point = guide.get_by_role("button", name="Point", exact=True)
    point.click()
    assert point.get_attribute("aria-pressed") == "true"
    # Somewhere on the object: the stop's view frames it, so one of these points is on it.
    box = canvas_box(guide)
    aimed = None
    for fx, fy in ((0.5, 0.5), (0.45, 0.55), (0.55, 0.45), (0.5, 0.6), (0.5, 0.4)):
        guide.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        if guide.evaluate(f"{NEXT_FRAME}.then(() => Boolean({SHOWN}))"):
            aimed = (fx, fy)
            break
    assert aimed, "the guide's mouse found no point of the object"
    guide.wait_for_function("window.mouseionTour.pointer().sent !== null", timeout=5_000)

    # The follower's dot: at the same place of the view (same camera, same aspect ratio).
    follower.wait_for_function(SHOWN, timeout=10_000)
    follower.wait_for_function(
        "(p) => { const s = window.mouseionTour.pointer().shown;"
        " return s && Math.hypot(...s.p.map((v, i) => v - p[i])) < 1e-3; }",
        arg=guide.evaluate("window.mouseionTour.pointer().sent"),
        timeout=5_000,
    )
    dot = follower.locator(".tour-pointer__dot").bounding_box()
    fbox = canvas_box(follower)
    seen = (
        (dot["x"] + dot["width"] / 2 - fbox["x"]) / fbox["width"],
        (dot["y"] + dot["height"] / 2 - fbox["y"]) / fbox["height"],
    )
    assert abs(seen[0] - aimed[0]) < 0.02 and abs(seen[1] - aimed[1]) < 0.02, (seen, aimed)
    assert follower.locator(".tour-pointer__name").inner_text() == "educator"

    # Off: the pointer disappears for the follower.
    point.click()
    follower.wait_for_function("!(" + SHOWN + ")", timeout=5_000)
    assert follower.locator(".tour-pointer").is_hidden()
    watched.assert_clean()
    guide_context.close()


READY = "window.mouseionGallery && window.mouseionGallery.ready"


def test_a_visitor_sees_the_educators_pointer_ray_in_the_gallery(
    browser, watched: WatchedPage, live_museum: LiveMuseum, demo_pages, server_url: str
) -> None:
    url = demo_pages["exhibition"]
    teacher_context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en")
    teacher = teacher_context.new_page()
    teacher.goto(f"{server_url}/admin/login/?next=/tours/")
    teacher.fill("#id_username", "educator")
    teacher.fill("#id_password", live_museum.demo_password)
    teacher.click("input[type=submit]")
    teacher.wait_for_url(re.compile(r"/tours/$"))
    visitor = watched.page
    for page in (teacher, visitor):
        page.goto(url)
        page.wait_for_function(READY, timeout=30_000)
        page.evaluate("window.mouseionGallery.ready")
    # Both stand beside the first plinth, in its room, and see each other there.
    x, _, z = teacher.evaluate("window.mouseionGallery.plinths()[0].position")
    target = [x, 1.0, z]
    for page, offset in ((teacher, 1.5), (visitor, 2.5)):
        spot = standing_spot(page, offset)
        assert page.evaluate("(p) => window.mouseionGallery.setPose({p})", spot)
    for page in (teacher, visitor):
        page.wait_for_function("window.mouseionGallery.presence.status === 'open'", timeout=45_000)
    assert teacher.evaluate("window.mouseionGallery.roomKey()") == visitor.evaluate(
        "window.mouseionGallery.roomKey()"
    )

    button = teacher.get_by_role("button", name="Point", exact=True)
    button.wait_for(state="visible", timeout=10_000)  # educators and curators only
    assert visitor.locator("#gallery-point").is_hidden()  # a visitor cannot point
    button.click()
    assert teacher.evaluate("(p) => window.mouseionGallery.pointAt(p)", target)
    teacher_id = teacher.evaluate("window.mouseionGallery.presence.selfId")
    visitor.wait_for_function(
        "([id, p]) => window.mouseionGallery.pointers().some((r) => r.id === id"
        " && Math.hypot(...r.to.map((v, i) => v - p[i])) < 0.01 && r.length > 0)",
        arg=[teacher_id, target],
        timeout=15_000,
    )
    button.click()  # off: the ray goes
    visitor.wait_for_function(
        "(id) => !window.mouseionGallery.pointers().some((r) => r.id === id)",
        arg=teacher_id,
        timeout=10_000,
    )
    watched.assert_clean()
    teacher_context.close()
