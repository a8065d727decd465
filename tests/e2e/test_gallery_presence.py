"""Two visitors in one walkable gallery, each in their own browser: each sees the other's avatar
appear, follow their moves (interpolated from the server's snapshots) and vanish when they leave."""

from __future__ import annotations

import pytest

from tests.e2e.browser import WatchedPage

pytestmark = pytest.mark.e2e

READY = "window.mouseionGallery && window.mouseionGallery.ready"


def standing_spot(page, offset: float) -> list[float]:
    """A point a visitor can stand on beside the first plinth, `offset` metres along x or z."""
    x, _, z = page.evaluate("window.mouseionGallery.plinths()[0].position")
    for dx, dz in ((offset, 0), (-offset, 0), (0, offset), (0, -offset)):
        if page.evaluate("([x, z]) => window.mouseionGallery.canStand(x, z)", [x + dx, z + dz]):
            return [x + dx, z + dz]
    raise AssertionError("no free spot beside the first plinth")


def open_gallery(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function(READY, timeout=30_000)
    page.evaluate("window.mouseionGallery.ready")


def test_two_visitors_see_each_other_move(browser, watched: WatchedPage, demo_pages) -> None:
    url = demo_pages["exhibition"]
    ann = watched.page
    other_context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en")
    bo = other_context.new_page()
    open_gallery(ann, url)
    open_gallery(bo, url)
    ann_spot = standing_spot(ann, 1.5)
    bo_spot = standing_spot(bo, 2.5)
    assert ann.evaluate("(p) => window.mouseionGallery.setPose({p})", ann_spot)
    assert bo.evaluate("(p) => window.mouseionGallery.setPose({p})", bo_spot)
    for page in (ann, bo):
        page.wait_for_function("window.mouseionGallery.presence.status === 'open'", timeout=20_000)
    assert ann.evaluate("window.mouseionGallery.roomKey()") == bo.evaluate(
        "window.mouseionGallery.roomKey()"
    )
    ann_id = ann.evaluate("window.mouseionGallery.presence.selfId")
    bo_id = bo.evaluate("window.mouseionGallery.presence.selfId")

    bo.wait_for_function(
        "(id) => window.mouseionGallery.avatars().some((a) => a.id === id)", arg=ann_id,
        timeout=15_000,
    )  # fmt: skip
    ann.wait_for_function(
        "(id) => window.mouseionGallery.avatars().some((a) => a.id === id)", arg=bo_id,
        timeout=15_000,
    )  # fmt: skip
    # Bo joined before Ann stepped to her spot: her avatar glides there from the snapshots.
    near = (
        "([id, x, z]) => { const a = window.mouseionGallery.avatars().find((v) => v.id === id);"
        " return a && Math.abs(a.position[0] - x) < 0.1 && Math.abs(a.position[2] - z) < 0.1; }"
    )
    bo.wait_for_function(near, arg=[ann_id, *ann_spot], timeout=15_000)

    # Ann steps aside; Bo sees her avatar arrive there.
    moved = next(
        [ann_spot[0] + dx, ann_spot[1] + dz]
        for dx, dz in ((1.0, 0), (-1.0, 0), (0, 1.0), (0, -1.0))
        if ann.evaluate("([x, z]) => window.mouseionGallery.canStand(x, z)",
                        [ann_spot[0] + dx, ann_spot[1] + dz])
    )  # fmt: skip
    assert ann.evaluate("(p) => window.mouseionGallery.setPose({p})", moved)
    bo.wait_for_function(near, arg=[ann_id, *moved], timeout=15_000)

    # Bo leaves: his avatar disappears from Ann's view.
    other_context.close()
    ann.wait_for_function(
        "(id) => !window.mouseionGallery.avatars().some((a) => a.id === id)", arg=bo_id,
        timeout=15_000,
    )  # fmt: skip
    watched.assert_clean()
