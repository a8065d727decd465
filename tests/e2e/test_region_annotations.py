"""Region annotations on a 3D model in a browser (#23): a curator draws a polygon on the whale by
clicking, its points are stored on the surface; the artifact page draws it in its class colour
and the Layers checkbox hides it; a tour stop on a region outlines it on the tour stage."""

from __future__ import annotations

import io
import json
import re

import pytest

from tests.e2e.browser import (
    WatchedPage,
    artifact_url,
    run_axe,
    wait_for_viewer,
    wait_until_still,
)
from tests.e2e.test_curator_desk import log_in_as_curator

pytestmark = pytest.mark.e2e

TITLE = "Crack drawn by clicking (e2e)"
TOUR = "Regions tour (e2e)"

# Points around the centre of the editor's view, as fractions of the canvas (the whale is
# framed there); the first four on the model make the polygon.
RING = """() => {
    const canvas = document.getElementById('annotation-editor-canvas');
    const r = canvas.getBoundingClientRect();
    const editor = window.mouseionAnnotationEditor;
    const found = [];
    for (const [dx, dy] of [[-0.1, -0.06], [0.1, -0.06], [0.1, 0.08], [-0.1, 0.08],
                            [-0.05, -0.1], [0.05, -0.1], [0.06, 0.1], [-0.06, 0.1]]) {
        const x = r.left + r.width * (0.5 + dx), y = r.top + r.height * (0.5 + dy);
        if (document.elementFromPoint(x, y) === canvas && editor.hits(x, y)) found.push([x, y]);
    }
    return found.slice(0, 4);
}"""


def coloured_pixels(png: bytes, colour: str, tolerance: int = 40) -> int:
    """How many pixels of a screenshot are within `tolerance` (per channel) of `#rrggbb`."""
    from PIL import Image

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    data = Image.open(io.BytesIO(png)).convert("RGB").tobytes()
    return sum(
        1
        for i in range(0, len(data), 3)
        if abs(data[i] - r) <= tolerance
        and abs(data[i + 1] - g) <= tolerance
        and abs(data[i + 2] - b) <= tolerance
    )


@pytest.fixture
def cleanup(live_museum):
    yield
    script = (
        "from exhibits.models import Annotation as A; from museum.models import Tour as T; "
        f"A.objects.filter(title={TITLE!r}).delete(); T.objects.filter(title={TOUR!r}).delete()"
    )
    live_museum.manage("shell", "-c", script)


def test_curator_draws_a_polygon_that_visitors_see_as_a_layer(
    watched: WatchedPage, server_url: str, demo_pages, live_museum, cleanup
) -> None:
    page = watched.page
    page_url = artifact_url(demo_pages, "whale")
    artifact_id = int(page_url.rstrip("/").rsplit("/", 1)[1])
    log_in_as_curator(
        page, server_url, live_museum, f"/admin/exhibits/annotation/add/?artifact={artifact_id}"
    )
    page.wait_for_selector("#annotation-editor[data-state='loaded']", timeout=60_000)
    page.fill("#id_title", TITLE)
    page.select_option("#id_annotation_class", label="Crack")
    classes = json.loads(page.text_content("#annotation-editor-config"))["classes"]
    colour = next(c["colour"] for c in classes if c["name"] == "Crack")

    page.click("[data-tool='polygon']")
    assert page.get_attribute("[data-tool='polygon']", "aria-pressed") == "true"
    ring = page.evaluate(RING)
    assert len(ring) == 4, f"the whale is not under the view's centre: {ring}"
    for x, y in ring:
        page.mouse.click(x, y)
    # Undo (a button, or Backspace in the view) takes the last point back.
    points = "window.mouseionAnnotationEditor.drawing.points.length"
    page.click("#annotation-editor-undo")
    assert page.evaluate(points) == 3
    page.mouse.click(*ring[2])
    page.focus("#annotation-editor-canvas")
    page.keyboard.press("Backspace")
    assert page.evaluate(points) == 3
    page.mouse.click(*ring[3])
    page.click("#annotation-editor-close")
    assert "closed" in page.text_content("#annotation-editor-status")

    shape = json.loads(page.input_value("#id_shape"))
    assert shape["type"] == "polygon" and len(shape["points"]) == 4
    assert len(shape["normals"]) == 4
    # Each point lies on the whale's surface (within 0.1 mm along its normal).
    for point, normal in zip(shape["points"], shape["normals"], strict=True):
        assert abs(sum(n * n for n in normal) - 1) < 1e-3
        distance = page.evaluate(
            "([p, n]) => window.mouseionAnnotationEditor.surfaceDistance(p, n)", [point, normal]
        )
        assert distance < 1e-4, (point, distance)
    # The hotspot goes to one of the points; the view is saved as for a point.
    assert json.loads(page.input_value("#id_position")) in shape["points"]
    page.click("#annotation-editor-save-view")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/exhibits/annotation/$"))

    # The artifact page draws it in the class colour, under a Layers checkbox.
    page.goto(page_url)
    assert wait_for_viewer(page) == {"state": "loaded"}
    config = json.loads(page.text_content("#viewer-config"))
    index = next(i for i, a in enumerate(config["annotations"]) if a["title"] == TITLE)
    assert config["annotations"][index]["shape"] == shape
    state = page.evaluate("window.mouseionViewer.regionState()")
    [region] = [r for r in state["regions"] if r["type"] == "polygon"]
    assert region["visible"] and region["filled"], state
    box = page.locator(f"#viewer-layers input[data-layer='{region['layer']}']")
    assert box.is_checked()
    assert "Crack" in page.text_content("#viewer-layers")
    # After the finest LOD's swap (its shaders compile for seconds on software WebGL).
    page.evaluate("window.mouseionViewer.fullLod")
    page.evaluate(f"window.mouseionViewer.showAnnotation({index})")
    wait_until_still(page, timeout_s=30)
    hotspot = page.locator(f"#viewer-hotspots .hotspot[data-annotation-index='{index}']")
    assert "hotspot--region" in hotspot.get_attribute("class")
    hotspot.click()  # its text opens as a point's does
    assert TITLE in page.text_content("#annotation-detail")
    blocking = [v for v in run_axe(page) if v["impact"] in {"serious", "critical"}]
    assert not blocking, blocking
    shown = coloured_pixels(page.locator("#viewer-stage").screenshot(), colour)

    box.uncheck()
    page.wait_for_function(
        "(id) => !window.mouseionViewer.regionState().regions.find((r) => r.id === id).visible",
        arg=region["id"],
    )
    page.wait_for_timeout(200)  # the next frame (render on demand)
    hidden = coloured_pixels(page.locator("#viewer-stage").screenshot(), colour)
    assert not hotspot.is_visible()
    print(f"pixels in the class colour: shown {shown}, hidden {hidden}")
    assert shown > 60 and hidden < shown / 10, (shown, hidden)
    watched.assert_clean()


MAKE_TOUR = """
from django.contrib.auth import get_user_model
from exhibits.models import Annotation, AnnotationClass, Artifact
from museum.models import Tour, TourStop
whale = Artifact.objects.get(title__icontains="whale")
points = [a for a in whale.annotations.filter(shape__isnull=True) if a.position][:3]
shape = {"type": "polygon", "points": [a.position for a in points],
         "normals": [a.normal for a in points]}
note = Annotation.objects.create(
    artifact=whale, title=%(title)r, shape=shape,
    annotation_class=AnnotationClass.objects.get(name="Inscription"))
educator = get_user_model().objects.get(username="educator")
tour = Tour.objects.create(title=%(tour)r, educator=educator)
TourStop.objects.create(tour=tour, order=0, artifact=whale, annotation=note, narration="A region.")
print(note.annotation_class.colour)
"""


def test_a_region_tour_stop_outlines_the_region(
    browser, live_museum, server_url: str, cleanup
) -> None:
    made = live_museum.manage("shell", "-c", MAKE_TOUR % {"title": TITLE, "tour": TOUR})
    colour = made.stdout.split()[-1]
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", colour), made.stderr
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en")
    try:
        guide = context.new_page()
        guide.goto(f"{server_url}/admin/login/?next=/tours/")
        guide.fill("#id_username", "educator")
        guide.fill("#id_password", live_museum.demo_password)
        guide.click("input[type=submit]")
        guide.wait_for_url(re.compile(r"/tours/$"))
        guide.locator("li", has_text=TOUR).get_by_role("button", name="Go live").click()
        guide.wait_for_selector("#tour-canvas[data-region='polygon']", timeout=60_000)
        guide.wait_for_function("!window.mouseionTour.isMoving()", timeout=30_000)
        guide.wait_for_timeout(300)
        drawn = coloured_pixels(guide.locator("#tour-canvas").screenshot(), colour)
        print(f"tour stage pixels in the class colour: {drawn}")
        assert drawn > 60, drawn
    finally:
        context.close()
