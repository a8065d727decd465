"""The damage overlay and the inspection tools' render modes both swap the model's materials
(#22). The rule: the overlay shows over the Colour mode only; another mode turns it off, visibly,
and turning it on brings Colour back. Any order of clicks leaves the page and the model agreeing."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.e2e.browser import WatchedPage, wait_for_viewer

pytestmark = pytest.mark.e2e

# A textured sphere with a released condition check (restoration_seed's texture and mask), made
# in the live museum: the demo's own check runs in the worker for minutes on a loaded machine.
SEED = """
import json
import numpy as np
from django.core.files.base import ContentFile
from django.utils import timezone
from exhibits.collection import services
from exhibits.models import Artifact, Job, PublicationStatus
from restoration.models import ConditionRecord, DamageFinding
from tests.e2e.restoration_seed import SIZE, _png, sphere_glb, textures
cracked, mask = textures()
artifact = Artifact.objects.create(
    object_number="E2E.MODES.1", title="Render modes test sphere",
    status=PublicationStatus.PUBLISHED)
source = services.store_source_asset(
    artifact=artifact, upload=ContentFile(sphere_glb(cracked), name="sphere.glb"),
    filename="sphere.glb")
services.set_source_public(assets=artifact.assets.filter(pk=source.pk), public=True)
check = Job.objects.create(
    kind="condition", artifact=artifact, status=Job.Status.DONE, finished_at=timezone.now())
record = ConditionRecord.objects.create(
    artifact=artifact, job=check, source_asset=source, origin=ConditionRecord.Origin.SOURCE,
    image_index=0, width_px=SIZE, height_px=SIZE, model_version="e2e", released=True,
    texture=ContentFile(_png(cracked), name="t0.png"))
DamageFinding.objects.create(
    record=record, damage_class="crack", pixel_share=float(mask.mean()),
    mask=ContentFile(_png(np.where(mask, 255, 0).astype(np.uint8)), name="t0-crack.png"))
print(json.dumps({"artifact": artifact.pk}))
"""
UNSEED = "from exhibits.models import Artifact; Artifact.objects.filter(pk={}).delete()"


@pytest.fixture(scope="module")
def sphere(live_museum) -> Iterator[int]:
    output = live_museum.manage("shell", "-c", SEED, timeout=300).stdout
    artifact = json.loads(output.strip().splitlines()[-1])["artifact"]
    yield artifact
    # The live museum is shared by the session: later tests expect the demo collection only.
    live_museum.manage("shell", "-c", UNSEED.format(artifact), timeout=120)


def damage(page) -> dict:
    return page.evaluate("mouseionViewer.damageState()")


def mode(page) -> str:
    return page.evaluate("mouseionViewer.inspectState().renderMode")


def worn(page) -> set[str]:
    return {m["uuid"] for m in damage(page)["materials"]}


def overlay_shown(page) -> bool:
    state = damage(page)
    return state["appliedMeshes"] > 0 and any(m["overlay"] for m in state["materials"])


def assert_consistent(page) -> None:
    """The button, the options, the radios and the materials say the same thing."""
    state = damage(page)
    pressed = page.locator("#damage-toggle").get_attribute("aria-pressed") == "true"
    assert pressed == state["active"], state
    assert page.locator("#damage-options").is_visible() == state["active"]
    checked = page.locator('input[name="inspect-render-mode"]:checked').get_attribute("value")
    assert checked == mode(page)
    if state["active"]:
        assert mode(page) == "standard"
        assert overlay_shown(page)
    else:
        assert not any(m["overlay"] for m in state["materials"]), state


def settle(page) -> None:
    page.wait_for_timeout(300)  # the overlay's application is queued (refresh)


def test_damage_overlay_and_render_modes_in_any_order(
    watched: WatchedPage, server_url: str, sphere: int
) -> None:
    page = watched.page
    page.goto(f"{server_url}/artifacts/{sphere}/")
    wait_for_viewer(page)
    assert page.evaluate("mouseionViewer.fullLod.then(() => true)")
    assert page.evaluate("mouseionViewer.damageReady()") is True
    page.locator("#inspect-toggle").click()
    own = worn(page)
    toggle = page.locator("#damage-toggle")

    # Overlay on, then another mode: the overlay goes off, and its button says so.
    toggle.click()
    page.wait_for_function("mouseionViewer.damageState().appliedMeshes > 0")
    assert_consistent(page)
    page.locator('input[name="inspect-render-mode"][value="normals"]').check()
    page.wait_for_function("!mouseionViewer.damageState().active")
    settle(page)
    assert mode(page) == "normals"
    assert_consistent(page)

    # A mode, then the overlay on: Colour comes back, with the overlay over it.
    toggle.click()
    page.wait_for_function("mouseionViewer.damageState().appliedMeshes > 0")
    assert mode(page) == "standard"
    assert_consistent(page)

    # A section opened and closed while the overlay shows: the overlay stays.
    section = page.locator('[data-inspect="section"]')
    section.check()
    settle(page)
    assert overlay_shown(page), "the section plane dropped the overlay"
    section.uncheck()
    settle(page)
    assert overlay_shown(page)
    assert_consistent(page)

    # Overlay off: the model wears its own materials again.
    toggle.click()
    page.wait_for_function("mouseionViewer.damageState().appliedMeshes === 0")
    assert_consistent(page)
    assert worn(page) == own

    # Every mode and back, overlay untouched: still its own materials, nothing left over.
    for value in ("specular", "unlit", "curvature", "standard"):
        page.locator(f'input[name="inspect-render-mode"][value="{value}"]').check()
        settle(page)
        assert_consistent(page)
    assert worn(page) == own
    # Not assert_clean(): the page's "more like this" asks the search index, which a sphere
    # seeded a moment ago is not in yet (a 404 there is the page's, not this test's).
    assert not watched.page_errors and not watched.external_requests
