"""Finding things and plain words in a real browser (issue #22, slice D): the search finds the
Venus by what her label calls her and lays its results out as a grid of thumbnails; the hint
suggests only what the collection holds; /plan/ is linked and speaks visitor words; the embed
route renders the viewer inside an <iframe> of another origin."""

from __future__ import annotations

import functools
import html
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.e2e.browser import SCREENSHOTS, WatchedPage, artifact_url, run_axe, wait_for_viewer

pytestmark = pytest.mark.e2e
BLOCKING = {"serious", "critical"}
HINT = re.compile(r'<p class="search-box__hint" id="search-hint">(.*?)</p>', re.S)


def search(server_url: str, query: str) -> list[str]:
    response = httpx.get(f"{server_url}/api/search", params={"q": query}, timeout=30)
    response.raise_for_status()
    return [result["title"] for result in response.json()["results"]]


@pytest.mark.parametrize("query", ["goddess", "aphrodite"])
def test_the_venus_is_found_by_what_the_exhibition_calls_her(server_url: str, query) -> None:
    assert search(server_url, query)[:1] == ["Venus de Milo (plaster cast)"]


def test_the_hint_suggests_only_what_the_collection_holds(server_url: str) -> None:
    hint = html.unescape(HINT.search(httpx.get(f"{server_url}/", timeout=30).text).group(1))
    examples = re.findall(r"“([^”]+)”", hint)
    assert len(examples) == 2, hint
    for example in examples:
        assert search(server_url, example), f"the hint's “{example}” finds nothing"


def columns(page, selector: str) -> int:
    """How many columns the items matching `selector` are laid out in (distinct left edges)."""
    lefts = page.eval_on_selector_all(
        selector, "items => items.map((item) => Math.round(item.getBoundingClientRect().left))"
    )
    return len(set(lefts))


def assert_thumbnails_shown(page, selector: str) -> None:
    shown = page.eval_on_selector_all(
        selector,
        """items => items.map((item) => {
            const img = item.querySelector('img.search-results__thumb');
            return Boolean(img && img.complete && img.naturalWidth > 0 && img.offsetWidth > 100);
        })""",
    )
    assert shown and all(shown), f"results without a visible thumbnail: {shown}"


def test_lobby_results_are_a_grid_of_thumbnails(watched: WatchedPage, server_url: str) -> None:
    page = watched.page
    page.goto(f"{server_url}/")
    page.get_by_label("Search the collection").fill("whale saxophone venus")
    page.get_by_label("Search the collection").press("Enter")
    items = "#search-results .search-results__item"
    page.wait_for_function(f"document.querySelectorAll('{items}').length >= 3")
    page.wait_for_function(
        f"[...document.querySelectorAll('{items} img')].every((img) => img.complete)"
    )
    assert columns(page, items) >= 3, "the results are not laid out in columns"
    assert_thumbnails_shown(page, items)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "lobby-search-results.png"), full_page=True)
    watched.assert_clean()


def test_search_page_grid_facet_chips_one_heading(watched: WatchedPage, server_url: str) -> None:
    page = watched.page
    page.goto(f"{server_url}/search/?q=whale+saxophone+venus")
    items = ".search-page .search-results__item"
    page.wait_for_function(
        f"[...document.querySelectorAll('{items} img')].every((img) => img.complete)"
    )
    # The three scans, and the Birth of Venus among the demo's pictures.
    assert page.locator(items).count() == 4
    assert columns(page, items) >= 2
    assert_thumbnails_shown(page, items)
    # Facets are chips in a row, not a bulleted list of boxes.
    facet = page.locator(".search-page__facet").first
    assert facet.evaluate("(list) => getComputedStyle(list).listStyleType") == "none"
    assert facet.evaluate("(list) => getComputedStyle(list).display") == "flex"
    # "Search the collection" is said once: the heading; the field's label is for screen readers.
    assert (
        page.get_by_text("Search the collection", exact=True).evaluate_all(
            "(nodes) => nodes.filter((node) => node.getBoundingClientRect().width > 1).length"
        )
        == 1
    )
    violations = [v for v in run_axe(page) if v["impact"] in BLOCKING]
    assert not violations, violations
    page.screenshot(path=str(SCREENSHOTS / "search-page.png"), full_page=True)
    watched.assert_clean()


def test_plan_is_linked_and_speaks_visitor_words(
    watched: WatchedPage, demo_pages: dict[str, str], server_url: str
) -> None:
    page = watched.page
    page.goto(demo_pages["exhibition"])
    assert page.locator(".site-nav a[href='/plan/']").count() == 1
    page.locator("main a[href='/plan/']").first.click()
    page.wait_for_url("**/plan/")
    assert page.locator(".site-nav a[href='/plan/']").get_attribute("aria-current") == "page"
    page.get_by_label("Your interests").fill("whale bone and jazz music")
    page.get_by_label("Minutes").fill("30")
    page.get_by_role("button", name="Plan my route").click()
    page.wait_for_selector("#plan-svg[data-state='planned']", timeout=30_000)
    stops = page.locator("#plan-stops li").count()
    assert stops >= 1
    status = page.locator("#plan-status").inner_text()
    assert status == f"Your route has {stops} stop{'' if stops == 1 else 's'}."
    summary = page.locator("#plan-summary").inner_text()
    pattern = r"of your 30 minutes, \d+ of them walking\. Covers [1-4] of your 4 interests\."
    assert re.search(pattern, summary), summary  # whale, bone, jazz, music
    words = page.locator("#plan-stops").inner_text()
    assert "similarity" not in words and "Interest collected" not in summary
    assert not re.search(r"\d\.\d", words + summary), "engineers' decimals on the page"
    # The route's corners are the doorways drawn on the plan.
    doors = page.eval_on_selector_all(
        "#plan-svg line.doorway",
        "lines => lines.map((l) => [(+l.getAttribute('x1') + +l.getAttribute('x2')) / 2, "
        "(+l.getAttribute('y1') + +l.getAttribute('y2')) / 2])",
    )
    starts = page.eval_on_selector_all(
        "#plan-route line.route",
        "lines => lines.map((l) => [+l.getAttribute('x1'), +l.getAttribute('y1')])",
    )
    assert any(abs(x - dx) < 1e-3 and abs(y - dy) < 1e-3 for x, y in starts for dx, dy in doors), (
        "the route does not pass through any doorway"
    )
    page.screenshot(path=str(SCREENSHOTS / "plan-route.png"), full_page=True)
    watched.assert_clean()


@pytest.fixture
def other_origin(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static web server on another port (another origin): (its URL, its folder)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    port = free_port()
    handler = functools.partial(Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}", tmp_path
    finally:
        server.shutdown()
        server.server_close()


def test_embed_renders_the_viewer_inside_another_sites_iframe(
    watched: WatchedPage, demo_pages: dict[str, str], other_origin
) -> None:
    page_url = artifact_url(demo_pages, "venus")
    embed_url = page_url.replace("/artifacts/", "/embed/artifacts/")
    base, folder = other_origin
    (folder / "host.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>A museum blog</title>"
        "<link rel='icon' href='data:,'></head><body><h1>Our favourite cast</h1>"
        f"<iframe src='{embed_url}' title='3D view' width='640' height='480' style='border:0'>"
        "</iframe>"
        "</body></html>"
    )
    page = watched.page
    page.goto(f"{base}/host.html")
    frame = page.frame_locator("iframe")
    frame.locator("#viewer[data-state='loaded']").wait_for(timeout=60_000)
    embedded = next(f for f in page.frames if "/embed/artifacts/" in f.url)
    assert embedded.evaluate("window.mouseionViewer.ready") == {"state": "loaded"}
    assert embedded.locator(".site-header").count() == 0
    link = embedded.locator(".embed-viewer__title a")
    assert link.get_attribute("href") == page_url and link.get_attribute("target") == "_blank"
    box = page.locator("iframe").bounding_box()
    assert box and box["width"] == 640 and box["height"] == 480
    canvas = embedded.locator("#viewer-canvas").bounding_box()
    assert canvas and canvas["height"] > 300, "the view does not fill the frame"
    page.screenshot(path=str(SCREENSHOTS / "embed-in-iframe.png"))
    watched.assert_clean()
    # Every other page still refuses to be framed; the embed page says who may frame it.
    assert httpx.get(page_url, timeout=30).headers["x-frame-options"] == "DENY"
    embed = httpx.get(embed_url, timeout=30)
    assert "x-frame-options" not in embed.headers
    assert embed.headers["content-security-policy"] == "frame-ancestors *"


def test_embed_page_and_data_section_are_accessible(
    watched: WatchedPage, demo_pages: dict[str, str]
) -> None:
    page = watched.page
    page_url = artifact_url(demo_pages, "venus")
    page.goto(page_url.replace("/artifacts/", "/embed/artifacts/"))
    assert wait_for_viewer(page) == {"state": "loaded"}
    # A point of interest's text shows over the view (there is no list beside it here).
    page.locator(".hotspot").first.click()
    detail = page.locator("#annotation-detail")
    detail.wait_for(state="visible")
    assert detail.locator(".annotation-detail__title").inner_text() == "Head"
    violations = [v for v in run_axe(page) if v["impact"] in BLOCKING]
    assert not violations, violations
    page.goto(page_url)
    data = page.locator("section.artifact-data")
    assert data.get_by_role("link", name="IIIF manifest").count() == 1
    assert data.get_by_role("link", name="Linked Art (JSON-LD)").count() == 1
    code = page.locator("#artifact-embed-code").input_value()
    assert code.startswith("<iframe src=") and "/embed/artifacts/" in code
    oembed = page.locator('link[type="application/json+oembed"]').get_attribute("href")
    answer = httpx.get(oembed, timeout=30).json()
    assert answer["type"] == "rich" and answer["html"].startswith("<iframe")
    watched.assert_clean()
