"""Where a visitor starts in the gallery (museum/gallery/layout.spawn_point, issue #22): facing
the first room's works, not a bare far wall."""

from __future__ import annotations

import math

import pytest

from museum.gallery.layout import SIGHT_HALF_ANGLE, Rect, spawn_point
from museum.gallery.scene import gallery_scene
from tests.unit.test_gallery_scene import plan  # noqa: F401  (the fixture)

ROOM = Rect(0.0, 12.0, 3.0, 17.0)  # the demo's first room: its way in on the south wall
ENTRY = ("south", [6.0, 17.0])


def off_heading(x: float, z: float, yaw: float, point: tuple[float, float]) -> float:
    """Angle between the heading `yaw` (0 faces +z) from (x, z) and the direction to `point`."""
    towards = math.atan2(point[0] - x, point[1] - z)
    return abs((towards - yaw + math.pi) % (2 * math.pi) - math.pi)


def test_without_works_the_visitor_faces_the_rooms_middle() -> None:
    x, z, yaw = spawn_point(ROOM, ENTRY)
    assert (x, z) == (6.0, 15.5)
    assert off_heading(x, z, yaw, (6.0, 10.0)) < 1e-3


def test_a_work_by_a_side_wall_is_straight_ahead() -> None:
    """The demo's whale stands by the west wall: the old heading (the room's middle, the far
    wall) left it 43 degrees aside, at the edge of a laptop's view and off a phone's."""
    whale = (0.913, 10.0)
    x, z, yaw = spawn_point(ROOM, ENTRY, [whale])
    assert off_heading(x, z, yaw, whale) < 1e-3
    old = spawn_point(ROOM, ENTRY)
    assert off_heading(old[0], old[1], old[2], whale) > SIGHT_HALF_ANGLE  # the regression


def test_the_heading_keeps_the_most_works_in_view() -> None:
    """Three works on the west side and one on the east: the view takes in the three."""
    west = [(1.0, 8.0), (1.0, 11.0), (2.5, 5.0)]
    east = [(11.0, 14.0)]
    x, z, yaw = spawn_point(ROOM, ENTRY, west + east)
    assert all(off_heading(x, z, yaw, w) <= SIGHT_HALF_ANGLE + 1e-9 for w in west)


@pytest.mark.django_db
def test_the_scene_spawn_faces_its_rooms_objects(plan) -> None:  # noqa: F811
    scene = gallery_scene(plan["exhibition"])
    spawn = scene["spawn"]
    x, z = spawn["position"]
    works = [i for i in scene["items"] if i["room"] == spawn["room"] and i["position"]]
    assert works, "the fixture's first room holds works"
    seen = [off_heading(x, z, spawn["yaw"], (w["position"][0], w["position"][2])) for w in works]
    assert min(seen) <= SIGHT_HALF_ANGLE, seen
