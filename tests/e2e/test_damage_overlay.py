"""The damage overlay in a real browser: the condition check that seed_demo's intake queued runs
in the live worker, and the artifact page draws its masks on the 3D model."""

from __future__ import annotations

import re
import time

import httpx
import numpy as np
import pytest

from tests.e2e.browser import SCREENSHOTS, WatchedPage, artifact_url, run_axe, wait_for_viewer
from tests.e2e.test_artifact_viewer import canvas_pixels

pytestmark = pytest.mark.e2e
CONDITION_TIMEOUT_S = 240  # the worker runs after seed_demo; the saxophone has a 2048² texture


def wait_for_condition(server_url: str, artifact_id: str, curator: httpx.Auth) -> dict:
    """The artifact's condition once the worker has stored it (the job runs after intake),
    released to visitors by the demo curator (records are unreleased until then, #16)."""
    url = f"{server_url}/api/artifacts/{artifact_id}/condition"
    deadline = time.monotonic() + CONDITION_TIMEOUT_S
    while time.monotonic() < deadline:
        body = httpx.get(url, auth=curator, timeout=10).json()
        if body["records"]:
            for record in body["records"]:
                released = httpx.post(
                    f"{server_url}/api/condition-records/{record['id']}/release",
                    json={"released": True},
                    auth=curator,
                    timeout=10,
                )
                assert released.status_code == 200, released.text
            public = httpx.get(url, timeout=10).json()
            assert len(public["records"]) == len(body["records"])
            return public
        time.sleep(2)
    pytest.fail(f"no condition record for artifact {artifact_id} after {CONDITION_TIMEOUT_S} s")


def test_damage_overlay_toggles_on_the_model(
    watched: WatchedPage, demo_pages: dict[str, str], server_url: str, live_museum
) -> None:
    url = artifact_url(demo_pages, "saxophone")
    artifact_id = re.search(r"/artifacts/(\d+)/", url).group(1)
    condition = wait_for_condition(server_url, artifact_id, live_museum.api_auth("curator"))
    [record] = condition["records"]
    assert record["origin"] == "source" and record["width_px"] == 2048
    assert record["metres_per_pixel"] and 1e-5 < record["metres_per_pixel"] < 1e-2

    page = watched.page
    page.goto(url)
    assert wait_for_viewer(page) == {"state": "loaded"}
    assert page.evaluate("window.mouseionViewer.fullLod.then(() => true)")
    assert page.evaluate("window.mouseionViewer.damageReady()") is True
    panel = page.locator("#damage-panel")
    assert panel.is_visible()
    before = page.evaluate("window.mouseionViewer.damageState()")
    assert before["available"] and not before["active"] and before["appliedMeshes"] == 0
    assert before["modelVersion"] == condition["model_version"]

    page.locator("#damage-toggle").click()
    labels = page.locator("#damage-classes label")
    assert labels.count() == 4
    for name in ("Crack", "Loss", "Corrosion", "Fading"):
        assert name in page.locator("#damage-classes").inner_text()
    # The model version is for staff (#22 item 9): a visitor reads plain words.
    assert page.locator("#damage-model-version").count() == 0
    assert "Grad-CAM" not in page.locator("#damage-options").inner_text()
    page.wait_for_function("window.mouseionViewer.damageState().appliedMeshes > 0")
    shown = page.evaluate("window.mouseionViewer.damageState()")
    assert shown["active"] and shown["mode"] == "masks"
    assert any(material["overlay"] for material in shown["materials"])
    assert {m["uuid"] for m in shown["materials"]} != {m["uuid"] for m in before["materials"]}

    # The probability map, drawn the same way, changes what the canvas shows.
    plain = canvas_pixels(page)
    page.locator('input[name="damage-view"][value="probability"]').check()
    page.wait_for_function("window.mouseionViewer.damageState().mode === 'probability'")
    page.wait_for_function("window.mouseionViewer.damageState().appliedMeshes > 0")
    page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    heat = canvas_pixels(page)
    changed = float((np.abs(heat - plain).sum(axis=2) > 30).mean())
    assert changed > 0.01, f"the probability overlay changed only {changed:.2%} of the canvas"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "artifact-damage-overlay.png"), full_page=True)
    blocking = [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]
    assert not blocking, f"axe violations with the damage panel open: {blocking}"

    # Off again: the model's own materials are back.
    page.locator("#damage-toggle").click()
    page.wait_for_function("window.mouseionViewer.damageState().appliedMeshes === 0")
    after = page.evaluate("window.mouseionViewer.damageState()")
    assert {m["uuid"] for m in after["materials"]} == {m["uuid"] for m in before["materials"]}
    assert not any(material["overlay"] for material in after["materials"])
    watched.assert_clean()


def test_condition_report_page_and_pdf_of_a_demo_artifact(
    watched: WatchedPage, demo_pages: dict[str, str], server_url: str, live_museum
) -> None:
    url = artifact_url(demo_pages, "saxophone")
    artifact_id = re.search(r"/artifacts/(\d+)/", url).group(1)
    condition = wait_for_condition(server_url, artifact_id, live_museum.api_auth("curator"))
    page = watched.page
    page.goto(f"{server_url}/artifacts/{artifact_id}/condition/")
    # Visitors read plain words; the model version is in the staff's details (#22 item 9).
    assert condition["model_version"] not in page.content()
    assert page.get_by_text("Where the check looked for cracks").count() >= 1
    assert page.locator(".condition-table tbody tr").count() == 4
    for image in page.locator(".condition-pictures img").all():
        assert image.evaluate("(img) => img.decode().then(() => img.naturalWidth > 0)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "condition-report.png"), full_page=True)
    blocking = [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]
    assert not blocking, f"axe violations on the condition report: {blocking}"
    pdf = httpx.get(f"{server_url}/artifacts/{artifact_id}/condition.pdf", timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    watched.assert_clean()


def test_curator_paints_a_mask_correction_on_the_report_page(
    watched: WatchedPage, demo_pages: dict[str, str], server_url: str, live_museum
) -> None:
    url = artifact_url(demo_pages, "saxophone")
    artifact_id = re.search(r"/artifacts/(\d+)/", url).group(1)
    wait_for_condition(server_url, artifact_id, live_museum.api_auth("curator"))
    page = watched.page
    report = f"/artifacts/{artifact_id}/condition/"
    page.goto(f"{server_url}/admin/login/?next={report}")
    page.fill("#id_username", "curator")
    page.fill("#id_password", live_museum.demo_password)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(re.escape(report) + "$"))
    page.locator(".condition-correct summary").first.click()
    editor = page.locator("[data-mask-editor]").first
    editor.locator("[data-editor-class]").select_option("loss")
    texture = editor.locator(".mask-editor__texture")
    assert texture.evaluate("(img) => img.decode().then(() => img.naturalWidth)") == 2048
    editor.locator("canvas").scroll_into_view_if_needed()  # the mouse does not scroll
    box = editor.locator("canvas").bounding_box()
    assert box["width"] > 100 and box["height"] > 100, box
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.5, steps=12)
    page.mouse.up()
    editor.locator("[data-editor-save]").click()
    page.wait_for_function(
        "document.querySelector('[data-mask-editor]').dataset.savedCorrection !== undefined"
    )
    body = page.request.get(f"{server_url}/api/artifacts/{artifact_id}/condition").json()
    [correction] = [c for c in body["records"][0]["corrections"] if c["damage_class"] == "loss"]
    # A stroke across 60 % of the texture, 8 screen pixels wide: a thin band, not nothing.
    assert 0.001 < correction["pixel_share"] < 0.1, correction
    assert correction["author"] == "curator"
    watched.assert_clean()
