"""Plan my visit (issue #22, item 8): routes are drawn through the passages' doorways, never
through walls, and the page speaks in visitor words with correct plurals."""

from __future__ import annotations

import itertools

import pytest
from django.test import Client
from rest_framework.test import APIClient

from museum.gallery.layout import DOOR_WIDTH
from museum.planning.doorways import Door, RoomBox, passage_doors, route_points
from tests.unit.test_planning_api import URL, small_museum  # noqa: F401  (a fixture)

EPS = 1e-6


def inside(point: tuple[float, float], box: RoomBox) -> bool:
    rect = box.rect
    x, y = point
    return rect.min_x - EPS <= x <= rect.max_x + EPS and rect.min_z - EPS <= y <= rect.max_z + EPS


def on_wall(door: Door, box: RoomBox) -> bool:
    rect = box.rect
    x, y = door.at
    line = rect.wall_line(door.wall)
    return abs((y if door.wall in ("north", "south") else x) - line) < EPS and inside(door.at, box)


def assert_through_doorways(points, rooms, doors) -> None:
    """Each segment lies inside one room, or joins the two doors of one passage: a route that
    cuts a corner through a wall fails."""
    door_pairs = {frozenset((a.at, b.at)) for a, b in doors.values()}
    for start, end in itertools.pairwise(points):
        if frozenset((start, end)) in door_pairs:
            continue
        assert any(inside(start, box) and inside(end, box) for box in rooms.values()), (
            f"the segment {start} -> {end} leaves every room (through a wall)"
        )


def test_side_by_side_rooms_meet_at_a_doorway_centred_on_their_shared_wall() -> None:
    west, east = RoomBox(0, 0, 10, 10), RoomBox(12, 4, 10, 10)
    door_west, door_east = passage_doors(west, east)
    assert (door_west.wall, door_east.wall) == ("east", "west")
    assert on_wall(door_west, west) and on_wall(door_east, east)
    # The shared stretch of the facing walls is y in [-1, 5]: the doorway sits in its middle.
    assert door_west.at == (5.0, 2.0) and door_east.at == (7.0, 2.0)


def test_a_route_between_two_rooms_passes_through_the_passage_doorway() -> None:
    rooms = {"a": RoomBox(0, 0, 10, 10), "b": RoomBox(12, 4, 10, 10)}
    doors = {("a", "b"): passage_doors(rooms["a"], rooms["b"])}
    points = route_points(rooms, ["a", "b"], doors)
    assert points == [(0, 0), (5.0, 2.0), (7.0, 2.0), (12, 4)]
    assert_through_doorways(points, rooms, doors)
    # The same passage walked the other way uses the same doors, reversed.
    assert route_points(rooms, ["b", "a"], doors) == [(12, 4), (7.0, 2.0), (5.0, 2.0), (0, 0)]


def test_an_l_shaped_route_never_cuts_through_a_wall() -> None:
    # hall below two rooms; the straight centre-to-centre line from the hall to "east" would
    # cross the west room's wall: the route must go through the doors instead.
    rooms = {
        "hall": RoomBox(10, 20, 20, 6),
        "west": RoomBox(5, 10, 10, 10),
        "east": RoomBox(15, 10, 10, 10),
    }
    doors = {
        ("hall", "west"): passage_doors(rooms["hall"], rooms["west"]),
        ("west", "east"): passage_doors(rooms["west"], rooms["east"]),
        ("east", "hall"): passage_doors(rooms["east"], rooms["hall"]),
    }
    points = route_points(rooms, ["hall", "west", "east", "hall"], doors)
    assert_through_doorways(points, rooms, doors)
    for (a, b), (door_a, door_b) in doors.items():
        assert on_wall(door_a, rooms[a]) and on_wall(door_b, rooms[b])
        assert door_a.at in points and door_b.at in points
    # The old drawing, room centre to room centre, fails the same check.
    with pytest.raises(AssertionError, match="through a wall"):
        assert_through_doorways([rooms["hall"].centre, rooms["west"].centre], rooms, doors)


@pytest.mark.django_db
def test_the_plan_api_draws_its_route_through_doors(small_museum) -> None:  # noqa: F811
    plan = APIClient().post(URL, {"interests": "bronze", "minutes": 5}, format="json").json()
    floor = Client().get("/plan/")
    assert floor.status_code == 200
    from museum.planning.services import floor_plan_data

    data = floor_plan_data()
    rooms = {r["code"]: RoomBox(r["x"], r["y"], r["width"], r["depth"]) for r in data["rooms"]}
    doors = {
        (p["from"], p["to"]): tuple(Door(tuple(d["at"]), d["wall"]) for d in p["doors"])
        for p in data["passages"]
    }
    for (a, b), (door_a, door_b) in doors.items():
        assert on_wall(door_a, rooms[a]) and on_wall(door_b, rooms[b])
    assert data["doorWidth"] == DOOR_WIDTH
    points = [tuple(point) for point in plan["route"]]
    assert points[0] == rooms[plan["rooms_path"][0]].centre
    assert len(points) == 3 * len(plan["rooms_path"]) - 2  # two doors per leg
    assert_through_doorways(points, rooms, doors)


@pytest.mark.django_db
def test_the_plan_speaks_visitor_words(small_museum) -> None:  # noqa: F811
    body = {"interests": "bronze horses and cats", "minutes": 5}
    plan = APIClient().post(URL, body, format="json").json()
    count = len(plan["stops"])
    assert plan["words"]["status"] == f"Your route has {count} stop{'s' if count != 1 else ''}."
    summary = plan["words"]["summary"]
    assert "of your 5 minutes" in summary
    assert "Covers 1 of your 3 interests." in summary  # bronze, horses, cats: bronze is found
    for stop in plan["stops"]:
        text = stop["reason"]["text"]
        assert "similarity" not in text and not any(ch.isdigit() for ch in text), text
        assert "." not in stop["arrival_text"] and stop["room"]["name"] in stop["arrival_text"]
    one = APIClient().post(URL, {"interests": "bronze", "minutes": 1}, format="json").json()
    if len(one["stops"]) == 1:
        assert one["words"]["status"] == "Your route has 1 stop."
    assert "1 minutes" not in one["words"]["summary"]
    covered = 1 if one["stops"] else 0
    assert f"Covers {covered} of your 1 interest." in one["words"]["summary"]
