"""Flat works on the gallery walls (museum/gallery/walls.py, framework-free): sizes, heights,
spacing, doorways kept clear, works too big reported, plinths kept off the pictures' walls."""

from __future__ import annotations

import itertools

import pytest

from museum.gallery.layout import (
    DOOR_CLEARANCE,
    DOOR_WIDTH,
    MIN_SPACING,
    WALL_HEIGHT,
    WALL_THICKNESS,
    Rect,
    RoomLayout,
    footprint,
    place_items,
)
from museum.gallery.walls import (
    DEFAULT_LONG_SIDE,
    HANG_CENTRE,
    HANG_GAP,
    HANG_LINE,
    NO_SPACE,
    PICTURE_VIEW,
    TOO_TALL,
    TOO_WIDE,
    Picture,
    hang_height,
    hang_pictures,
    picture_label_pose,
    picture_size,
)

EPS = 1e-6


def room(key: str = "a", width: float = 12.0, depth: float = 10.0) -> RoomLayout:
    return RoomLayout(key, Rect(0.0, width, 0.0, depth))


def test_size_from_the_catalogue_then_pixels_then_an_approximate_default() -> None:
    assert picture_size(0.73, 0.92) == Picture(0.73, 0.92)
    # One side and the image's proportions give the other.
    assert picture_size(0.5, None, (1000, 1500)) == Picture(0.5, 0.75)
    assert picture_size(None, 0.3, (2000, 1000)).width == pytest.approx(0.6)
    # 4000 x 3000 pixels at 100 px/cm: 40 x 30 cm.
    sized = picture_size(None, None, (4000, 3000), 100.0)
    assert (sized.width, sized.height, sized.approximate) == (0.4, 0.3, False)
    # Nothing known: the long side is the default, in the image's proportions, approximate.
    guess = picture_size(None, None, (1000, 2000), None)
    assert guess.approximate and guess.height == DEFAULT_LONG_SIDE and guess.width == 0.3
    assert picture_size(None, None).approximate
    # Nonsense figures are not believed.
    for bad in (-1.0, 0.0, float("nan"), float("inf"), 500.0):
        assert picture_size(bad, bad, (100, 100), None).approximate
    assert picture_size(None, None, (100, 100), 0.0).approximate
    assert picture_size(None, None, (100, 100), 0.0001).approximate  # a 10 km "painting"


def test_eye_level_hanging_and_big_works_from_the_line() -> None:
    small = Picture(0.4, 0.5)
    centre, how = hang_height(small)  # type: ignore[misc]
    assert (centre, how) == (HANG_CENTRE, "eye")
    tall = Picture(1.5, 2.4)
    centre, how = hang_height(tall)  # type: ignore[misc]
    outer_h = tall.outer[1]
    assert how == "line" and centre - outer_h / 2 >= 0.2 and centre + outer_h / 2 <= HANG_LINE + EPS
    assert hang_height(Picture(2.0, WALL_HEIGHT)) is None


def assert_clear(layout: RoomLayout, where: dict, pictures: dict[int, Picture]) -> None:
    """Every picture inside its wall, off the corners and doorways; frames never overlap."""
    by_wall: dict[str, list[tuple[float, float]]] = {}
    for index, spot in where.items():
        lo, hi = layout.rect.wall_span(spot["wall"])
        start, end = spot["span"]
        assert lo + WALL_THICKNESS <= start and end <= hi - WALL_THICKNESS, spot
        assert end - start == pytest.approx(pictures[index].along)
        outer_w, outer_h = pictures[index].outer
        assert (
            start - EPS <= spot["along"] - outer_w / 2 and spot["along"] + outer_w / 2 <= end + EPS
        )
        assert spot["centre"] - outer_h / 2 > 0.14 and spot["centre"] + outer_h / 2 < WALL_HEIGHT
        for door in layout.doors[spot["wall"]]:
            clear = DOOR_WIDTH / 2 + DOOR_CLEARANCE
            assert end <= door - clear + EPS or start >= door + clear - EPS, (spot, door)
        by_wall.setdefault(spot["wall"], []).append(spot["span"])
    for spans in by_wall.values():
        for a, b in itertools.combinations(sorted(spans), 2):
            assert b[0] - a[1] >= HANG_GAP - EPS, (a, b)


def test_pictures_share_the_walls_evenly_clear_of_doorways() -> None:
    layout = room()
    layout.doors["east"].append(5.0)
    layout.doors["north"].append(6.0)
    pictures = {i: Picture(0.6 + 0.1 * i, 0.8) for i in range(10)}
    hanging = hang_pictures({"a": layout}, {"a": list(pictures)}, pictures)
    assert not hanging.refused and set(hanging.where) == set(pictures)
    assert len({spot["wall"] for spot in hanging.where.values()}) == 4  # all walls used
    assert_clear(layout, hanging.where, pictures)
    # Hung on the wall's surface, facing into the room; label to the right as one faces it.
    for spot in hanging.where.values():
        if spot["wall"] == "north":
            assert spot["z"] == pytest.approx(WALL_THICKNESS) and spot["yaw"] == 0.0
            assert spot["label"]["x"] > spot["x"]
        if spot["wall"] == "south":
            assert (
                spot["z"] == pytest.approx(10 - WALL_THICKNESS) and spot["label"]["x"] < spot["x"]
            )
        if spot["wall"] == "west":
            assert spot["label"]["z"] < spot["z"]
        pose = picture_label_pose(spot)
        assert pose["position"][1] < spot["centre"] + 0.01 and not pose["post"]
    # The spans are marked taken, so plinths keep off them.
    assert sum(len(spans) for spans in layout.taken.values()) == 10


def test_too_big_works_are_reported_not_clipped_and_full_walls_spill_over() -> None:
    small_room, big_room = room("s", 6, 5), room("b", 16, 12)
    pictures = {
        0: Picture(1.0, WALL_HEIGHT),  # taller than any wall
        1: Picture(15.0, 2.0),  # wider than any stretch of wall
        **{i: Picture(1.2, 0.9) for i in range(2, 14)},
    }
    hanging = hang_pictures(
        {"s": small_room, "b": big_room}, {"s": list(pictures), "b": []}, pictures
    )
    assert hanging.refused[0] == TOO_TALL and hanging.refused[1] == TOO_WIDE
    assert set(hanging.room_of.values()) == {"s", "b"}  # the small room's walls overflowed
    assert set(hanging.where) | set(hanging.refused) == set(pictures)
    for key, layout in (("s", small_room), ("b", big_room)):
        mine = {i: w for i, w in hanging.where.items() if hanging.room_of[i] == key}
        assert_clear(layout, mine, pictures)
    # With no other room, what the walls cannot hold is reported as such.
    crowded = {i: Picture(1.2, 0.9) for i in range(30)}
    alone = hang_pictures({"s": room("s", 6, 5)}, {"s": list(crowded)}, crowded)
    assert alone.where and set(alone.refused.values()) == {NO_SPACE}
    assert len(alone.where) + len(alone.refused) == 30


def test_plinths_keep_off_the_pictures_and_stand_on_the_floor_when_walls_are_full() -> None:
    layout = room("a", 12, 12)
    pictures = {i: Picture(1.0, 0.8) for i in range(14)}
    hanging = hang_pictures({"a": layout}, {"a": list(pictures)}, pictures)
    assert not hanging.refused
    sizes = {i: footprint(0.5, 0.6, 0.6) for i in range(100, 104)}
    where, _ = place_items(
        {"a": layout}, {"a": list(sizes)}, sizes, picture_band=WALL_THICKNESS + PICTURE_VIEW
    )
    assert set(where) == set(sizes)
    assert any("wall" not in spot for spot in where.values())  # the walls are full
    for index, spot in where.items():
        if "wall" in spot:  # against a wall: never in front of a picture or its label
            along = spot["x"] if spot["wall"] in ("north", "south") else spot["z"]
            half = sizes[index].along / 2
            for start, end in layout.taken[spot["wall"]]:
                assert (
                    along + half <= start - MIN_SPACING + EPS
                    or along - half >= end + MIN_SPACING - EPS
                )
        else:  # on the floor: the strip in front of the pictures stays free
            assert spot["x"] - sizes[index].along / 2 >= WALL_THICKNESS + PICTURE_VIEW - EPS
            assert spot["z"] + sizes[index].across / 2 <= 12 - WALL_THICKNESS - PICTURE_VIEW + EPS
