"""The curator's desk in a browser (#22 items 2, 3, 13): annotations placed by clicking on the
model, drafts previewed under a banner, the exhibition edit page within the window."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.browser import (
    AXE,
    SCREENSHOTS,
    WatchedPage,
    artifact_url,
    run_axe,
    wait_for_viewer,
)

pytestmark = pytest.mark.e2e

BLOCKING = {"serious", "critical"}
TITLE = "Placed by clicking (e2e)"


def log_in_as_curator(page, server_url: str, live_museum, target: str) -> None:
    page.goto(f"{server_url}/admin/login/?next={target}")
    page.fill("#id_username", "curator")
    page.fill("#id_password", live_museum.demo_password)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(re.escape(target) + "$"))


def vector(page, field: str) -> list[float]:
    return json.loads(page.input_value(f"#id_{field}"))


def canvas_point(page) -> tuple[float, float]:
    """A point of the canvas near its centre (where the model is framed) that no hotspot of
    another annotation covers."""
    return page.evaluate(
        """() => {
            const canvas = document.getElementById('annotation-editor-canvas');
            const r = canvas.getBoundingClientRect();
            for (const [dx, dy] of [[0, 0], [0, 0.08], [0.08, 0], [0, -0.08], [-0.08, 0]]) {
                const x = r.left + r.width * (0.5 + dx), y = r.top + r.height * (0.5 + dy);
                if (document.elementFromPoint(x, y) === canvas) return [x, y];
            }
            throw new Error('hotspots cover the centre of the canvas');
        }"""
    )


@pytest.fixture
def cleanup_annotation(live_museum):
    yield
    delete = "from exhibits.models import Annotation as A; A.objects.filter(title=%r).delete()"
    live_museum.manage("shell", "-c", delete % TITLE)


def test_curator_places_an_annotation_by_clicking_on_the_model(
    watched: WatchedPage, server_url: str, demo_pages, live_museum, cleanup_annotation
) -> None:
    page = watched.page
    page_url = artifact_url(demo_pages, "whale")
    artifact_id = int(page_url.rstrip("/").rsplit("/", 1)[1])
    target = f"/admin/exhibits/annotation/add/?artifact={artifact_id}"
    log_in_as_curator(page, server_url, live_museum, target)
    page.wait_for_selector("#annotation-editor[data-state='loaded']", timeout=60_000)
    assert page.input_value("#id_position") == ""
    page.fill("#id_title", TITLE)

    x, y = canvas_point(page)
    page.mouse.click(x, y)
    page.wait_for_function("document.getElementById('id_position').value !== ''")
    position, normal = vector(page, "position"), vector(page, "normal")
    bounds = page.evaluate("window.mouseionAnnotationEditor.bounds()")
    slack = 1e-3 * max(hi - lo for lo, hi in zip(bounds["min"], bounds["max"], strict=True))
    for value, lo, hi in zip(position, bounds["min"], bounds["max"], strict=True):
        assert lo - slack <= value <= hi + slack, (position, bounds)
    assert abs(sum(n * n for n in normal) - 1) < 1e-3, normal
    assert "Placed at" in page.text_content("#annotation-editor-status")

    # Turn the model a little (a drag is not a placement), then keep that view.
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 80, y + 20, steps=8)
    page.mouse.up()
    assert vector(page, "position") == position
    # Click and read the camera in one task: no frame (and no damping step) in between.
    state = page.evaluate(
        """() => {
            document.getElementById('annotation-editor-save-view').click();
            return window.mouseionAnnotationEditor.stage.cameraState();
        }"""
    )
    for field, key in (("camera_position", "position"), ("camera_target", "target")):
        assert vector(page, field) == pytest.approx(state[key], abs=1e-4)
    camera = vector(page, "camera_position")

    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/exhibits/annotation/$"))
    assert "was added successfully" in page.text_content("ul.messagelist")

    # The annotation shows on the artifact page, where it was placed.
    page.goto(page_url)
    assert wait_for_viewer(page) == {"state": "loaded"}
    config = json.loads(page.text_content("#viewer-config"))
    [saved] = [a for a in config["annotations"] if a["title"] == TITLE]
    assert saved["position"] == pytest.approx(position, abs=1e-5)
    assert saved["cameraPosition"] == pytest.approx(camera, abs=1e-5)
    assert page.locator(f"button:has-text('{TITLE}')").count() >= 1
    watched.assert_clean()


def test_annotation_form_is_accessible(
    watched: WatchedPage, server_url: str, demo_pages, live_museum
) -> None:
    page = watched.page
    artifact_id = artifact_url(demo_pages, "whale").rstrip("/").rsplit("/", 1)[1]
    log_in_as_curator(
        page, server_url, live_museum, f"/admin/exhibits/annotation/add/?artifact={artifact_id}"
    )
    page.wait_for_selector("#annotation-editor[data-state='loaded']", timeout=60_000)
    # Keyboard: the view takes focus (visibly) and the centre button places the annotation.
    page.focus("#annotation-editor-canvas")
    outline = page.evaluate(
        "getComputedStyle(document.getElementById('annotation-editor-canvas')).outlineStyle"
    )
    assert outline != "none"
    page.focus("#annotation-editor-centre")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('id_position').value !== ''")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin-annotation-editor.png"), full_page=True)
    blocking = [v for v in run_axe(page) if v["impact"] in BLOCKING]
    assert not blocking, blocking
    watched.assert_clean()


# What sticks out past the window's right edge: the deepest elements first.
WIDEST = """() => [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > innerWidth)
    .filter((e) => ![...e.children].some((c) => c.getBoundingClientRect().right > innerWidth))
    .slice(0, 8)
    .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().width)}px`)"""


def test_curator_suggests_an_exhibition_with_a_chosen_number_of_rooms(
    watched: WatchedPage, server_url: str, live_museum
) -> None:
    page = watched.page
    log_in_as_curator(page, server_url, live_museum, "/admin/exhibits/artifact/")
    page.check("#action-toggle")
    page.select_option("select[name=action]", "suggest_exhibitions_action")
    page.click("button[name=index]")
    # A page in between asks for the number of rooms.
    rooms = page.locator("input[name=rooms]")
    rooms.wait_for()
    assert rooms.is_visible() and int(rooms.get_attribute("max")) >= 2
    blocking = [v for v in run_axe(page) if v["impact"] in BLOCKING]
    assert not blocking, blocking
    rooms.fill("2")
    page.click("input[name=apply]")
    page.wait_for_url(re.compile(r"/admin/exhibits/exhibition/(\d+)/change/$"))
    exhibition_id = re.search(r"/exhibition/(\d+)/", page.url).group(1)
    try:
        assert "Draft exhibition suggested with 2 rooms:" in page.text_content("ul.messagelist")
        title = page.input_value("#id_title")
        assert title.startswith("Suggested exhibition: ") and " · " not in title
        themes = title.removeprefix("Suggested exhibition: ").replace(" and ", ", ").split(", ")
        assert all(theme[:1].isupper() for theme in themes), title
        # Each room with its objects and, beside them, why they are together.
        assert page.locator(".suggested-room").count() == 2
        for room in page.locator(".suggested-room").all():
            assert room.locator(".suggested-room__objects li").count() >= 1
            assert room.locator(".suggested-room__why p").count() >= 1
            assert room.locator(".suggested-room__why").is_visible()
        heading = page.text_content(".suggested-room h3")
        assert re.search(r"\((1 object|\d+ objects)\)$", heading), heading
        print("title:", title, "| first room:", heading)
        # The page fits the window (it was 1,906 px wide at 1280).
        overflow = page.evaluate(WIDEST)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], (width, overflow)
        # ... and so does the items' table, without a scroll bar of its own.
        table = page.evaluate(
            "(() => { const t = document.querySelector('.inline-related.tabular');"
            " return [t.scrollWidth, t.clientWidth]; })()"
        )
        assert table[0] <= table[1], f"the items' table scrolls: {table}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "admin-suggested-exhibition.png"), full_page=True)
        # axe on what this page adds (Django's tabular inline has unlabelled cells of its own).
        page.add_script_tag(path=str(AXE))
        found = page.evaluate(
            """async () => (await axe.run('.field-suggested_rooms', {resultTypes: ['violations']}))
                .violations.filter((v) => ['serious', 'critical'].includes(v.impact))
                .map((v) => v.id)"""
        )
        assert not found, found
    finally:
        delete = "from exhibits.models import Exhibition as E; E.objects.filter(pk=%s).delete()"
        live_museum.manage("shell", "-c", delete % exhibition_id)
    watched.assert_clean()


MAKE_DRAFTS = """
from exhibits.collection import services
from exhibits.models import Artifact, Exhibition
shown = Artifact.objects.published().order_by("pk").first()
draft = Artifact.objects.create(object_number="E2E.DRAFT", title="Draft amphora (e2e)")
show = Exhibition.objects.create(title="Draft show (e2e)", slug="draft-show-e2e")
services.set_exhibition_items(exhibition=show, artifacts=[shown, draft])
print(draft.pk)
"""
REMOVE_DRAFTS = """
from exhibits.models import Artifact, Exhibition
Artifact.objects.filter(object_number="E2E.DRAFT").delete()
Exhibition.objects.filter(slug="draft-show-e2e").delete()
"""


@pytest.fixture
def drafts(live_museum):
    draft_id = live_museum.manage("shell", "-c", MAKE_DRAFTS).stdout.split()[-1]
    yield {"artifact": f"/artifacts/{draft_id}/", "exhibition": "/exhibitions/draft-show-e2e/"}
    live_museum.manage("shell", "-c", REMOVE_DRAFTS)


def test_curator_previews_drafts_under_a_banner(
    watched: WatchedPage, browser, server_url: str, live_museum, drafts
) -> None:
    page = watched.page
    log_in_as_curator(page, server_url, live_museum, drafts["artifact"])
    for path in (drafts["artifact"], drafts["exhibition"]):
        response = page.goto(server_url + path)
        assert response.status == 200
        banner = page.locator("[data-draft-preview]")
        assert banner.is_visible() and "Draft — not public" in banner.text_content()
        blocking = [v for v in run_axe(page) if v["impact"] in BLOCKING]
        assert not blocking, (path, blocking)
    watched.assert_clean()
    # The public, in a browser of its own, gets the 404 page and no trace of the draft.
    context = browser.new_context()
    try:
        visitor = context.new_page()
        for path in (drafts["artifact"], drafts["exhibition"]):
            response = visitor.goto(server_url + path)
            assert response.status == 404
            html = visitor.content()
            assert "Draft amphora" not in html and "Draft show" not in html
            assert "data-draft-preview" not in html
    finally:
        context.close()
