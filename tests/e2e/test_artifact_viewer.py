"""The artifact viewer in a real browser: models render, hotspots move the camera, XR degrades."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from PIL import Image

from tests.e2e.browser import (
    SCREENSHOTS,
    WatchedPage,
    artifact_url,
    wait_for_viewer,
    wait_until_still,
)

pytestmark = pytest.mark.e2e

BACKGROUND = np.array([0x17, 0x18, 0x1C])  # scene.background in static/js/pages/viewer.js


def canvas_pixels(page) -> np.ndarray:
    """The canvas as an RGB array, with the hotspot overlay hidden so only WebGL is measured."""
    page.evaluate("document.getElementById('viewer-hotspots').style.visibility = 'hidden'")
    png = page.locator("#viewer-canvas").screenshot()
    page.evaluate("document.getElementById('viewer-hotspots').style.visibility = ''")
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def assert_model_drawn(pixels: np.ndarray) -> None:
    differs = np.abs(pixels - BACKGROUND).sum(axis=2) > 30
    share = float(differs.mean())
    spread = float(pixels.std())
    assert spread > 12, f"canvas looks blank (pixel std {spread:.1f})"
    assert share > 0.03, f"only {share:.1%} of the canvas differs from the background"
    assert share < 0.98, f"{share:.1%} of the canvas differs from the background: no backdrop?"


def viewer_config(page) -> dict:
    return json.loads(page.locator("#viewer-config").text_content())


@pytest.mark.parametrize(
    ("word", "slug"), [("whale", "whale-draco"), ("venus", "venus")], ids=["draco", "plain"]
)
def test_model_renders_offline_without_errors(
    watched: WatchedPage, demo_pages: dict[str, str], word: str, slug: str
) -> None:
    page = watched.page
    page.goto(artifact_url(demo_pages, word))
    result = wait_for_viewer(page)
    assert result == {"state": "loaded"}, result
    assert page.locator("#viewer").get_attribute("data-state") == "loaded"
    canvas = page.locator("#viewer-canvas")
    assert canvas.get_attribute("role") == "img"
    assert canvas.get_attribute("aria-label").startswith("3D model of ")

    assert_model_drawn(canvas_pixels(page))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"artifact-{slug}.png"), full_page=True)
    watched.assert_clean()


def test_hotspots_move_the_camera_to_the_saved_view(
    watched: WatchedPage, demo_pages: dict[str, str]
) -> None:
    page = watched.page
    page.goto(artifact_url(demo_pages, "whale"))
    assert wait_for_viewer(page) == {"state": "loaded"}
    annotations = viewer_config(page)["annotations"]
    assert len(annotations) >= 2, "the demo whale should carry at least two annotations"
    wait_until_still(page)

    # The list button beside the viewer.
    saved = annotations[0]["cameraPosition"]
    before = page.evaluate("window.mouseionViewer.getCameraPosition()")
    list_button = page.locator(".annotation-button").first
    list_button.click()
    wait_until_still(page)
    after = page.evaluate("window.mouseionViewer.getCameraPosition()")
    assert math.dist(after, saved) < math.dist(before, saved) * 0.05 + 1e-9, (before, after, saved)
    target = page.evaluate("window.mouseionViewer.getCameraTarget()")
    assert math.dist(target, annotations[0]["cameraTarget"]) < 1e-3 * max(
        1, math.dist(before, saved)
    )
    assert list_button.get_attribute("aria-pressed") == "true"
    detail = page.locator("#annotation-detail")
    assert detail.is_visible()
    assert annotations[0]["title"] in detail.text_content()

    # The numbered hotspot overlaid on the canvas, for the second annotation.
    hotspot = page.locator(".hotspot").nth(1)
    hotspot.wait_for(state="visible")
    assert annotations[1]["title"] in hotspot.get_attribute("aria-label")
    saved = annotations[1]["cameraPosition"]
    before = after
    hotspot.click()
    wait_until_still(page)
    after = page.evaluate("window.mouseionViewer.getCameraPosition()")
    assert math.dist(after, saved) < math.dist(before, saved) * 0.05 + 1e-9, (before, after, saved)
    assert annotations[1]["title"] in detail.text_content()
    watched.assert_clean()


def test_view_buttons_work_from_the_keyboard(
    watched: WatchedPage, demo_pages: dict[str, str]
) -> None:
    page = watched.page
    page.goto(artifact_url(demo_pages, "venus"))
    assert wait_for_viewer(page) == {"state": "loaded"}
    wait_until_still(page)
    home = page.evaluate("window.mouseionViewer.getCameraPosition()")
    target = page.evaluate("window.mouseionViewer.getCameraTarget()")
    radius = math.dist(home, target)

    page.locator("[data-action='rotate-right']").focus()
    page.keyboard.press("Enter")
    wait_until_still(page)
    rotated = page.evaluate("window.mouseionViewer.getCameraPosition()")
    assert math.dist(rotated, home) > 0.2 * radius, "rotate right did not orbit the camera"
    assert math.isclose(math.dist(rotated, target), radius, rel_tol=1e-3), "orbit changed distance"

    page.locator("[data-action='zoom-in']").focus()
    page.keyboard.press("Space")
    wait_until_still(page)
    zoomed = page.evaluate("window.mouseionViewer.getCameraPosition()")
    assert math.dist(zoomed, target) < 0.9 * radius, "zoom in did not move closer"

    page.locator("[data-action='reset']").focus()
    page.keyboard.press("Enter")
    wait_until_still(page)
    reset = page.evaluate("window.mouseionViewer.getCameraPosition()")
    assert math.dist(reset, home) < 1e-3 * radius, "reset did not return to the home view"
    watched.assert_clean()


def test_xr_buttons_say_not_available_without_webxr(
    watched: WatchedPage, demo_pages: dict[str, str]
) -> None:
    page = watched.page
    page.goto(artifact_url(demo_pages, "whale"))
    assert wait_for_viewer(page) == {"state": "loaded"}
    page.wait_for_selector("#viewer-xr[data-xr-ready='true']")
    for mode, label in (("immersive-vr", "VR not available"), ("immersive-ar", "AR not available")):
        button = page.locator(f"[data-xr-mode='{mode}']")
        assert button.get_attribute("data-xr-state") == "unavailable"
        assert button.get_attribute("aria-disabled") == "true"
        assert button.text_content().strip() == label
    # aria-disabled keeps the button focusable; pressing it explains why nothing happens.
    page.locator("[data-xr-mode='immersive-vr']").click(force=True)
    assert "does not support" in page.locator("#viewer-xr-note").text_content()
    watched.assert_clean()


def test_a_model_that_fails_to_load_shows_an_error(
    watched: WatchedPage, demo_pages: dict[str, str]
) -> None:
    page = watched.page
    page.route("**/media/**/*.glb", lambda route: route.fulfill(status=404, body="gone"))
    page.goto(artifact_url(demo_pages, "venus"))
    result = wait_for_viewer(page)
    assert result["state"] == "error"
    alert = page.get_by_role("alert")
    assert "could not be loaded" in alert.text_content()
    assert alert.is_visible()
