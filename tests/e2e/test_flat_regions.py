"""Region annotations on a flat work's deep-zoom page, and media in annotation sheets (#23), in
a real browser: a curator draws a polygon of a class, which is stored in the image's
full-resolution pixels; the page draws it in the class colour and its layer checkbox hides it;
a click on it shows its text; a region's image (with its alt text) and sound (native controls,
no autoplay) show in the sheet, and a 3D annotation's image in the 3D viewer's."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from tests.e2e.browser import WatchedPage, wait_for_viewer
from tests.e2e.region_media_seed import AUDIO_TITLE, IMAGE_TITLE, POINT_TITLE
from tests.e2e.test_flat_work_page import assert_clean, open_work

pytestmark = pytest.mark.e2e

SEED = (
    "import json; from tests.e2e.flat_work_seed import seed; "
    "from tests.e2e.region_media_seed import seed as media; ids = seed(); "
    "ids.update(media(ids['artifact'], ids['recto'], 'whale')); print(json.dumps(ids))"
)
UNSEED = (
    "from exhibits.models import Annotation, Artifact; Artifact.objects.filter(pk={}).delete(); "
    "Annotation.objects.filter(pk={}).delete()"
)
TOLERANCE_PX = 3.0  # full-resolution pixels; the clicks are whole screen pixels (~2.4 image px)


@pytest.fixture(scope="module")
def seeded(live_museum) -> Iterator[dict[str, int]]:
    output = live_museum.manage("shell", "-c", SEED, timeout=300).stdout
    ids = json.loads(output.strip().splitlines()[-1])
    yield ids
    live_museum.manage("shell", "-c", UNSEED.format(ids["artifact"], ids["point"]), timeout=120)


def log_in(page, server_url: str, live_museum, target: str) -> None:
    page.goto(f"{server_url}/admin/login/?next={target}")
    page.fill("#id_username", "curator")
    page.fill("#id_password", live_museum.demo_password)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(re.escape(target) + "$"))


def image_point(page, x: float, y: float) -> list[float]:
    """The full-resolution image pixel under page point (x, y), as OpenSeadragon computes it."""
    return page.evaluate(
        """([x, y]) => {
            const osd = window.mouseionDeepZoom.viewer;
            const box = osd.element.getBoundingClientRect();
            const p = osd.world.getItemAt(0).viewerElementToImageCoordinates(
                new OpenSeadragon.Point(x - box.left, y - box.top));
            return [p.x, p.y];
        }""",
        [x, y],
    )


def test_curator_draws_a_polygon_that_layers_hide(
    watched: WatchedPage, server_url: str, seeded: dict[str, int], live_museum
) -> None:
    page = watched.page
    target = f"/artifacts/{seeded['artifact']}/"
    log_in(page, server_url, live_museum, target)
    page.wait_for_function("() => window.mouseionDeepZoom !== undefined", timeout=30_000)
    assert page.evaluate("window.mouseionDeepZoom.ready") == {"state": "loaded"}

    page.get_by_label("Shape").select_option("polygon")
    page.get_by_role("button", name="Mark a region").click()
    page.wait_for_function("() => window.mouseionDeepZoom.regions.annotorious")
    box = page.locator("#deep-zoom-stage").bounding_box()
    # Lower left, clear of the seeded regions (the disc's box, the two media regions).
    corners = [(0.1, 0.7), (0.3, 0.65), (0.35, 0.9), (0.15, 0.95)]
    screen = [(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy) for fx, fy in corners]
    expected = [image_point(page, x, y) for x, y in screen]
    for index, (x, y) in enumerate(screen):
        if index == len(screen) - 1:
            page.mouse.dblclick(x, y)
        else:
            page.mouse.click(x, y)
        page.wait_for_timeout(400)  # apart: two quick clicks would read as a double click
    page.get_by_label("Title").fill("Drawn polygon")
    page.locator("#region-class").select_option(label="Crack")
    page.get_by_role("button", name="Save region").click()
    page.wait_for_function("() => window.mouseionDeepZoom.regions.saved.length === 1")

    # Stored as drawn: a polygon in the canvas's full-resolution pixels, of the chosen class.
    rows = page.request.get(f"{server_url}/api/annotations/?artifact={seeded['artifact']}").json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    stored = next(row for row in rows if row["title"] == "Drawn polygon")
    region = stored["region"]
    assert region["canvas"] == seeded["recto"] and region["type"] == "polygon", region
    assert stored["class"]["name"] == "Crack", stored
    points = region["points"]
    assert 4 <= len(points) <= 5, points  # the closing double click may repeat the last corner
    for ex, ey in expected:
        nearest = min(abs(px - ex) + abs(py - ey) for px, py in points)
        assert nearest <= 2 * TOLERANCE_PX, (expected, points)
    for px, py in points:
        assert min(abs(px - ex) + abs(py - ey) for ex, ey in expected) <= 2 * TOLERANCE_PX

    # Reloaded, as any visitor would see it: drawn in the class colour, listed in the layers.
    open_work(page, f"{server_url}{target}")
    colour = stored["class"]["colour"]
    drawn = page.locator(f".deep-zoom-region[data-layer='{stored['class']['id']}']")
    assert drawn.locator("polygon").count() == 1
    assert drawn.evaluate("e => e.style.getPropertyValue('--region-colour')") == colour
    # A click inside the polygon (near its first corners' middle) shows its text.
    cx = sum(x for x, _ in screen) / 4
    cy = sum(y for _, y in screen) / 4
    page.get_by_role("button", name="Whole image").click()
    page.wait_for_timeout(700)  # the home animation
    page.mouse.click(cx, cy)
    page.wait_for_function(f"() => window.mouseionDeepZoom.regions.selected === {stored['id']}")
    assert "Drawn polygon" in page.locator("#annotation-detail-title").text_content()

    layers = page.locator("#deep-zoom-region-layers")
    assert layers.is_visible()
    assert drawn.is_visible()
    shown = page.evaluate("window.mouseionDeepZoom.regions.shownOverlays")
    layers.get_by_label(re.compile("Crack")).uncheck()
    assert drawn.is_hidden()
    assert page.evaluate("window.mouseionDeepZoom.regions.shownOverlays") == shown - 1
    layers.get_by_label(re.compile("Crack")).check()
    assert drawn.is_visible()
    assert_clean(watched)


def test_media_in_the_sheets(watched: WatchedPage, server_url: str, seeded: dict[str, int]) -> None:
    page = watched.page
    assert open_work(page, f"{server_url}/artifacts/{seeded['artifact']}/") == {"state": "loaded"}
    media = page.locator("#annotation-detail .annotation-detail__media")

    page.get_by_role("button", name=IMAGE_TITLE).click()
    image = media.locator("img")
    assert image.get_attribute("alt") == f"{IMAGE_TITLE}, described."
    page.wait_for_function(
        "() => document.querySelector('.annotation-detail__media img')?.naturalWidth === 8"
    )

    page.get_by_role("button", name=AUDIO_TITLE).click()
    assert media.locator("img").count() == 0
    audio = page.get_by_label(f"Sound: {AUDIO_TITLE}")
    assert audio.evaluate("a => a.controls && !a.autoplay") is True
    page.wait_for_function(
        "() => document.querySelector('.annotation-detail__media audio').duration > 0.1"
    )
    assert audio.evaluate("a => a.paused") is True
    assert f"{AUDIO_TITLE}, described." in media.text_content()  # the transcript
    # The sound's region is of a class: the layers list it.
    assert page.locator("#deep-zoom-region-layers").get_by_label(re.compile("Inscription"))

    # The 3D viewer's sheet: a point annotation's image.
    page.goto(f"{server_url}/artifacts/{seeded['scan']}/")
    assert wait_for_viewer(page)["state"] == "loaded"
    page.get_by_role("button", name=POINT_TITLE).first.click()
    sheet = page.locator("#annotation-detail .annotation-detail__media img")
    assert sheet.get_attribute("alt") == f"{POINT_TITLE}, described."
    page.wait_for_function(
        "() => document.querySelector('#annotation-detail .annotation-detail__media img')"
        "?.naturalWidth === 8"
    )
    assert_clean(watched)
