"""Mirador itself (node_modules/mirador, a dev dependency, never served by the product) loads a
flat work's IIIF manifest from the live museum in headless Chromium and shows the picture from
the image service's level-0 tiles.

The test page is served by Playwright (page.route) on another origin than the museum
(`localhost` against the server's `127.0.0.1`), so the manifest, info.json and tiles are read
cross-origin, as an outside IIIF client reads them: CORS included. The work is ingested through
`manage.py ingest IMAGE` (the real image intake: web copy, tiles, ImageService) and published."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image, ImageDraw

from tests.conftest import LiveMuseum
from tests.e2e.browser import ROOT, SCREENSHOTS
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, EXHIBITION_LINK, LOCAL_HOSTS

MIRADOR = ROOT / "node_modules" / "mirador" / "dist" / "mirador.min.js"
# Chromium's Local Network Access checks refuse a page Playwright fulfils (no address space)
# reading the museum on the loopback: off, as for a client page served from the same machine.
LOCAL_NETWORK = "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests"
TITLE = "Mirador test: a red sun"
RED = (220, 40, 30)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mirador</title>
<style>html, body { margin: 0; height: 100%%; } #mirador { position: absolute; inset: 0; }</style>
</head><body><div id="mirador"></div>
<script src="/mirador/mirador.min.js"></script>
<script>
window.miradorInstance = Mirador.viewer({
  id: "mirador",
  windows: [{ manifestId: %s }],
  window: { allowClose: false, sideBarOpen: false },
  // Tiles fetched in CORS mode: they must carry Access-Control-Allow-Origin (and WebGL may
  // draw them untainted).
  osdConfig: { crossOriginPolicy: "Anonymous" },
  workspaceControlPanel: { enabled: false },
});
</script></body></html>"""


def _picture(path: Path) -> None:
    """A 2400 x 1600 picture (bigger than one tile): a red sun on a blue sky, a green hill."""
    image = Image.new("RGB", (2400, 1600), (60, 110, 190))
    draw = ImageDraw.Draw(image)
    draw.ellipse((700, 300, 1700, 1300), fill=RED)
    draw.rectangle((0, 1300, 2400, 1600), fill=(50, 130, 60))
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=90)
    path.write_bytes(buffer.getvalue())


@pytest.fixture
def published_picture(live_museum: LiveMuseum, tmp_path: Path) -> Iterator[int]:
    """A flat work through the image intake, published; deleted afterwards."""
    image = tmp_path / "red-sun.jpg"
    _picture(image)
    summary = json.loads(
        live_museum.manage("ingest", str(image), "--title", TITLE, "--label", "recto").stdout
    )
    artifact_id = int(summary["artifact_id"])
    live_museum.manage(
        "shell",
        "-c",
        "from exhibits.models import Artifact, PublicationStatus; "
        f"Artifact.objects.filter(pk={artifact_id}).update(status=PublicationStatus.PUBLISHED)",
    )
    yield artifact_id
    live_museum.manage(
        "shell",
        "-c",
        f"from exhibits.models import Artifact; Artifact.objects.get(pk={artifact_id}).delete()",
    )


@pytest.fixture
def mirador_browser() -> Iterator[object]:
    """Debian's Chromium with the suite's flags, plus LOCAL_NETWORK."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt install chromium)")
    if not MIRADOR.exists():
        pytest.skip("node_modules/mirador is not installed (npm ci)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, LOCAL_NETWORK]
        )
        try:
            yield browser
        finally:
            browser.close()


def _red_share(png: bytes) -> float:
    """The share of pixels of the screenshot that are the sun's red."""
    data = Image.open(BytesIO(png)).convert("RGB").resize((320, 200)).tobytes()
    pixels = [data[i : i + 3] for i in range(0, len(data), 3)]
    red = [p for p in pixels if p[0] > 170 and p[1] < 90 and p[2] < 90]
    return len(red) / len(pixels)


def test_mirador_shows_our_manifest_from_its_image_service(
    mirador_browser, server_url: str, published_picture: int
) -> None:
    manifest_url = f"{server_url}/iiif/artifacts/{published_picture}/manifest.json"
    server = urlsplit(server_url)
    # Another origin for the client: same machine, other host name.
    client_origin = f"http://localhost:{server.port}"
    assert server.hostname != "localhost"
    context = mirador_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    external: list[str] = []

    def guard(route) -> None:  # offline: nothing but this machine
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    def mirador_page(route) -> None:
        route.fulfill(status=200, content_type="text/html", body=PAGE % json.dumps(manifest_url))

    def mirador_script(route) -> None:
        route.fulfill(status=200, content_type="text/javascript", path=str(MIRADOR))

    context.route("**/*", guard)
    page.route(f"{client_origin}/mirador/", mirador_page)
    page.route(f"{client_origin}/mirador/mirador.min.js", mirador_script)
    responses: dict[str, tuple[int, str | None]] = {}
    page.on(
        "response",
        lambda r: responses.setdefault(
            r.url, (r.status, r.headers.get("access-control-allow-origin"))
        ),
    )
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))

    page.goto(f"{client_origin}/mirador/")
    # Mirador shows the manifest's label in its window's title bar.
    page.wait_for_function(
        "title => document.body.innerText.includes(title)", arg=TITLE, timeout=60_000
    )
    # It read the image service's info.json and tiles of the level-0 layout...
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').filter("
        "e => /\\/iiif\\/3\\/.+\\/default\\.jpg$/.test(e.name)).length >= 2",
        timeout=60_000,
    )
    page.wait_for_timeout(1500)  # let the viewer draw the tiles it received
    tile = re.compile(r"/iiif/3/[\w-]+/(full|\d+,\d+,\d+,\d+)/\d+,\d+/0/default\.jpg$")
    info = [url for url in responses if url.endswith("/info.json")]
    tiles = [url for url in responses if tile.search(url)]
    assert responses[manifest_url] == (200, "*")
    assert len(info) == 1 and info[0].startswith(f"{server_url}/iiif/3/"), responses
    assert responses[info[0]] == (200, "*")
    assert tiles, responses
    assert all(responses[url] == (200, "*") for url in tiles), responses
    assert not failed and not external, (failed, external)
    # ...and the picture appears: the red sun fills a good part of the viewer.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = page.screenshot(path=str(SCREENSHOTS / "mirador-flat-work.png"))
    assert _red_share(shot) > 0.1, "the sun is not on screen"
    context.close()


def test_every_export_of_the_demo_museum_validates(
    server_url: str, demo_pages: dict[str, str]
) -> None:
    """The live demo museum (3D objects and flat works): each artifact's and exhibition's
    manifest against the IIIF schema, each Linked Art record and every concept it names
    against the Linked Art schemas, all as an anonymous outside client reads them."""
    from tests.interop_schemas import IIIF, LINKED_ART_CONCEPT, LINKED_ART_OBJECT, errors

    last = [(url, url.rstrip("/").rsplit("/", 1)[1]) for url in demo_pages.values()]
    artifact_ids = sorted({int(part) for url, part in last if "/artifacts/" in url})
    lobby = httpx.get(f"{server_url}/", timeout=30).text
    exhibitions = sorted(
        {path.strip("/").rsplit("/", 1)[1] for path in EXHIBITION_LINK.findall(lobby)}
    )
    assert artifact_ids and exhibitions
    concept_urls: set[str] = set()
    flat = 0
    with httpx.Client(base_url=server_url, timeout=30) as client:
        for url in [f"/iiif/artifacts/{pk}/manifest.json" for pk in artifact_ids] + [
            f"/iiif/exhibitions/{slug}/manifest.json" for slug in exhibitions
        ]:
            response = client.get(url)
            assert response.status_code == 200, url
            assert response.headers["access-control-allow-origin"] == "*"
            manifest = response.json()
            assert errors(IIIF, manifest) == [], url
            flat += "ImageService3" in response.text
        for pk in artifact_ids:
            record = client.get(f"/linked-art/objects/{pk}.json").json()
            assert errors(LINKED_ART_OBJECT, record) == [], pk
            for key in ("classified_as", "made_of"):
                concept_urls |= {c["id"] for c in record.get(key, []) if "/concepts/" in c["id"]}
        for url in sorted(concept_urls):
            response = client.get(url)
            assert response.status_code == 200, url
            assert errors(LINKED_ART_CONCEPT, response.json()) == [], url
    assert concept_urls
    print(f"{len(artifact_ids)} artifacts ({flat} manifests with an image service), "
          f"{len(exhibitions)} exhibitions, {len(concept_urls)} concepts: all valid")  # fmt: skip
    assert len(exhibitions) >= 2 and flat  # the demo's objects and its flat works
