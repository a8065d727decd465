"""The visit's pages in a real browser (issue #22 items 5, 7, 12, 14, full screen, poster): the
keyboard focus shows on the 3D stages, the annotation text sits over the model on a phone, the
toolbar is above the fold on a laptop, the gallery's move pad is small on a phone, full screen
works, the poster is the thumbnail, error pages are the site's, gallery labels are legible and a
click on the floor does not leave the visitor facing a wall."""

from __future__ import annotations

import io
import math
import re

import pytest
from PIL import Image

from tests.e2e.browser import WatchedPage, artifact_url, run_axe, wait_for_viewer

pytestmark = pytest.mark.e2e

BLOCKING = {"serious", "critical"}
FOCUS_ON_DARK = (255, 209, 102)  # --focus-on-dark
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
GALLERY = "/exhibitions/shapes-of-time/"


def new_page(browser, viewport: dict) -> tuple[object, object]:
    context = browser.new_context(viewport=viewport, locale="en")
    return context, context.new_page()


def open_gallery(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("() => window.mouseionGallery !== undefined", timeout=30_000)
    assert page.evaluate("mouseionGallery.ready")["state"] == "ready"


def tab_to(page, element_id: str, presses: int = 60) -> None:
    """Press Tab until `element_id` has the focus (as a keyboard user reaches it)."""
    page.locator("body").focus()
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} never got the focus by Tab")


def edge_colour(page, selector: str) -> tuple[int, int, int]:
    """The colour 1 px inside the left edge, half-way down, of the element as drawn."""
    box = page.locator(selector).bounding_box()
    shot = page.screenshot(clip={"x": box["x"], "y": box["y"], "width": 8, "height": box["height"]})
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    return image.getpixel((1, image.height // 2))


def close(colour: tuple[int, int, int], expected: tuple[int, int, int], tolerance: int = 40):
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


@pytest.mark.parametrize("page_name", ["artifact", "gallery"])
def test_the_keyboard_focus_shows_on_the_3d_stage(
    watched: WatchedPage, demo_pages: dict[str, str], server_url: str, page_name: str
) -> None:
    """Item 5: the canvas covered the stage's outline; the ring is now drawn above it."""
    page = watched.page
    page.set_viewport_size(LAPTOP)
    if page_name == "artifact":
        page.goto(artifact_url(demo_pages, "whale"))
        wait_for_viewer(page)
        stage = "viewer-stage"
    else:
        open_gallery(page, server_url + GALLERY)
        stage = "gallery-stage"
    tab_to(page, stage)
    ring = page.evaluate(
        "(id) => { const s = getComputedStyle(document.getElementById(id), '::after');"
        " return {style: s.outlineStyle, width: parseFloat(s.outlineWidth), z: s.zIndex}; }",
        stage,
    )
    assert ring["style"] != "none" and ring["width"] >= 2, ring
    page.locator(f"#{stage}").scroll_into_view_if_needed()
    colour = edge_colour(page, f"#{stage}")
    assert close(colour, FOCUS_ON_DARK), f"no focus ring drawn at the stage's edge: {colour}"
    # Without the focus, the edge is the scene's (the ring is the focus's, not a border).
    page.evaluate("(id) => document.getElementById(id).blur()", stage)
    page.wait_for_timeout(100)
    assert not close(edge_colour(page, f"#{stage}"), FOCUS_ON_DARK)
    watched.assert_clean()


def test_on_a_phone_the_annotation_text_is_over_the_model(
    browser, demo_pages: dict[str, str]
) -> None:
    """Item 7: the text appeared ~700 px below the model, under the toolbar's buttons."""
    context, page = new_page(browser, PHONE)
    page.goto(artifact_url(demo_pages, "whale"))
    wait_for_viewer(page)
    page.locator(".annotation-button").first.click()
    detail = page.locator("#annotation-detail")
    detail.wait_for(state="visible")
    page.wait_for_timeout(800)  # the stage scrolls into view
    sheet, stage = detail.bounding_box(), page.locator("#viewer-stage").bounding_box()
    sheet_bottom, stage_bottom = sheet["y"] + sheet["height"], stage["y"] + stage["height"]
    assert sheet["y"] >= stage["y"] - 1 and sheet_bottom <= stage_bottom + 1, (sheet, stage)
    assert sheet["y"] - stage["y"] < 400, (sheet, stage)
    assert stage["y"] >= -2 and sheet_bottom <= PHONE["height"], "the sheet is off screen"
    assert page.locator("#annotation-detail-title").inner_text().strip()
    # Closing it clears the choice; the list is the way back.
    page.get_by_role("button", name="Close").click()
    assert detail.is_hidden()
    assert page.locator(".annotation-button[aria-pressed='true']").count() == 0
    violations = [v for v in run_axe(page) if v["impact"] in BLOCKING]
    assert not violations, violations
    context.close()


def test_on_a_laptop_the_viewer_toolbar_is_above_the_fold(
    browser, demo_pages: dict[str, str]
) -> None:
    context, page = new_page(browser, LAPTOP)
    page.goto(artifact_url(demo_pages, "whale"))
    wait_for_viewer(page)
    for name in ("Rotate left", "Reset view", "Full screen"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box and box["y"] + box["height"] <= LAPTOP["height"], (name, box)
    toolbar = page.locator(".viewer__toolbar").bounding_box()
    assert toolbar["y"] < LAPTOP["height"] - 40, toolbar
    context.close()


def test_on_a_phone_the_gallery_move_pad_is_compact(browser, server_url: str) -> None:
    context, page = new_page(browser, PHONE)
    open_gallery(page, server_url + GALLERY)
    pad = page.locator("#gallery-pad").bounding_box()
    stage = page.locator("#gallery-stage").bounding_box()
    share = pad["width"] * pad["height"] / (stage["width"] * stage["height"])
    assert share < 0.1, f"the move pad covers {share:.0%} of the view"
    assert pad["height"] < 0.2 * stage["height"], (pad, stage)
    for button in page.locator("#gallery-pad button").all():
        box = button.bounding_box()
        assert box["width"] >= 36 and box["height"] >= 36, box  # still a finger's target
    context.close()


@pytest.mark.parametrize("page_name", ["artifact", "gallery"])
def test_full_screen_button(
    watched: WatchedPage, demo_pages: dict[str, str], server_url: str, page_name: str
) -> None:
    page = watched.page
    if page_name == "artifact":
        page.goto(artifact_url(demo_pages, "whale"))
        wait_for_viewer(page)
        target, stage = "viewer", "#viewer-stage"
    else:
        open_gallery(page, server_url + GALLERY)
        target, stage = "exhibition-gallery", "#gallery-stage"
    button = page.locator(f"[data-fullscreen-target='{target}']")
    assert button.is_visible() and button.get_attribute("aria-pressed") == "false"
    before = page.locator(stage).bounding_box()
    button.click()
    page.wait_for_function("() => document.fullscreenElement !== null")
    assert page.evaluate("document.fullscreenElement.id") == target
    page.wait_for_function(
        "(t) => document.querySelector(`[data-fullscreen-target='${t}']`)"
        ".getAttribute('aria-pressed') === 'true'",
        arg=target,
    )
    page.wait_for_timeout(300)
    after = page.locator(stage).bounding_box()
    assert after["height"] > before["height"], (before, after)
    # The browser's own way out (Escape; headless has no browser UI to press it) keeps the
    # button in step.
    page.evaluate("document.exitFullscreen()")
    page.wait_for_function("() => document.fullscreenElement === null")
    page.wait_for_function(
        "(t) => document.querySelector(`[data-fullscreen-target='${t}']`)"
        ".getAttribute('aria-pressed') === 'false'",
        arg=target,
    )
    button.click()  # and the button toggles: in, then out
    page.wait_for_function("() => document.fullscreenElement !== null")
    button.click()
    page.wait_for_function("() => document.fullscreenElement === null")
    watched.assert_clean()


def test_the_poster_is_the_objects_thumbnail(watched: WatchedPage, demo_pages) -> None:
    page = watched.page
    url = artifact_url(demo_pages, "whale")
    page.goto(url)
    poster = page.locator("#viewer-poster")
    src = poster.get_attribute("src")
    assert re.search(r"/thumbnail/", src), src
    wait_for_viewer(page)
    page.wait_for_timeout(500)
    assert not poster.is_visible(), "the poster stays over the model"
    watched.assert_clean()


def test_error_pages_are_the_sites_and_the_api_answers_json(
    watched: WatchedPage, server_url: str
) -> None:
    page = watched.page
    response = page.goto(f"{server_url}/no-such-room/")
    assert response.status == 404
    assert page.locator(".site-header").is_visible()
    assert page.get_by_role("link", name="Back to the lobby").is_visible()
    violations = [v for v in run_axe(page) if v["impact"] in BLOCKING]
    assert not violations, violations
    api = page.request.get(f"{server_url}/api/no-such-thing/")
    assert api.status == 404 and api.headers["content-type"] == "application/json"
    assert api.json()["error"]["code"] == "not_found"


def test_gallery_labels_are_legible_and_a_floor_click_faces_the_room(
    watched: WatchedPage, server_url: str
) -> None:
    """Item 14: labels unreadable, walls bare, and a click on the floor near a wall ended with
    the visitor's nose to it."""
    page = watched.page
    open_gallery(page, server_url + GALLERY)
    for label in page.evaluate("mouseionGallery.labels()"):
        legibility = label["legibility"]
        assert legibility["canvasPx"][0] >= 1024, legibility
        assert legibility["textHeightM"]["body"] >= 0.045, legibility
        assert legibility["textHeightM"]["title"] >= 0.07, legibility
        assert legibility["widthM"] >= 0.85, legibility
        colours = legibility["colours"]
        assert contrast(colours["ink"], colours["paper"]) >= 7, colours
        assert contrast(colours["soft"], colours["paper"]) >= 7, colours
    for label in page.evaluate("mouseionGallery.labels()"):
        # Each label faces into the room its object stands in, towards the visitor.
        room = next(
            r for r in page.evaluate("mouseionGallery.rooms()") if r["key"] == label["room"]
        )
        bounds = room["bounds"]
        centre = ((bounds["min_x"] + bounds["max_x"]) / 2, (bounds["min_z"] + bounds["max_z"]) / 2)
        x, _, z = label["position"]
        assert label["facing"][0] * (centre[0] - x) + label["facing"][1] * (centre[1] - z) > 0

    # In the first room (its north wall at z = 3), walk towards that wall: the walk ends facing
    # back into the room, not the wall a metre ahead.
    assert page.evaluate("(p) => mouseionGallery.setPose(p)", {"p": [6, 9], "yaw": 0, "pitch": 0})
    result = page.evaluate("mouseionGallery.walkToFloor([6, 4.2])")
    assert result["arrived"], result
    yaw = page.evaluate("mouseionGallery.getPose().yaw")
    look = (-math.sin(yaw), -math.cos(yaw))
    assert look[1] > 0.3, f"the visitor faces the north wall after the walk (yaw {yaw:.2f})"
    watched.assert_clean()


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
