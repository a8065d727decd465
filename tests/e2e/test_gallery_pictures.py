"""Flat works on the gallery walls in a real browser: hung at their real size with their images
(sRGB, mipmapped), a plinth beside them, and a click that walks up to a picture and then opens
its page. Saves var/screenshots/gallery-paintings.png."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import pytest

from tests.conftest import LiveMuseum
from tests.e2e.browser import SCREENSHOTS, WatchedPage
from tests.e2e.test_gallery import open_gallery, screen_point, set_pose, wait_still

pytestmark = pytest.mark.e2e

SEED = "from tests.e2e.pictures_seed import seed; seed()"
UNSEED = "from tests.e2e.pictures_seed import unseed; unseed()"
ROOM = {"min_x": 0.0, "max_x": 12.0, "min_z": 0.0, "max_z": 9.0}  # pictures_seed's room


@pytest.fixture(scope="module")
def pictures(live_museum: LiveMuseum, server_url: str) -> Iterator[dict]:
    output = live_museum.manage("shell", "-c", SEED, timeout=300).stdout
    seeded = json.loads(output.strip().splitlines()[-1])
    yield seeded | {"url": f"{server_url}/exhibitions/{seeded['slug']}/"}
    live_museum.manage("shell", "-c", UNSEED, timeout=120)


def test_pictures_hang_at_real_size_and_a_click_opens_their_page(
    watched: WatchedPage, pictures: dict
) -> None:
    page = watched.page
    loaded = open_gallery(page, pictures["url"])
    assert loaded["state"] == "loaded" and loaded["pictures"] == 9 and loaded["unhung"] == 1
    hung = {p["artifactId"]: p for p in page.evaluate("mouseionGallery.pictures()")}
    *works, too_tall = pictures["works"]
    assert sorted(hung) == sorted(works)
    # The work too tall for the walls is named, not clipped; the list below the gallery keeps it.
    status = page.locator("#gallery-status-text").inner_text()
    assert "Not on the walls: A canvas too tall for these walls (taller than" in status
    assert page.locator(f".object-list a[href='/artifacts/{too_tall}/']").count() >= 1
    [plinth] = page.evaluate("mouseionGallery.plinths()")  # the object stands among them
    assert plinth["artifactId"] == pictures["object"]

    wide, tall, by_pixels, unknown = (hung[pk] for pk in pictures["works"][:4])
    # Real size: the catalogue's, else the pixels at their scale, else 60 cm, said on the label.
    assert wide["size"] == pytest.approx([0.921, 0.737], abs=1e-3)
    assert tall["size"] == pytest.approx([0.39, 0.445], abs=1e-3)
    natural = by_pixels["texture"]["natural"]
    assert by_pixels["size"] == pytest.approx([natural[0] / 1600, natural[1] / 1600], abs=1e-3)
    assert max(unknown["size"]) == pytest.approx(0.6) and "not recorded" in unknown["label"]
    assert "92.1" in wide["label"] and "73.7" in wide["label"]
    banner = hung[works[-1]]
    assert banner["hang"] == "line" and banner["size"][1] == pytest.approx(2.6)
    assert banner["position"][1] - 1.3 >= 0.2 and banner["position"][1] + 1.3 <= 3.3
    for picture in hung.values():
        assert picture["loaded"] and picture["url"].startswith("/media/")
        texture = picture["texture"]
        assert texture["colorSpace"] == "srgb" and texture["mipmaps"]
        # About 1.2 px per mm of picture, at least 1024 px, never more than the web copy.
        wanted = max(1024, math.ceil(max(picture["size"]) * 1200))
        long_side = max(texture["width"], texture["height"])
        assert long_side == min(max(texture["natural"]), wanted), picture
        if picture is not banner:
            assert picture["position"][1] == pytest.approx(1.55, abs=0.01)  # eye level
        x, _, z = picture["position"]
        centre = ((ROOM["min_x"] + ROOM["max_x"]) / 2, (ROOM["min_z"] + ROOM["max_z"]) / 2)
        fx, fz = picture["facing"]
        assert fx * (centre[0] - x) + fz * (centre[1] - z) > 0  # faces into the room
        on_a_wall = min(abs(x - ROOM["min_x"]), abs(x - ROOM["max_x"]))
        on_a_wall = min(on_a_wall, abs(z - ROOM["min_z"]), abs(z - ROOM["max_z"]))
        assert on_a_wall < 0.2, picture

    # From a corner of the room, looking at two of its walls (the screenshot).
    stand, towards = (9.8, 7.4), (2.5, 1.0)
    yaw = math.atan2(-(towards[0] - stand[0]), -(towards[1] - stand[1]))  # 0 looks to -z
    assert set_pose(page, list(stand), yaw=yaw)
    page.wait_for_timeout(500)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#gallery-stage").screenshot(path=str(SCREENSHOTS / "gallery-paintings.png"))

    # Stand back from the wall holding the landscape and look at it.
    x, _, z = wide["position"]
    fx, fz = wide["facing"]
    back = 4.0
    assert set_pose(page, [x + fx * back, z + fz * back], yaw=math.atan2(fx, fz))
    page.wait_for_timeout(300)

    # A click on the picture walks up to it and offers its page; a second click opens it.
    spot = screen_point(page, wide["position"])
    assert spot["visible"]
    page.mouse.click(spot["x"], spot["y"])
    link = page.locator("#gallery-focus-link")
    link.wait_for(state="visible", timeout=20_000)
    wait_still(page)
    artifact = f"/artifacts/{wide['artifactId']}/"
    assert link.get_attribute("href") == artifact
    watched.assert_clean()
    spot = screen_point(page, wide["position"])
    assert spot["visible"]
    page.mouse.click(spot["x"], spot["y"])
    page.wait_for_url(f"**{artifact}", timeout=20_000)


def test_a_vr_controller_teleports_on_the_floor_and_opens_a_picture(
    watched: WatchedPage, pictures: dict
) -> None:
    """The controller's ray (gallery-xr.js), driven through the hook: headless Chromium has no
    headset, so the hand is pretended; the ray, the picking and the actions are the real ones."""
    page = watched.page
    open_gallery(page, pictures["url"], models=False)
    page.wait_for_selector("#gallery-xr[data-xr-ready='true']")
    assert set_pose(page, [6.0, 4.5])
    # Pointing at the floor and releasing teleports there.
    pointed = page.evaluate("mouseionGallery.vrSelect([6, 1.2, 4.5], [8, 0, 6])")
    assert pointed == {"item": None, "floor": True}
    head = page.evaluate("mouseionGallery.getPose()")["p"]
    assert math.hypot(head[0] - 8, head[2] - 6) < 0.05, head
    # Pointing at a picture and releasing opens its page.
    tall = next(
        p
        for p in page.evaluate("mouseionGallery.pictures()")
        if p["artifactId"] == pictures["works"][1]
    )
    x, y, z = tall["position"]
    fx, fz = tall["facing"]
    origin = [x + fx * 2.0, 1.2, z + fz * 2.0]
    pointed = page.evaluate("([o, t]) => mouseionGallery.vrSelect(o, t)", [origin, [x, y, z]])
    assert pointed["item"] is not None and not pointed["floor"]
    page.wait_for_url(f"**/artifacts/{tall['artifactId']}/", timeout=20_000)
