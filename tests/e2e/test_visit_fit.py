"""What a visitor sees first, in a real browser (issue #22, the last layout items): the artifact
viewer's whole toolbar with the model above the fold on a laptop, the gallery's 3D view on screen
at load on a phone and facing the first room's works, and no loading card left over the model."""

from __future__ import annotations

import pytest

from tests.e2e.browser import artifact_url, wait_for_viewer

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
GALLERY = "/exhibitions/shapes-of-time/"

# Samples, every animation frame from the start, whether the loading card shows a finished
# download ("… 100 %") over the model after the model was first drawn.
CARD_WATCH = """
window.__cardAt100 = [];
const watch = () => {
  const viewer = document.getElementById('viewer');
  const status = document.getElementById('viewer-status');
  const progress = document.getElementById('viewer-progress');
  if (viewer && status && progress && viewer.dataset.state === 'loaded' && !status.hidden
      && getComputedStyle(status).display !== 'none' && progress.value >= 100) {
    window.__cardAt100.push(performance.now());
  }
  if (!viewer || viewer.dataset.lodComplete !== 'true') requestAnimationFrame(watch);
};
requestAnimationFrame(watch);
"""


def new_page(browser, viewport: dict, locale: str = "en", **options) -> tuple[object, object]:
    context = browser.new_context(viewport=viewport, locale=locale, **options)
    return context, context.new_page()


def open_gallery(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("() => window.mouseionGallery !== undefined", timeout=30_000)
    assert page.evaluate("mouseionGallery.ready")["state"] == "ready"


def test_on_a_phone_the_loading_card_goes_when_the_detail_has_arrived(
    browser, demo_pages: dict[str, str]
) -> None:
    """The "Loading detail… 100 %" card stayed over the model for seconds (the finer model
    compiling) after the viewer said it was ready."""
    context, page = new_page(browser, PHONE, is_mobile=True, has_touch=True)
    page.add_init_script(CARD_WATCH)
    page.goto(artifact_url(demo_pages, "whale"))
    wait_for_viewer(page)
    assert page.evaluate("mouseionViewer.fullLod")["state"] == "loaded"
    assert page.locator("#viewer").get_attribute("data-lod") != "thumb", "no finer LOD came"
    seen = page.evaluate("window.__cardAt100")
    assert not seen, f"a finished download's card stayed over the model for {len(seen)} frames"
    assert page.locator("#viewer-status").is_hidden()
    context.close()


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_on_a_laptop_the_whole_viewer_toolbar_and_the_model_are_above_the_fold(
    browser, demo_pages: dict[str, str], locale: str
) -> None:
    """At 1280 × 800 only the toolbar's first row showed; the inspection tools and VR/AR were
    ~190 px below the fold."""
    context, page = new_page(browser, LAPTOP, locale=locale)
    page.goto(artifact_url(demo_pages, "whale"))
    wait_for_viewer(page)
    page.wait_for_function("() => document.getElementById('viewer-xr').dataset.xrReady")
    toggle = page.locator("#inspect-toggle")
    toggle.wait_for(state="visible")
    stage = page.locator("#viewer-stage").bounding_box()
    assert stage["y"] >= 0 and stage["y"] + stage["height"] <= LAPTOP["height"], stage
    assert stage["height"] >= 320, f"the model's view shrank to {stage['height']} px"
    toolbar = page.locator(".viewer__toolbar").bounding_box()
    assert toolbar["y"] + toolbar["height"] <= LAPTOP["height"], toolbar
    controls = page.locator(".viewer__toolbar button:visible, .viewer__toolbar a:visible")
    assert controls.count() >= 10
    for box in (c.bounding_box() for c in controls.all()):
        assert box["y"] + box["height"] <= LAPTOP["height"], box
    # The inspection tools open from the toolbar, from the keyboard.
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#inspect-panel").is_visible()
    assert page.locator('[data-inspect="raking"]').is_visible()
    page.keyboard.press("Enter")
    assert page.locator("#inspect-panel").is_hidden()
    context.close()


def test_on_a_phone_the_gallery_is_on_screen_at_load(browser, server_url: str) -> None:
    context, page = new_page(browser, PHONE, is_mobile=True, has_touch=True)
    open_gallery(page, server_url + GALLERY)
    assert page.evaluate("scrollY") == 0
    stage = page.locator("#gallery-stage").bounding_box()
    assert stage["y"] >= 0 and stage["y"] + stage["height"] <= PHONE["height"], stage
    assert page.locator("h1").bounding_box()["y"] >= 0, "the title went off screen"
    # The introduction is still on the page, under the view.
    assert page.locator(".page-header .intro").is_visible()
    context.close()


def test_on_a_laptop_the_whole_gallery_view_is_on_screen_at_load(browser, server_url: str) -> None:
    """At 1280x800 the view started at y 521 and showed only its ceiling: now it sits under the
    title, whole, and still wide."""
    context, page = new_page(browser, LAPTOP)
    open_gallery(page, server_url + GALLERY)
    assert page.evaluate("scrollY") == 0
    stage = page.locator("#gallery-stage").bounding_box()
    assert stage["y"] >= 0 and stage["y"] + stage["height"] <= LAPTOP["height"], stage
    assert stage["height"] >= 400 and stage["width"] >= 800, stage
    assert page.locator(".page-header .intro").is_visible()
    context.close()


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_at_the_start_the_gallery_faces_the_first_rooms_objects(
    browser, server_url: str, viewport: dict
) -> None:
    """The starting view faced the first room's bare far wall; the whale stood aside."""
    context, page = new_page(browser, viewport)
    open_gallery(page, server_url + GALLERY)
    room = page.evaluate("mouseionGallery.getPose().room")
    objects = [p for p in page.evaluate("mouseionGallery.plinths()") if p["room"] == room]
    assert objects, "the first room holds objects"
    for plinth in objects:
        x, _, z = plinth["position"]
        point = page.evaluate("(p) => mouseionGallery.screenPoint(p)", [x, plinth["top"], z])
        assert point["visible"], (plinth["title"], point)
    context.close()
