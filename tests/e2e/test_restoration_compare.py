"""The before/after restoration slider in a real browser: a visitor sees the accepted
restoration only, labelled as virtual; dragging the divider moves the split between the
original (left) and the restoration (right) on the canvas; generated regions can be tinted.
A curator requests a restoration on the page and watches the live worker run it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import numpy as np
import pytest

from tests.e2e.browser import SCREENSHOTS, WatchedPage, run_axe, wait_for_viewer, wait_until_still
from tests.e2e.test_artifact_viewer import canvas_pixels

pytestmark = pytest.mark.e2e
SEED = "import json; from tests.e2e.restoration_seed import seed; print(json.dumps(seed()))"
UNSEED = "from exhibits.models import Artifact; Artifact.objects.filter(pk={}).delete()"


@pytest.fixture(scope="module")
def seeded(live_museum) -> Iterator[dict[str, int]]:
    output = live_museum.manage("shell", "-c", SEED, timeout=300).stdout
    ids = json.loads(output.strip().splitlines()[-1])
    yield ids
    # The live museum is shared by the session: later tests expect the demo collection only.
    live_museum.manage("shell", "-c", UNSEED.format(ids["artifact"]), timeout=120)


def canvas(page) -> np.ndarray:
    """The canvas alone: the divider and its labels are page elements over it."""
    page.evaluate("document.getElementById('restoration-divider').style.visibility = 'hidden'")
    pixels = canvas_pixels(page)
    page.evaluate("document.getElementById('restoration-divider').style.visibility = ''")
    return pixels


def set_split(page, percent: int) -> None:
    page.locator("#restoration-split").fill(str(percent))
    page.wait_for_function(
        f"Math.abs(window.mouseionViewer.restorationState().split - {percent / 100}) < 1e-6"
    )
    page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def test_visitor_drags_the_before_after_divider(
    watched: WatchedPage, server_url: str, seeded: dict[str, int]
) -> None:
    page = watched.page
    page.goto(f"{server_url}/artifacts/{seeded['artifact']}/")
    assert wait_for_viewer(page) == {"state": "loaded"}
    assert page.evaluate("window.mouseionViewer.restorationReady()") is True
    page.wait_for_function("window.mouseionViewer.restorationState().active")
    state = page.evaluate("window.mouseionViewer.restorationState()")
    # The rejected restoration is not offered to visitors; the accepted one is shown.
    assert state["available"] == [
        {"id": seeded["accepted"], "kind": "surface", "review": "accepted"}
    ]
    assert state["current"] == seeded["accepted"]
    panel = page.locator("#restoration-panel")
    assert panel.is_visible() and "Virtual restoration" in panel.inner_text()
    assert page.locator("#restoration-curator").count() == 0  # no curator tools for visitors
    # Plain words for visitors: no methods, no confidence.
    meta = page.locator("#restoration-meta").inner_text()
    assert "restored area" in meta and "confidence" not in meta and "telea" not in meta
    divider = page.locator("#restoration-divider")
    assert divider.is_visible() and "Virtual restoration" in divider.inner_text()
    wait_until_still(page)

    set_split(page, 100)  # all original
    original = canvas(page)
    set_split(page, 0)  # all restored
    restored = canvas(page)
    changed = np.abs(original - restored).sum(axis=2) > 40
    assert changed.mean() > 0.01, f"the restoration changed only {changed.mean():.2%} of the canvas"

    # Drag the divider from the left edge to the middle of the stage, across the model.
    stage = page.locator("#viewer-stage").bounding_box()
    handle = page.locator(".restoration-divider__handle").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    target = stage["x"] + stage["width"] * 0.5
    page.mouse.move(target, handle["y"] + handle["height"] / 2, steps=8)
    page.mouse.up()
    split = page.evaluate("window.mouseionViewer.restorationState().split")
    assert split == pytest.approx(0.5, abs=0.02)
    assert float(divider.get_attribute("data-split")) == pytest.approx(split, abs=1e-3)
    assert page.locator("#restoration-split").input_value() == str(round(split * 100))
    page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert page.evaluate("window.mouseionViewer.getCameraPosition()") is not None
    both = canvas(page)
    width = both.shape[1]
    cut = int(width * split)
    left, right = slice(0, cut - 4), slice(cut + 4, width)
    # Left of the divider: the original, pixel for pixel; right of it: the restoration.
    assert np.abs(both[:, left] - original[:, left]).max() <= 8
    assert np.abs(both[:, right] - restored[:, right]).max() <= 8
    # Both sides show part of the model where the two differ, so the checks above are not vacuous.
    assert changed[:, left].mean() > 0.005 and changed[:, right].mean() > 0.005

    # Generated regions are tinted on the restoration (right) side only.
    page.locator("#restoration-generated").check()
    page.wait_for_function("window.mouseionViewer.restorationState().tinted > 0")
    page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    tinted = canvas(page)
    assert np.abs(tinted[:, left] - original[:, left]).max() <= 8
    assert (np.abs(tinted[:, right] - both[:, right]).sum(axis=2) > 40).mean() > 0.005
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "artifact-restoration-compare.png"), full_page=True)
    blocking = [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]
    assert not blocking, f"axe violations with the restoration panel: {blocking}"
    watched.assert_clean()


def test_curator_requests_a_restoration_and_sees_its_progress(
    watched: WatchedPage, server_url: str, seeded: dict[str, int], live_museum
) -> None:
    page = watched.page
    target = f"/artifacts/{seeded['artifact']}/"
    page.goto(f"{server_url}/admin/login/?next={target}")
    page.fill("#id_username", "curator")
    page.fill("#id_password", live_museum.demo_password)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(re.escape(target) + "$"))
    assert wait_for_viewer(page) == {"state": "loaded"}
    page.evaluate("window.mouseionViewer.restorationReady()")
    state = page.evaluate("window.mouseionViewer.restorationState()")
    ids = {entry["id"] for entry in state["available"]}
    assert {seeded["accepted"], seeded["rejected"]} <= ids  # curators see rejected ones too
    assert page.locator("[data-review=accept]").is_visible()
    # Staff read the methods and the weakest region's calibrated confidence.
    meta = page.locator("#restoration-meta").inner_text()
    assert "methods: telea" in meta and re.search(r"lowest confidence \d+ %", meta), meta
    page.locator("[data-restore-kind=surface]").click()
    # The live worker (gpu queue) runs it; the page polls the job every second.
    page.wait_for_function(
        "document.getElementById('restoration-panel').dataset.jobStatus === 'done'",
        timeout=300_000,
    )
    page.wait_for_function(
        f"window.mouseionViewer.restorationState().available.length === {len(ids) + 1}"
    )
    # The new restoration is loaded into the comparison.
    page.wait_for_function(
        f"(() => {{ const s = window.mouseionViewer.restorationState();"
        f" return s.active && !{sorted(ids)}.includes(s.current); }})()"
    )
    newest = page.evaluate("window.mouseionViewer.restorationState()")
    page.locator("#restoration-note").fill("fine")
    page.locator("[data-review=accept]").click()
    page.wait_for_function(
        "window.mouseionViewer.restorationState().available.some("
        f"(r) => r.id === {newest['current']} && r.review === 'accepted')"
    )
    # The earlier accepted restoration went back to pending review.
    body = page.request.get(f"{server_url}/api/artifacts/{seeded['artifact']}/restorations")
    reviews = {r["id"]: r["review"] for r in body.json()["restorations"]}
    assert reviews[seeded["accepted"]] == "pending" and reviews[newest["current"]] == "accepted"
    watched.assert_clean()
