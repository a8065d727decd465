"""Flat works (paintings, prints, textiles, photographs) hung on the gallery walls, framework-free.

A picture takes a span of wall: its frame, then its label to the right as one faces it. Spans keep
clear of corners and doorways and are spread evenly over a room's walls, as plinths are
(layout.place_on_walls); what one room's walls cannot hold goes to the next rooms' walls. A work
too large for any wall (taller than the wall allows, wider than its longest clear stretch) or
left over when every wall is full is reported with the reason, never clipped or shrunk.

Pictures hang before plinths: the spans they take are cut out of the walls plinths may stand
against (RoomLayout.taken), and the plinths that no wall holds stand in rows on the floor, clear
of the space in front of the pictures (PICTURE_VIEW). Axes and units as in layout.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from museum.gallery.layout import (
    DOOR_CLEARANCE,
    DOOR_WIDTH,
    WALKER_RADIUS,
    WALL_HEIGHT,
    WALL_THICKNESS,
    WALLS,
    RoomLayout,
)

HANG_CENTRE = 1.55  # centre height of a picture hung at eye level
MIN_BOTTOM = 0.45  # lowest bottom edge at eye level; taller works hang from the line instead
HANG_LINE = WALL_HEIGHT - 0.3  # the picture rail big works hang from
MIN_FLOOR_GAP = 0.2  # a work hung from the line still clears the skirting by this much
CORNER_GAP = 0.3  # free wall at each corner
HANG_GAP = 0.6  # between a label and the next frame
LABEL_GAP = 0.1  # between a frame and its label
PICTURE_LABEL = 0.5  # the square wall label beside a picture
LABEL_HEIGHT = 1.35  # the label's centre
FRAME_DEPTH = 0.05
DEFAULT_LONG_SIDE = 0.6  # a work of unknown size (marked approximate on its label)
MAX_SIDE = 20.0  # larger recorded sizes are taken for errors (and the default used)
PICTURE_VIEW = 2.0  # free floor kept in front of a wall of pictures

TOO_TALL = "too_tall"
TOO_WIDE = "too_wide"
NO_SPACE = "no_space"


@dataclass(frozen=True)
class Picture:
    """A flat work's real size in metres (unframed) and whether the size is a guess."""

    width: float
    height: float
    approximate: bool = False

    @property
    def frame(self) -> float:
        """Moulding width: broader for larger works."""
        return round(min(0.12, max(0.035, 0.03 + 0.035 * max(self.width, self.height))), 3)

    @property
    def outer(self) -> tuple[float, float]:
        return self.width + 2 * self.frame, self.height + 2 * self.frame

    @property
    def along(self) -> float:
        """Wall taken: frame and label."""
        return self.outer[0] + LABEL_GAP + PICTURE_LABEL


def _sane(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) and 0 < value <= MAX_SIDE else None


def picture_size(
    width_m: float | None,
    height_m: float | None,
    pixels: tuple[int, int] | None = None,
    pixels_per_cm: float | None = None,
) -> Picture:
    """The size to hang a work at: the catalogue's (width_m, height_m), else the first image's
    pixels at its pixels_per_cm, else DEFAULT_LONG_SIDE in the image's proportions (approximate).
    One recorded side and the image's proportions give the other."""
    width, height = _sane(width_m), _sane(height_m)
    aspect = None  # height / width
    if pixels and pixels[0] > 0 and pixels[1] > 0:
        aspect = pixels[1] / pixels[0]
    if width and height:
        return Picture(width, height)
    if aspect and width:
        return Picture(width, width * aspect)
    if aspect and height:
        return Picture(height / aspect, height)
    if pixels and aspect and pixels_per_cm and math.isfinite(pixels_per_cm) and pixels_per_cm > 0:
        sized = Picture(pixels[0] / pixels_per_cm / 100, pixels[1] / pixels_per_cm / 100)
        if _sane(sized.width) and _sane(sized.height):
            return sized
    aspect = aspect or 1.0
    if aspect >= 1:
        return Picture(DEFAULT_LONG_SIDE / aspect, DEFAULT_LONG_SIDE, approximate=True)
    return Picture(DEFAULT_LONG_SIDE, DEFAULT_LONG_SIDE * aspect, approximate=True)


def hang_height(picture: Picture) -> tuple[float, str] | None:
    """(centre height, "eye" or "line") for the frame, or None when no wall is tall enough.

    Eye level puts the centre at HANG_CENTRE; a work whose bottom would then come below
    MIN_BOTTOM hangs from the line: bottom at MIN_BOTTOM, or top at HANG_LINE when taller."""
    height = picture.outer[1]
    if HANG_CENTRE - height / 2 >= MIN_BOTTOM:
        return HANG_CENTRE, "eye"
    top = min(HANG_LINE, MIN_BOTTOM + height)
    if top - height < MIN_FLOOR_GAP - 1e-9:
        return None
    return top - height / 2, "line"


def wall_stretches(layout: RoomLayout, wall: str) -> list[tuple[float, float]]:
    """Where pictures may hang on a wall: clear of its corners and doorways."""
    lo, hi = layout.rect.wall_span(wall)
    reserve = WALL_THICKNESS + CORNER_GAP
    segments = [(lo + reserve, hi - reserve)]
    for centre in layout.doors[wall]:
        cut = (centre - DOOR_WIDTH / 2 - DOOR_CLEARANCE, centre + DOOR_WIDTH / 2 + DOOR_CLEARANCE)
        segments = [
            piece
            for start, end in segments
            for piece in ((start, min(end, cut[0])), (max(start, cut[1]), end))
            if piece[1] - piece[0] > 0
        ]
    return segments


def label_right(wall: str) -> int:
    """+1 when the right hand, facing the wall, points along the wall's axis, else -1."""
    normal, _ = WALLS[wall]
    right = (normal[1], -normal[0])  # facing the wall one looks along -n
    return 1 if right[0] + right[1] > 0 else -1


@dataclass
class Hanging:
    """Where each picture hangs (by item index), in which room, and what could not be hung."""

    where: dict[int, dict[str, Any]] = field(default_factory=dict)
    room_of: dict[int, str] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)


def _slack(slot: dict, need: float, pictures: dict[int, Picture]) -> float:
    """Spacing per gap on a stretch once a picture `need` wide joins it (< 0: no fit). Pictures
    reach the stretch's ends: corners and doorway clearances already keep them apart."""
    used = sum(pictures[i].along for i in slot["items"]) + need
    count = len(slot["items"]) + 1
    return (slot["end"] - slot["start"] - used - (count - 1) * HANG_GAP) / (count + 1)


def hang_on_walls(
    layout: RoomLayout, items: list[int], pictures: dict[int, Picture]
) -> tuple[dict[int, dict[str, Any]], list[int]]:
    """Spread pictures over a room's walls, evenly; returns placements and what did not fit."""
    slots: list[dict[str, Any]] = [
        {"wall": wall, "start": start, "end": end, "items": []}
        for wall in WALLS
        for start, end in wall_stretches(layout, wall)
    ]
    left: list[int] = []
    for index in items:
        need = pictures[index].along
        fitting = [slot for slot in slots if _slack(slot, need, pictures) >= 0]
        if not fitting:
            left.append(index)
            continue
        max(fitting, key=lambda slot: _slack(slot, need, pictures))["items"].append(index)
    placed: dict[int, dict[str, Any]] = {}
    for slot in slots:
        if slot["items"]:
            placed |= _spread(layout, slot, pictures)
    return placed, left


def _spread(layout: RoomLayout, slot: dict, pictures: dict[int, Picture]) -> dict[int, dict]:
    wall = slot["wall"]
    spans = [pictures[i].along for i in slot["items"]]
    free = slot["end"] - slot["start"] - sum(spans)
    # Even gaps, ends included; when that would bring frames closer than HANG_GAP, the pictures
    # keep HANG_GAP apart and the ends take what is left.
    gap = free / (len(spans) + 1)
    end_gap = gap if gap >= HANG_GAP else (free - (len(spans) - 1) * HANG_GAP) / 2
    gap = max(gap, HANG_GAP)
    normal, yaw = WALLS[wall]
    surface = layout.rect.wall_line(wall) + (normal[0] + normal[1]) * WALL_THICKNESS
    sign = label_right(wall)
    placed: dict[int, dict] = {}
    cursor = slot["start"] + end_gap
    for index in slot["items"]:
        picture = pictures[index]
        outer_w = picture.outer[0]
        span = (cursor, cursor + picture.along)
        # The label goes to the right as one faces the wall: after the frame along the wall's
        # axis on some walls, before it on the others.
        frame_centre = span[0] + outer_w / 2 if sign > 0 else span[1] - outer_w / 2
        label_centre = frame_centre + sign * (outer_w / 2 + LABEL_GAP + PICTURE_LABEL / 2)
        cursor += picture.along + gap
        height = hang_height(picture)
        assert height is not None  # too-tall works are refused before hanging
        placed[index] = {
            "wall": wall,
            "yaw": yaw,
            "along": frame_centre,
            "span": span,
            "centre": height[0],
            "hang": height[1],
            **_point(wall, frame_centre, surface, "x", "z"),
            "label": _point(wall, label_centre, surface, "x", "z"),
        }
    return placed


def _point(wall: str, along: float, line: float, kx: str, kz: str) -> dict[str, float]:
    return {kx: along, kz: line} if wall in ("north", "south") else {kx: line, kz: along}


def picture_label_pose(where: dict[str, Any]) -> dict[str, Any]:
    """The wall label beside a hung picture, a hair in front of the wall."""
    normal, _ = WALLS[where["wall"]]
    x = where["label"]["x"] + normal[0] * 0.01
    z = where["label"]["z"] + normal[1] * 0.01
    return {
        "position": [round(x, 3), LABEL_HEIGHT, round(z, 3)],
        "yaw": where["yaw"],
        "post": False,
        "width": PICTURE_LABEL,
    }


def viewing_distance(layout: RoomLayout, where: dict[str, Any], picture: Picture) -> float:
    """How far in front of a picture a visitor stands: further for larger works, in the room."""
    lo, hi = (
        (layout.rect.min_z, layout.rect.max_z)
        if where["wall"] in ("north", "south")
        else (layout.rect.min_x, layout.rect.max_x)
    )
    room = hi - lo - 2 * WALL_THICKNESS - 2 * WALKER_RADIUS - 0.2
    wanted = max(1.5, 0.6 + 1.1 * max(picture.outer))
    return round(max(0.8, min(wanted, room)), 3)


def hang_pictures(
    layouts: dict[str, RoomLayout], wanted: dict[str, list[int]], pictures: dict[int, Picture]
) -> Hanging:
    """Hang each room's pictures on its walls; what does not fit goes to the next rooms' walls.

    Marks the spans taken on each layout (plinths keep off them); every picture not hung is in
    `refused` with TOO_TALL, TOO_WIDE (wider than any clear stretch of any room) or NO_SPACE.
    """
    hanging = Hanging()
    longest = max(
        (
            end - start
            for lay in layouts.values()
            for w in WALLS
            for start, end in wall_stretches(lay, w)
        ),
        default=0.0,
    )
    fits: dict[str, list[int]] = {}
    for key, indexes in wanted.items():
        fits[key] = []
        for index in indexes:
            if hang_height(pictures[index]) is None:
                hanging.refused[index] = TOO_TALL
            elif pictures[index].along > longest + 1e-9:
                hanging.refused[index] = TOO_WIDE
            else:
                fits[key].append(index)
    leftovers: list[int] = []
    for key, layout in layouts.items():
        placed, left = hang_on_walls(layout, fits.get(key, []), pictures)
        hanging.where |= placed
        hanging.room_of |= dict.fromkeys(placed, key)
        leftovers += left
    for key, layout in layouts.items():
        if not leftovers:
            break
        own = sorted(i for i in hanging.where if hanging.room_of[i] == key)
        placed, leftovers = hang_on_walls(layout, own + leftovers, pictures)
        hanging.where |= placed
        hanging.room_of |= dict.fromkeys(placed, key)
    hanging.refused |= dict.fromkeys(leftovers, NO_SPACE)
    for index, where in hanging.where.items():
        layouts[hanging.room_of[index]].taken[where["wall"]].append(where["span"])
    return hanging
