"""The curators' visit analytics dashboard in a browser: Chart.js draws every chart (each
canvas has pixels) from counts fed through the collection functions of the live museum."""

from __future__ import annotations

import re

import pytest

from tests.conftest import LiveMuseum
from tests.e2e.browser import WatchedPage

pytestmark = pytest.mark.e2e

# In the live museum's own process: the functions the consumers and the beacon call, then a
# flush, as the running server would do on its own after MOUSEION_ANALYTICS_FLUSH_SECONDS.
FEED = """
from exhibits.models import Artifact
from museum.analytics import collect
from museum.analytics.services import flush_counts
from museum.models import LiveTour, Room
rooms = list(Room.objects.order_by("pk").values_list("pk", flat=True))[:3]
for i, room in enumerate(rooms):
    for n in range(6 + 3 * i):
        collect.room_visit(room=room, seconds=20 + 15 * n, came_from=rooms[i - 1] if i else None)
shown = Artifact.objects.filter(status="published").values_list("pk", flat=True)[:4]
for i, pk in enumerate(shown):
    for n in range(5 + 2 * i):
        collect.artifact_view(artifact=pk, seconds=10 + 7 * n)
for kind, mode, n in [("desktop", "browser", 12), ("phone", "ar", 6), ("xr", "vr", 7)]:
    for _ in range(n):
        collect.device(device_class=kind, mode=mode)
live = LiveTour.objects.first()
if live:
    for reached in [True] * 6 + [False] * 6:
        collect.tour_follower(code=live.code, share=1.0 if reached else 0.5, reached_last=reached)
flush_counts()
"""


def test_the_dashboard_draws_its_charts_for_a_curator(
    watched: WatchedPage, live_museum: LiveMuseum, server_url: str
) -> None:
    live_museum.manage("shell", "-c", FEED)
    page = watched.page
    target = "/admin/analytics/"
    page.goto(f"{server_url}/admin/login/?next={target}")
    page.fill("#id_username", "curator")
    page.fill("#id_password", live_museum.demo_password)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(re.escape(target) + "$"))
    page.wait_for_selector("[data-analytics][data-charts]")
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('.analytics canvas')].map((canvas) => {
            const { width, height } = canvas;
            const { data } = canvas.getContext('2d').getImageData(0, 0, width, height);
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i]) painted += 1;
            return [canvas.id, canvas.width, painted];
        })"""
    )
    assert len(drawn) == 7
    for name, width, painted in drawn:
        assert width > 0 and painted > 100, (name, width, painted)
    # The readable tables under the charts hold the same figures, small ones suppressed.
    assert page.locator("table").filter(has_text="xr").count() >= 1
    assert "< 5" not in page.locator("#analytics-devices-title + div + table").inner_text()
    watched.assert_clean()
