"""What visitors get elsewhere (#22): AR Quick Look on iPhones and iPads, controller models in VR.

Headless Chromium has neither Quick Look nor WebXR, so each test pretends the one input the
feature check reads: `relList.supports('ar')` (Safari's answer) and `isSessionSupported`.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from tests.conftest import LiveMuseum
from tests.e2e.browser import WatchedPage, artifact_url, wait_for_viewer

pytestmark = pytest.mark.e2e

# Safari's answer to the Quick Look feature check; everything else keeps Chromium's.
QUICK_LOOK_BROWSER = """
(() => {
  const supports = DOMTokenList.prototype.supports;
  DOMTokenList.prototype.supports = function (token) {
    return token === 'ar' ? true : supports.call(this, token);
  };
})();
"""
# A browser with WebXR AR (an Android phone with ARCore).
WEBXR_AR_BROWSER = """
(() => {
  const xr = navigator.xr || {};
  xr.isSessionSupported = async (mode) => mode === 'immersive-ar';
  if (!navigator.xr) Object.defineProperty(navigator, 'xr', { value: xr });
})();
"""
# Zip local file header: signature, ..., name length at 26, extra length at 28.
LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")


def wait_for_xr_check(page) -> dict:
    page.wait_for_function(
        "() => document.getElementById('viewer-xr').dataset.xrReady === 'true'", timeout=30_000
    )
    return page.evaluate("mouseionViewer.quickLook()")


def assert_valid_usdz(data: bytes) -> list[str]:
    """USDZ's packaging rules: a zip, stored (no compression), the first file the USD layer,
    and every file's data starting at a multiple of 64 bytes."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = archive.infolist()
    assert infos, "empty USDZ"
    assert infos[0].filename.endswith((".usda", ".usdc")), infos[0].filename
    for info in infos:
        assert info.compress_type == zipfile.ZIP_STORED, f"{info.filename} is compressed"
        header = LOCAL_HEADER.unpack_from(data, info.header_offset)
        assert header[0] == 0x04034B50
        start = info.header_offset + LOCAL_HEADER.size + header[9] + header[10]
        assert start % 64 == 0, f"{info.filename} starts at {start}, not 64-byte aligned"
    assert archive.testzip() is None
    return [info.filename for info in infos]


def test_quick_look_is_offered_without_webxr_ar_and_exports_a_valid_usdz(
    watched: WatchedPage, demo_pages: dict[str, str]
) -> None:
    page = watched.page
    page.add_init_script(QUICK_LOOK_BROWSER)
    page.goto(artifact_url(demo_pages, "saxophone"))
    assert wait_for_viewer(page) == {"state": "loaded"}
    assert wait_for_xr_check(page) == {"offered": True}
    link = page.locator("#viewer-quicklook")
    assert link.is_visible()
    assert link.get_attribute("rel") == "ar"
    # Safari hands the link to Quick Look only when its first element is an image.
    assert link.evaluate("(a) => a.firstElementChild.tagName") == "IMG"
    assert link.inner_text().strip() == "View in AR"
    # The WebXR button, which could only say "not available", makes way for it.
    assert not page.locator('[data-xr-mode="immersive-ar"]').is_visible()

    page.wait_for_function("() => document.getElementById('viewer').dataset.lodComplete")
    with page.expect_download(timeout=60_000) as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".usdz")
    assert link.get_attribute("href").startswith("blob:")
    data = Path(download.path()).read_bytes()
    names = assert_valid_usdz(data)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert "metersPerUnit = 1" in archive.read(names[0]).decode()
    layers = [archive.read(name).decode() for name in names if name.endswith(".usda")]
    assert any('def Mesh "' in layer for layer in layers), names
    # The saxophone is textured: its texture travels with it.
    assert any(name.startswith("textures/") for name in names), names
    watched.assert_clean()


def test_quick_look_is_not_offered_where_webxr_ar_is(
    watched: WatchedPage, demo_pages: dict[str, str]
) -> None:
    page = watched.page
    page.add_init_script(QUICK_LOOK_BROWSER)
    page.add_init_script(WEBXR_AR_BROWSER)
    page.goto(artifact_url(demo_pages, "whale"))
    assert wait_for_viewer(page) == {"state": "loaded"}
    assert wait_for_xr_check(page) == {"offered": False}
    assert not page.locator("#viewer-quicklook").is_visible()
    ar = page.locator('[data-xr-mode="immersive-ar"]')
    assert ar.is_visible() and ar.get_attribute("data-xr-state") == "available"


def test_quick_look_is_not_offered_where_the_browser_lacks_it(
    watched: WatchedPage, demo_pages: dict[str, str]
) -> None:
    page = watched.page
    page.goto(artifact_url(demo_pages, "whale"))
    assert wait_for_viewer(page) == {"state": "loaded"}
    assert wait_for_xr_check(page) == {"offered": False}
    assert not page.locator("#viewer-quicklook").is_visible()


@pytest.mark.parametrize(
    ("profiles", "expected"),
    [
        (["meta-quest-touch-plus", "generic-trigger-squeeze-thumbstick"], "meta-quest-touch-plus"),
        (["oculus-touch-v3", "oculus-touch-v2", "oculus-touch"], "oculus-touch-v3"),
        # A controller we serve no profile for: the generic model, never a 404 or a CDN.
        (["acme-wand", "generic-trigger-squeeze-thumbstick"], "generic-trigger"),
    ],
    ids=["quest3", "quest2", "unknown"],
)
def test_vr_controller_models_load_from_local_static_files(
    watched: WatchedPage,
    live_museum: LiveMuseum,
    server_url: str,
    profiles: list[str],
    expected: str,
) -> None:
    """The gallery's controller model factory reads the profiles we serve; every request to
    another host is aborted and recorded by the fixture, so a CDN fetch would fail the test."""
    live_museum.manage("seed_floor_plan")
    page = watched.page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{server_url}/exhibitions/shapes-of-time/")
    page.wait_for_function("() => window.mouseionGallery !== undefined", timeout=30_000)
    assert page.evaluate("mouseionGallery.ready")["state"] == "ready"
    page.wait_for_function(
        "() => document.getElementById('gallery-xr').dataset.xrReady === 'true'", timeout=30_000
    )
    loaded = page.evaluate(
        "(profiles) => Promise.race([mouseionGallery.loadControllerModel(profiles, 'left'),"
        " new Promise((resolve) => setTimeout(() => resolve('timeout'), 30000))])",
        profiles,
    )
    assert loaded != "timeout", f"no controller model loaded; requests: {requested}"
    assert loaded["path"] == "/static/vendor/xr-input-profiles", loaded
    assert loaded["profile"] == expected
    assert loaded["assetUrl"].startswith(f"/static/vendor/xr-input-profiles/{expected}/")
    assert loaded["meshes"] > 0
    profile_requests = [url for url in requested if "xr-input-profiles" in url]
    assert f"{server_url}/static/vendor/xr-input-profiles/profilesList.json" in profile_requests
    assert any(url.endswith(".glb") for url in profile_requests), profile_requests
    assert not [url for url in requested if not url.startswith(server_url)], requested
    watched.assert_clean()


@pytest.mark.parametrize(
    ("profiles", "expected"),
    [
        (["meta-quest-touch-plus", "generic-trigger-squeeze-thumbstick"], "meta-quest-touch-plus"),
        (["acme-wand", "generic-trigger-squeeze-thumbstick"], "generic-trigger"),
    ],
    ids=["quest3", "unknown"],
)
def test_the_artifact_viewers_vr_draws_controller_models_from_local_files(
    watched: WatchedPage, demo_pages: dict[str, str], profiles: list[str], expected: str
) -> None:
    """The viewer's own VR had bare hands (no controller models); it now shares the gallery's
    factory (xr-controllers.js) and its locally served profiles, never a CDN."""
    page = watched.page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    url = artifact_url(demo_pages, "whale")
    server_url = url.split("/artifacts/")[0]
    page.goto(url)
    wait_for_viewer(page)
    page.wait_for_function(
        "() => document.getElementById('viewer-xr').dataset.xrReady === 'true'", timeout=30_000
    )
    loaded = page.evaluate(
        "(profiles) => Promise.race([mouseionViewer.loadControllerModel(profiles, 'right'),"
        " new Promise((resolve) => setTimeout(() => resolve('timeout'), 30000))])",
        profiles,
    )
    assert loaded not in (None, "timeout"), f"no controller model loaded; requests: {requested}"
    assert loaded["path"] == "/static/vendor/xr-input-profiles", loaded
    assert loaded["profile"] == expected
    assert loaded["assetUrl"].startswith(f"/static/vendor/xr-input-profiles/{expected}/")
    assert loaded["meshes"] > 0
    profile_requests = [u for u in requested if "xr-input-profiles" in u]
    assert any(u.endswith(".glb") for u in profile_requests), profile_requests
    assert not [u for u in requested if not u.startswith(server_url)], requested
    watched.assert_clean()
