"""The artifact viewer's inspection tools (#22) in a real browser: each tool changes what is
drawn or measured as it should, from the panel's labelled controls."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from tests.e2e.browser import SCREENSHOTS, WatchedPage, run_axe, wait_until_still
from tests.e2e.test_artifact_viewer import BACKGROUND, canvas_pixels
from tests.e2e.test_progressive_viewer import _artifacts, _full, _page

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def artifact(server_url: str) -> dict:
    """A published artifact with LODs (normalised to metres: measurable, with a scale bar)."""
    published = [a for a in _artifacts(server_url) if a["status"] == "published"]
    candidates = [a for a in published if a["lods"]["web"]]
    if not candidates:
        pytest.skip("no published artifact has a web LOD yet (is intake in seed_demo?)")
    return next((a for a in candidates if "whale" in a["title"].lower()), candidates[0])


def open_tools(page, server_url: str, artifact: dict) -> None:
    page.goto(_page(server_url, artifact))
    _full(page)
    wait_until_still(page)
    toggle = page.locator("#inspect-toggle")  # the toolbar's button opens the panel
    toggle.wait_for(state="visible")
    toggle.click()
    page.locator("#inspect-panel").wait_for(state="visible")
    assert toggle.get_attribute("aria-expanded") == "true"


def frame(page) -> np.ndarray:
    page.wait_for_timeout(250)  # renders on demand: let the requested frame be drawn
    return canvas_pixels(page)


def differs(a: np.ndarray, b: np.ndarray) -> float:
    """Share of pixels whose colour changed noticeably."""
    return float((np.abs(a - b).sum(axis=2) > 24).mean())


def model_pixels(pixels: np.ndarray) -> int:
    return int((np.abs(pixels - BACKGROUND).sum(axis=2) > 30).sum())


def state(page) -> dict:
    return page.evaluate("mouseionViewer.inspectState()")


def test_raking_light_and_render_modes_change_the_image(
    watched: WatchedPage, server_url: str, artifact: dict
) -> None:
    page = watched.page
    open_tools(page, server_url, artifact)
    plain = frame(page)

    # From the keyboard: Space on the focused checkbox.
    raking = page.locator('[data-inspect="raking"]')
    raking.focus()
    page.keyboard.press("Space")
    assert state(page)["raking"] is True
    raked = frame(page)
    assert differs(plain, raked) > 0.02, "the raking light did not change the image"
    before = state(page)["lightDirection"]
    page.locator('[data-inspect="azimuth"]').fill("210")
    moved = frame(page)
    assert differs(raked, moved) > 0.01, "moving the light did not change the image"
    assert state(page)["lightDirection"] != before
    # Dragging on the light pad moves the light too (to the left rim: grazing from the left).
    page.locator('[data-inspect="light-pad"]').scroll_into_view_if_needed()
    pad = page.locator('[data-inspect="light-pad"]').bounding_box()
    page.mouse.move(pad["x"] + pad["width"] / 2, pad["y"] + pad["height"] / 2)
    page.mouse.down()
    page.mouse.move(pad["x"] + 2, pad["y"] + pad["height"] / 2, steps=5)
    page.mouse.up()
    assert page.locator('[data-inspect="azimuth"]').input_value() == "180"
    assert int(page.locator('[data-inspect="elevation"]').input_value()) <= 20
    dragged = frame(page)
    assert differs(moved, dragged) > 0.01, "dragging the light did not change the image"
    raking.uncheck()
    assert differs(plain, frame(page)) < 0.01, "the room light did not come back"

    images = {"standard": plain}
    for mode in ("unlit", "normals", "curvature", "specular"):
        page.locator(f'[name="inspect-render-mode"][value="{mode}"]').check()
        assert state(page)["renderMode"] == mode
        images[mode] = frame(page)
        assert differs(plain, images[mode]) > 0.02, f"{mode} looks like the model's own colours"
    for a, b in (("unlit", "normals"), ("normals", "curvature"), ("curvature", "specular")):
        assert differs(images[a], images[b]) > 0.02, f"{a} and {b} look the same"
    page.locator('[name="inspect-render-mode"][value="standard"]').check()
    assert differs(plain, frame(page)) < 0.01, "the model's own materials did not come back"
    watched.assert_clean()


def test_section_plane_cuts_away_part_of_the_model_and_turns(
    watched: WatchedPage, server_url: str, artifact: dict
) -> None:
    page = watched.page
    open_tools(page, server_url, artifact)
    whole = model_pixels(frame(page))
    page.locator('[data-inspect="section"]').check()
    cut = model_pixels(frame(page))
    assert cut < whole * 0.8, f"the section hid too little: {cut} of {whole} pixels left"
    normal = state(page)["plane"]["normal"]
    page.locator('[data-inspect="turn"]').fill("270")  # the other half
    other = state(page)["plane"]["normal"]
    assert np.allclose(other, [-n for n in normal], atol=1e-6), (normal, other)
    page.locator('[data-inspect="tilt"]').fill("90")  # a horizontal cut, keeping the top
    assert np.allclose(state(page)["plane"]["normal"], [0, 1, 0], atol=1e-6)
    page.locator('[data-inspect="offset"]').fill("-100")  # the plane below the model
    assert model_pixels(frame(page)) > whole * 0.9
    page.locator('[data-inspect="section"]').uncheck()
    assert abs(model_pixels(frame(page)) - whole) < whole * 0.02
    watched.assert_clean()


def test_orthographic_view_switches_the_camera(
    watched: WatchedPage, server_url: str, artifact: dict
) -> None:
    page = watched.page
    open_tools(page, server_url, artifact)
    assert state(page)["cameraType"] == "PerspectiveCamera"
    perspective = frame(page)
    page.locator('[data-inspect="orthographic"]').check()
    assert state(page)["cameraType"] == "OrthographicCamera"
    assert differs(perspective, frame(page)) > 0.005
    # Zoom buttons still work in the orthographic view.
    before = model_pixels(frame(page))
    page.locator('[data-action="zoom-in"]').click()
    wait_until_still(page)
    assert model_pixels(frame(page)) > before * 1.1
    page.locator('[data-inspect="orthographic"]').uncheck()
    assert state(page)["cameraType"] == "PerspectiveCamera"
    watched.assert_clean()


def test_angle_area_and_point_measurements(
    watched: WatchedPage, server_url: str, artifact: dict
) -> None:
    page = watched.page
    open_tools(page, server_url, artifact)
    measure = "([mode, points]) => mouseionViewer.measureWith(mode, points)"
    right = page.evaluate(measure, ["angle", [[0.1, 0, 0], [0, 0, 0], [0, 0.1, 0]]])
    assert abs(right["value"] - 90) < 1e-6 and right["label"].endswith("°"), right
    sixty = page.evaluate(measure, ["angle", [[1, 0, 0], [0, 0, 0], [0.5, math.sqrt(3) / 2, 0]]])
    assert abs(sixty["value"] - 60) < 1e-6
    triangle = page.evaluate(measure, ["area", [[0, 0, 0], [0.1, 0, 0], [0, 0.2, 0]]])
    assert triangle["closed"] and abs(triangle["value"] - 100) < 1e-6, triangle  # 0.01 m²
    assert triangle["label"].endswith("cm²")
    square = page.evaluate(measure, ["area", [[0, 0, 0], [0.1, 0, 0], [0.1, 0, 0.1], [0, 0, 0.1]]])
    assert abs(square["value"] - 100) < 1e-6
    point = page.evaluate(measure, ["point", [[0.012, 0.034, -0.056]]])
    assert np.allclose(point["value"], [1.2, 3.4, -5.6])

    # Picked by clicks on the model: the angle shown is that of the points the clicks hit.
    page.locator('[name="inspect-measure-mode"][value="angle"]').check()
    assert page.locator("#viewer-measure").get_attribute("aria-pressed") == "true"
    page.locator("#viewer-canvas").scroll_into_view_if_needed()
    box = page.locator("#viewer-canvas").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    clicks = [(cx - 25, cy + 10), (cx, cy), (cx + 5, cy - 30)]
    on_canvas = "([x, y]) => document.elementFromPoint(x, y)?.id === 'viewer-canvas'"
    assert all(page.evaluate(on_canvas, c) for c in clicks), "the canvas is covered"
    hits = [page.evaluate("([x, y]) => mouseionViewer.surfacePointAt(x, y)", c) for c in clicks]
    if not all(hits):
        pytest.skip(f"the model does not cover the view's centre: {hits}")
    for x, y in clicks:
        page.mouse.click(x, y)
    picked = page.evaluate("mouseionViewer.measureState()")
    assert picked["mode"] == "angle" and len(picked["points"]) == 3
    a, b, c = (np.array(p) for p in hits)
    u, v = a - b, c - b
    expected = math.degrees(math.acos(np.dot(u, v) / np.linalg.norm(u) / np.linalg.norm(v)))
    assert abs(picked["value"] - expected) < 0.01, (picked, expected)
    watched.assert_clean()


def test_scale_bar_matches_the_model_units(
    watched: WatchedPage, server_url: str, artifact: dict
) -> None:
    page = watched.page
    open_tools(page, server_url, artifact)
    page.locator('[data-inspect="scale-bar"]').check()
    for orthographic in (False, True):
        page.locator('[data-inspect="orthographic"]').set_checked(orthographic)
        page.wait_for_timeout(250)
        bar = state(page)["scaleBar"]
        assert bar["visible"] and bar["metres"] > 0, bar
        target = page.evaluate("mouseionViewer.getCameraTarget()")
        right = page.evaluate("mouseionViewer.cameraRight()")
        end = [t + r * bar["metres"] for t, r in zip(target, right, strict=True)]
        x0, y0 = page.evaluate("(p) => mouseionViewer.clientPoint(p)", target)
        x1, y1 = page.evaluate("(p) => mouseionViewer.clientPoint(p)", end)
        on_screen = math.hypot(x1 - x0, y1 - y0)
        assert abs(bar["widthPx"] - on_screen) < 0.5, (bar, on_screen)
        drawn = page.locator("#viewer-scale-bar .scale-bar__bar").bounding_box()["width"]
        assert abs(drawn - on_screen) < 1.0, (drawn, on_screen)
        # The label names the same length: a 1-2-5 step, in mm, cm or m.
        value = float(bar["label"].split()[0].replace(",", "."))
        unit = bar["label"].split()[-1]
        factor = {"mm": 1000, "cm": 100, "m": 1}[unit]
        assert math.isclose(value, bar["metres"] * factor, rel_tol=1e-9), bar
    watched.assert_clean()


def test_screenshot_is_twice_the_canvas(
    watched: WatchedPage, server_url: str, artifact: dict
) -> None:
    page = watched.page
    open_tools(page, server_url, artifact)
    size = page.evaluate(
        "() => { const c = document.getElementById('viewer-canvas'); return [c.width, c.height]; }"
    )
    with page.expect_download(timeout=60_000) as download_info:
        page.locator('[data-inspect="screenshot"]').click()
    download = download_info.value
    assert download.suggested_filename.endswith("-2x.png")
    image = Image.open(download.path())
    assert image.format == "PNG"
    assert image.size == (size[0] * 2, size[1] * 2), (image.size, size)
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    assert model_pixels(pixels) > 0.03 * pixels.shape[0] * pixels.shape[1], "blank screenshot"
    # The canvas is back at its own size and still draws the model.
    after = page.evaluate(
        "() => { const c = document.getElementById('viewer-canvas'); return [c.width, c.height]; }"
    )
    assert after == size
    assert model_pixels(frame(page)) > 0
    assert "pixels" in page.locator("#inspect-status").text_content()
    watched.assert_clean()


def test_inspection_panel_passes_axe(watched: WatchedPage, server_url: str, artifact: dict) -> None:
    page = watched.page
    open_tools(page, server_url, artifact)
    page.locator('[data-inspect="section"]').check()
    page.locator('[data-inspect="scale-bar"]').check()
    page.locator('[name="inspect-render-mode"][value="curvature"]').check()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "artifact-inspection-tools.png"), full_page=True)
    ours = ("inspect", "scale-bar", "quicklook")
    violations = [
        v for v in run_axe(page) if any(any(o in node for o in ours) for node in v["nodes"])
    ]
    assert not violations, violations
