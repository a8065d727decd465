"""The walkable gallery in a real browser: plinths and labels, walking, walls, click-to-walk."""

from __future__ import annotations

import math
import re

import httpx
import pytest

from tests.conftest import LiveMuseum
from tests.e2e.browser import WatchedPage

pytestmark = pytest.mark.e2e

SLUG = "shapes-of-time"
ARTIFACT_LINK = re.compile(r'class="card__link" href="/artifacts/(\d+)/"')


@pytest.fixture(scope="module")
def gallery_url(live_museum: LiveMuseum, server_url: str) -> str:
    live_museum.manage("seed_floor_plan")
    return f"{server_url}/exhibitions/{SLUG}/"


def open_gallery(page, url: str, *, models: bool = True) -> dict:
    """Open the gallery; wait for the first frame, and for every model unless `models` is False."""
    page.goto(url)
    page.wait_for_function("() => window.mouseionGallery !== undefined", timeout=30_000)
    ready = page.evaluate("mouseionGallery.ready")
    assert ready["state"] == "ready", ready
    return page.evaluate("mouseionGallery.loaded") if models else ready


def pose(page) -> dict:
    return page.evaluate("mouseionGallery.getPose()")


def set_pose(page, p: list[float], yaw: float = 0.0) -> bool:
    return page.evaluate(
        "(pose) => mouseionGallery.setPose(pose)", {"p": p, "yaw": yaw, "pitch": 0}
    )


def screen_point(page, point: list[float]) -> dict:
    return page.evaluate("(point) => mouseionGallery.screenPoint(point)", point)


def wait_still(page, timeout_ms: int = 20_000) -> None:
    page.wait_for_function("() => !mouseionGallery.isMoving()", timeout=timeout_ms)


def test_gallery_plinths_labels_walking_walls_and_click_to_walk(
    watched: WatchedPage, gallery_url: str
) -> None:
    page = watched.page
    loaded = open_gallery(page, gallery_url)
    assert loaded["state"] == "loaded", loaded

    # One plinth per published item of the object list, each with its model and label.
    listed = [int(pk) for pk in ARTIFACT_LINK.findall(httpx.get(gallery_url, timeout=30).text)]
    plinths = page.evaluate("mouseionGallery.plinths()")
    assert sorted(p["artifactId"] for p in plinths) == sorted(listed) and len(listed) == 3
    assert all(p["lod"] in {"thumb", "web", "model"} for p in plinths), plinths
    labels = page.evaluate("mouseionGallery.labels()")
    titles = {p["artifactId"]: p["title"] for p in plinths}
    assert all(label["text"].startswith(titles[label["artifactId"]]) for label in labels)
    first_room = page.evaluate("mouseionGallery.roomId()")
    assert isinstance(first_room, int)
    page.locator("#gallery-stage").scroll_into_view_if_needed()

    # Keyboard: W walks forward (heading 0 looks towards -z).
    centre = [6.0, 10.0]  # the middle of the first gallery of seed_floor_plan
    assert set_pose(page, centre)
    page.locator("#gallery-stage").focus()
    page.keyboard.down("KeyW")
    page.wait_for_timeout(700)
    page.keyboard.up("KeyW")
    moved = pose(page)["p"]
    assert 10.0 - moved[2] > 0.3 and abs(moved[0] - 6.0) < 0.05, moved

    # A wall stops the walker: the north wall of the room is at z = 3.
    assert set_pose(page, [6, 4.5])
    page.keyboard.down("ArrowUp")
    page.wait_for_timeout(1500)
    page.keyboard.up("ArrowUp")
    stopped = pose(page)["p"]
    assert 3.0 < stopped[2] < 3.7, stopped
    assert not page.evaluate("mouseionGallery.canStand(6, 2.9)")

    # Bad input loses nothing: a pose inside a wall is refused and the visitor stays.
    assert not set_pose(page, [12.0, 5.0])
    assert pose(page)["p"] == stopped

    # The on-screen pad (mouse here; touch uses the same pointer events): hold to walk.
    assert set_pose(page, centre)
    pad = page.locator("#gallery-pad [data-move='forward']").bounding_box()
    page.mouse.move(pad["x"] + pad["width"] / 2, pad["y"] + pad["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(500)
    page.mouse.up()
    assert 10.0 - pose(page)["p"][2] > 0.2

    # Click on the floor: the visitor glides there.
    assert set_pose(page, [6, 13])
    page.wait_for_timeout(100)
    target = screen_point(page, [6.5, 0, 8.5])
    assert target["visible"]
    page.mouse.click(target["x"], target["y"])
    wait_still(page)
    arrived = pose(page)["p"]
    assert math.hypot(arrived[0] - 6.5, arrived[2] - 8.5) < 0.3, arrived

    # Click on an artifact: walk up to it and offer the link to its page.
    whale = next(p for p in plinths if p["room"] == f"room-{first_room}")
    assert set_pose(page, [4, whale["position"][2]], yaw=math.pi / 2)  # looking towards -x
    page.wait_for_timeout(100)
    x, _, z = whale["position"]
    spot = screen_point(page, [x, whale["top"] - 0.1, z])
    page.mouse.click(spot["x"], spot["y"])
    link = page.locator("#gallery-focus-link")
    link.wait_for(state="visible", timeout=20_000)
    assert link.get_attribute("href") == f"/artifacts/{whale['artifactId']}/"
    near = pose(page)["p"]
    assert 1.0 < math.hypot(near[0] - x, near[2] - z) < 2.5, near

    # Through the doorway into the next room: the walker is routed, the room changes.
    assert set_pose(page, [10.5, 10.5])
    result = page.evaluate("mouseionGallery.walkTo([13.5, 10])")
    assert result["arrived"], result
    assert page.evaluate("mouseionGallery.roomId()") not in (None, first_room)
    assert page.locator("#gallery-room").inner_text().startswith("You are in:")

    # VR: the button settles (headless Chromium has no headset: "not available", explained).
    page.wait_for_selector("#gallery-xr[data-xr-ready='true']")
    vr = page.locator("#gallery-xr [data-xr-mode='immersive-vr']")
    assert vr.get_attribute("data-xr-state") in {"available", "unavailable"}

    renders = page.evaluate("mouseionGallery.renderCount")
    page.wait_for_timeout(500)  # nothing moves: no frames are drawn
    assert page.evaluate("mouseionGallery.renderCount") - renders <= 2
    watched.assert_clean()


def test_without_webgl_the_gallery_explains_and_the_list_remains(
    watched: WatchedPage, gallery_url: str
) -> None:
    page = watched.page
    page.add_init_script(
        """(() => {
            const original = HTMLCanvasElement.prototype.getContext;
            HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
                return String(kind).startsWith('webgl') ? null : original.call(this, kind, ...rest);
            };
        })()"""
    )
    page.goto(gallery_url)
    page.wait_for_function("() => window.mouseionGallery !== undefined", timeout=30_000)
    assert page.evaluate("mouseionGallery.ready")["state"] == "error"
    assert page.locator("#exhibition-gallery").get_attribute("data-state") == "error"
    alert = page.locator("#gallery-status[role='alert']")
    assert "WebGL is unavailable" in alert.inner_text()
    assert page.locator(".object-list .card__link").count() == 3
    # three.js reports the failed context itself; nothing else may go wrong.
    watched.console_errors = [e for e in watched.console_errors if "WebGL" not in e]
    watched.assert_clean()


def test_two_visitors_in_one_room_see_each_other_move(
    browser, watched: WatchedPage, gallery_url: str
) -> None:
    page = watched.page
    open_gallery(page, gallery_url, models=False)
    # The other visitor is on a touch screen.
    other_context = browser.new_context(
        viewport={"width": 800, "height": 600}, locale="en", has_touch=True
    )
    try:
        other = other_context.new_page()
        open_gallery(other, gallery_url, models=False)
        for each in (page, other):
            each.wait_for_function("() => mouseionGallery.presence.status === 'open'")
        assert set_pose(other, [7, 12])
        other_id = other.evaluate("mouseionGallery.presence.selfId")
        seen = "(id) => mouseionGallery.avatars().find((a) => a.id === id)"
        page.wait_for_function(f"(id) => ({seen})(id) !== undefined", arg=other_id)
        # All three coordinates at once: the avatar glides, and x may settle before z does.
        arrived = "(p) => Math.abs(p[0] - 7) < 0.05 && Math.abs(p[1] - 1.6) < 0.05"
        arrived += " && Math.abs(p[2] - 12) < 0.05"
        page.wait_for_function(f"(id) => ({arrived})(({seen})(id).position)", arg=other_id)
        assert "1 other here" in page.locator("#gallery-presence").inner_text()
        # The other visitor walks on: the avatar follows; leaving the room removes it.
        assert set_pose(other, [5, 8])
        page.wait_for_function(
            f"(id) => Math.abs(({seen})(id).position[2] - 8) < 0.05", arg=other_id
        )
        # A tap on the floor walks there (touch uses the same pointer events as the mouse).
        other.locator("#gallery-stage").scroll_into_view_if_needed()
        spot = screen_point(other, [5, 0, 4.5])
        assert spot["visible"]
        other.touchscreen.tap(spot["x"], spot["y"])
        wait_still(other)
        tapped = pose(other)["p"]
        assert math.hypot(tapped[0] - 5, tapped[2] - 4.5) < 0.3, tapped
        assert set_pose(other, [18, 10])  # the next gallery: another presence room
        page.wait_for_function(f"(id) => ({seen})(id) === undefined", arg=other_id)
    finally:
        other_context.close()
    watched.assert_clean()
