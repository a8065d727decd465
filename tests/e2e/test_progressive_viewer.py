"""Progressive LOD loading, real-world dimensions and the measurement tool, in a real browser."""

from __future__ import annotations

import math
import re

import httpx
import numpy as np
import pytest

from tests.e2e.browser import WatchedPage, wait_for_viewer, wait_until_still
from tests.e2e.test_artifact_viewer import BACKGROUND, canvas_pixels

pytestmark = pytest.mark.e2e

NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def _artifacts(server_url: str) -> list[dict]:
    response = httpx.get(f"{server_url}/api/artifacts/", params={"page_size": 100}, timeout=30)
    response.raise_for_status()
    data = response.json()
    return data["results"] if isinstance(data, dict) else data


def _page(server_url: str, artifact: dict, query: str = "") -> str:
    return f"{server_url}/artifacts/{artifact['id']}/{query}"


@pytest.fixture(scope="session")
def artifacts(server_url: str) -> list[dict]:
    return [a for a in _artifacts(server_url) if a["status"] == "published"]


@pytest.fixture(scope="session")
def laddered(artifacts: list[dict]) -> dict:
    """A published artifact with thumb and web LODs (the smallest web LOD, to keep tests fast)."""
    candidates = [a for a in artifacts if a["lods"]["thumb"] and a["lods"]["web"]]
    if not candidates:
        pytest.skip("no published artifact has thumb and web LODs yet (is intake in seed_demo?)")

    def web_bytes(artifact: dict) -> int:
        return sum(
            asset["byte_size"]
            for asset in artifact["assets"]
            if asset["kind"] == "lod" and asset["label"] == "web"
        )

    return min(candidates, key=web_bytes)


def _full(page) -> dict:
    """Wait until the finest automatic LOD is drawn; returns the fullLod result."""
    wait_for_viewer(page)
    return page.evaluate("window.mouseionViewer.fullLod")


def test_thumb_first_then_web_replaces_it_in_place(
    watched: WatchedPage, server_url: str, laddered: dict
) -> None:
    page = watched.page
    page.goto(_page(server_url, laddered))
    result = _full(page)
    assert result["state"] == "loaded" and result["label"] == "web", result
    hook = page.evaluate(
        """() => ({history: mouseionViewer.lodHistory, lod: mouseionViewer.lod,
                  first: mouseionViewer.firstFrameTime, full: mouseionViewer.fullLodTime,
                  requests: performance.getEntriesByType('resource')
                    .filter((e) => e.name.includes('.glb'))
                    .map((e) => ({url: e.name, start: e.startTime}))})"""
    )
    history = hook["history"]
    assert [entry["label"] for entry in history] == ["thumb", "web"], history
    assert hook["lod"] == "web"
    assert page.locator("#viewer").get_attribute("data-lod") == "web"
    assert 0 < hook["first"] <= history[0]["time"] < history[1]["time"] <= hook["full"]

    # The web LOD downloads from the page's start, but as a low-priority preload behind the thumb
    # (issue #24: waiting for the thumb's first frame put its whole download on the way to the
    # full LOD); it is fetched once.
    web_url = laddered["lods"]["web"].split("://", 1)[-1].split("/", 1)[-1]
    thumb_url = laddered["lods"]["thumb"].split("://", 1)[-1].split("/", 1)[-1]
    web_requests = [r for r in hook["requests"] if r["url"].endswith(web_url)]
    thumb_requests = [r for r in hook["requests"] if r["url"].endswith(thumb_url)]
    assert len(web_requests) == 1 and len(thumb_requests) == 1, hook["requests"]
    assert thumb_requests[0]["start"] <= web_requests[0]["start"], hook["requests"]
    preload = page.locator(f'link[rel="preload"][href$="{web_url}"]')
    assert preload.get_attribute("fetchpriority") == "low"

    # The swap does not move the camera.
    thumb, web = history
    scale = math.dist(thumb["camera"]["position"], thumb["camera"]["target"])
    assert math.dist(thumb["camera"]["position"], web["camera"]["position"]) < 1e-6 * scale
    assert math.dist(thumb["camera"]["target"], web["camera"]["target"]) < 1e-6 * scale

    # The thumb's GPU resources were freed: what is not the model stays the same.
    overhead = [e["memory"]["geometries"] - e["model"]["geometries"] for e in history]
    assert overhead[1] == overhead[0], history
    textures = [e["memory"]["textures"] - e["model"]["textures"] for e in history]
    assert textures[1] <= textures[0] + 1, history  # + the environment map, built in between

    status = page.locator("#viewer-status")
    assert status.is_hidden(), status.text_content()
    assert page.locator("#viewer-measure").is_visible()
    watched.assert_clean()


def test_lod_query_parameter_loads_only_that_lod(
    watched: WatchedPage, server_url: str, laddered: dict
) -> None:
    page = watched.page
    page.goto(_page(server_url, laddered, "?lod=web"))
    assert _full(page)["label"] == "web"
    labels = page.evaluate("mouseionViewer.lodHistory.map((e) => e.label)")
    assert labels == ["web"]
    glbs = page.evaluate(
        "performance.getEntriesByType('resource').map((e) => e.name)"
        ".filter((name) => name.includes('.glb'))"
    )
    assert not [url for url in glbs if "thumb" in url.rsplit("/", 1)[-1]], glbs
    watched.assert_clean()


def test_inspection_lod_loads_on_request(
    watched: WatchedPage, server_url: str, artifacts: list[dict]
) -> None:
    chosen = next((a for a in artifacts if a["lods"]["inspection"] and a["lods"]["web"]), None)
    if chosen is None:
        pytest.skip("no published artifact has an inspection LOD")
    page = watched.page
    page.goto(_page(server_url, chosen))
    _full(page)
    camera = page.evaluate("mouseionViewer.getCameraPosition()")
    button = page.locator("#viewer-inspect")
    assert button.text_content().strip() == "Inspect in full detail"
    button.click()
    page.wait_for_function("() => mouseionViewer.lod === 'inspection'", timeout=60_000)
    assert button.get_attribute("aria-disabled") == "true"
    assert page.evaluate("mouseionViewer.getCameraPosition()") == camera
    watched.assert_clean()


def _model_mask(page) -> np.ndarray:
    pixels = canvas_pixels(page)
    return np.abs(pixels - BACKGROUND).sum(axis=2) > 60


def _surface_pairs(page, mask: np.ndarray, box: dict):
    """Candidate pairs of canvas points on the model, far apart, in client coordinates."""
    ys = np.nonzero(mask)[0]
    scale_x, scale_y = box["width"] / mask.shape[1], box["height"] / mask.shape[0]
    cy = int(np.median(ys))
    for dy in (0, -20, 20, -40, 40, -60, 60):
        row = np.nonzero(mask[cy + dy])[0] if 0 <= cy + dy < mask.shape[0] else []
        if len(row) < 10:
            continue
        left, right = row.min(), row.max()
        inset = (right - left) * 0.15
        yield [
            (box["x"] + (x + 0.5) * scale_x, box["y"] + (cy + dy + 0.5) * scale_y)
            for x in (left + inset, right - inset)
        ]


def _hits(page, x: float, y: float) -> list[float] | None:
    on_canvas = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.id === 'viewer-canvas'", [x, y]
    )
    if not on_canvas:
        return None
    return page.evaluate("([x, y]) => mouseionViewer.surfacePointAt(x, y)", [x, y])


def test_measure_two_points_on_the_model(
    watched: WatchedPage, server_url: str, laddered: dict
) -> None:
    page = watched.page
    page.goto(_page(server_url, laddered))
    _full(page)
    wait_until_still(page)
    button = page.locator("#viewer-measure")
    assert button.get_attribute("aria-pressed") == "false"
    mask = _model_mask(page)
    box = page.locator("#viewer-canvas").bounding_box()

    button.click()
    assert button.get_attribute("aria-pressed") == "true"
    readout = page.locator("#viewer-measure-readout")
    page.wait_for_function("() => document.getElementById('viewer-measure-readout').textContent")
    assert "click a point" in readout.text_content()

    pair = next(
        (pair for pair in _surface_pairs(page, mask, box) if all(_hits(page, *p) for p in pair)),
        None,
    )
    assert pair, "found no two points of the drawn model that the raycast hits"
    expected = math.dist(_hits(page, *pair[0]), _hits(page, *pair[1])) * 100
    for x, y in pair:
        page.mouse.click(x, y)
    label = page.locator("#viewer-measure-label")
    label.wait_for(state="visible")
    shown = float(NUMBER.search(label.text_content()).group().replace(",", "."))
    assert label.text_content().strip().endswith("cm")
    assert abs(shown - expected) <= 0.051, (shown, expected)

    dims = laddered["dimensions_m"] or {}
    if all(dims.get(side) for side in ("height", "width", "depth")):
        diagonal_cm = math.hypot(dims["height"], dims["width"], dims["depth"]) * 100 * 1.02
    else:
        bounds = page.evaluate("mouseionViewer.modelBounds()")
        diagonal_cm = math.dist(bounds["min"], bounds["max"]) * 100
    assert 0 < shown <= diagonal_cm, (shown, diagonal_cm)
    page.wait_for_function(
        "(t) => document.getElementById('viewer-measure-readout').textContent.includes(t)",
        arg=label.text_content().strip(),
    )
    assert readout.text_content().startswith("Distance:")

    # A new measurement replaces the previous one; Escape cancels and leaves the mode.
    distance = page.evaluate("mouseionViewer.measureBetween([0, 0, 0], [0, 0.1, 0])")
    assert distance == pytest.approx(10)
    assert label.text_content().strip() == "10.0 cm"
    assert page.locator(".measure-label").count() == 1
    page.keyboard.press("Escape")
    assert label.is_hidden()
    assert button.get_attribute("aria-pressed") == "false"
    page.wait_for_function(
        "() => document.getElementById('viewer-measure-readout').textContent.includes('cancelled')"
    )
    watched.assert_clean()


def test_measure_is_reachable_from_the_keyboard(
    watched: WatchedPage, server_url: str, laddered: dict
) -> None:
    page = watched.page
    page.goto(_page(server_url, laddered))
    assert wait_for_viewer(page) == {"state": "loaded"}
    button = page.get_by_role("button", name="Measure")
    button.focus()
    page.keyboard.press("Space")
    assert button.get_attribute("aria-pressed") == "true"
    assert page.locator("#viewer-measure-readout").get_attribute("aria-live") == "polite"
    page.evaluate("mouseionViewer.measureBetween([0, 0, 0], [0.123, 0, 0])")
    page.wait_for_function(
        "(text) => document.getElementById('viewer-measure-readout').textContent === text",
        arg="Distance: 12.3 cm",
    )
    page.keyboard.press("Enter")  # on the button: toggles the mode off, the result stays
    assert button.get_attribute("aria-pressed") == "false"
    watched.assert_clean()


def test_dimensions_match_the_record(
    watched: WatchedPage, server_url: str, artifacts: list[dict]
) -> None:
    chosen = next((a for a in artifacts if (a.get("dimensions_m") or {}).get("height")), None)
    if chosen is None:
        pytest.skip("no published artifact records its height")
    height_m = httpx.get(f"{server_url}/api/artifacts/{chosen['id']}/", timeout=30).json()[
        "dimensions_m"
    ]["height"]
    page = watched.page
    page.goto(_page(server_url, chosen))
    dimensions = page.locator("#viewer-dimensions")
    assert dimensions.is_visible()
    unit = dimensions.get_attribute("data-unit")
    text = dimensions.locator(".viewer__dimensions-value").text_content()
    shown = float(NUMBER.search(text).group().replace(",", "."))
    if unit == "cm":
        assert abs(shown - height_m * 100) <= 0.051, (text, height_m)
        assert "cm" in text
    else:
        assert abs(shown - height_m) <= 0.0051, (text, height_m)
    spoken = dimensions.locator(".visually-hidden").text_content()
    assert spoken.startswith("height ")


def test_artifact_without_lods_falls_back_to_its_model(
    watched: WatchedPage, server_url: str, artifacts: list[dict]
) -> None:
    chosen = next((a for a in artifacts if not any(a["lods"].values()) and a["model_url"]), None)
    if chosen is None:
        pytest.skip("every published artifact has LODs")
    page = watched.page
    page.goto(_page(server_url, chosen))
    assert _full(page)["label"] == "model"
    assert page.evaluate("mouseionViewer.plan") == ["model"]
    assert page.locator("#viewer-measure").count() == 0
    watched.assert_clean()
