"""Gallery layout geometry, framework-free: rooms as rectangles, doorways, plinths on walls.

World axes: plan x is x, plan y is z, y is up; a yaw of 0 faces +z. All lengths in metres.
Used by museum/gallery/scene.py, which reads the models and builds the scene for gallery.js.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

EYE_HEIGHT = 1.6
WALKER_RADIUS = 0.3
WALL_HEIGHT = 3.6
WALL_THICKNESS = 0.12
DOOR_WIDTH = 1.6
DOOR_HEIGHT = 2.5
DOOR_CLEARANCE = 0.9  # free wall either side of a doorway (a label fits)
MAX_CORRIDOR = 4.0  # rooms further apart than this are not joined by a walkable corridor
WALL_MARGIN = 0.4  # between a wall and the back of a plinth
MIN_SPACING = 1.0  # between the sides of neighbouring plinths
PLINTH_PAD = 0.15  # plinth top beyond the artifact on each side
MIN_PLINTH = 0.5
MAX_PLINTH = 4.0
DEFAULT_SIDE = 0.4  # an artifact without recorded dimensions
VIEW_DISTANCE = 1.2  # in front of a plinth, where a visitor stands to look
MIN_SYNTH_SIDE = 8.0
LABEL_WIDTH = 0.7

# Inward normal of each wall, and the yaw of a plinth standing against it.
WALLS = {
    "north": ((0.0, 1.0), 0.0),  # the wall at min z
    "south": ((0.0, -1.0), math.pi),  # max z
    "west": ((1.0, 0.0), math.pi / 2),  # min x
    "east": ((-1.0, 0.0), -math.pi / 2),  # max x
}


@dataclass(frozen=True)
class Rect:
    min_x: float
    max_x: float
    min_z: float
    max_z: float

    @classmethod
    def around(cls, x: float, z: float, width: float, depth: float) -> Rect:
        return cls(x - width / 2, x + width / 2, z - depth / 2, z + depth / 2)

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in vars(self).items()}

    def wall_span(self, wall: str) -> tuple[float, float]:
        """The wall's extent along its own axis (x for north/south, z for west/east)."""
        return (self.min_x, self.max_x) if wall in ("north", "south") else (self.min_z, self.max_z)

    def wall_line(self, wall: str) -> float:
        return {
            "north": self.min_z,
            "south": self.max_z,
            "west": self.min_x,
            "east": self.max_x,
        }[wall]


@dataclass
class Footprint:
    """A plinth's size: `along` the wall, `across` it, and its height."""

    along: float
    across: float
    height: float


@dataclass
class RoomLayout:
    key: str
    rect: Rect
    # Doorway centres along each wall (plinths keep clear of them).
    doors: dict[str, list[float]] = field(default_factory=lambda: {w: [] for w in WALLS})
    # Spans (start, end) along each wall held by hung pictures (walls.py): plinths keep off them.
    taken: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: {w: [] for w in WALLS}
    )


def footprint(height: float | None, width: float | None, depth: float | None) -> Footprint:
    """The plinth of an artifact of that real size (unknown sides count as DEFAULT_SIDE)."""
    height = height or DEFAULT_SIDE
    width = width or DEFAULT_SIDE
    depth = depth or DEFAULT_SIDE

    def side(value: float) -> float:
        return round(min(MAX_PLINTH, max(MIN_PLINTH, value + 2 * PLINTH_PAD)), 3)

    # Small things are raised towards eye level; tall ones stand low.
    plinth_height = min(1.0, max(0.1, 1.15 - height / 2))
    return Footprint(along=side(width), across=side(depth), height=round(plinth_height, 3))


def doorway_geometry(a: Rect, b: Rect) -> dict[str, Any] | None:
    """Where a doorway joins rooms a and b, when their walls face each other closely enough."""
    for axis in ("x", "z"):
        if axis == "x":  # walls facing across z; the door slides along x
            lo, hi = max(a.min_x, b.min_x), min(a.max_x, b.max_x)
            gap_ab, gap_ba = b.min_z - a.max_z, a.min_z - b.max_z
            walls = ("south", "north") if gap_ab >= gap_ba else ("north", "south")
        else:
            lo, hi = max(a.min_z, b.min_z), min(a.max_z, b.max_z)
            gap_ab, gap_ba = b.min_x - a.max_x, a.min_x - b.max_x
            walls = ("east", "west") if gap_ab >= gap_ba else ("west", "east")
        gap = max(gap_ab, gap_ba)
        if hi - lo < DOOR_WIDTH + 2 * DOOR_CLEARANCE or not -1e-6 <= gap <= MAX_CORRIDOR:
            continue
        centre = (lo + hi) / 2
        line_a, line_b = a.wall_line(walls[0]), b.wall_line(walls[1])
        near, far = sorted((line_a, line_b))
        # The corridor reaches into both rooms so that the walkable areas overlap.
        reach = WALL_THICKNESS + WALKER_RADIUS + 0.2
        half = DOOR_WIDTH / 2
        if axis == "x":
            corridor = Rect(centre - half, centre + half, near - reach, far + reach)
        else:
            corridor = Rect(near - reach, far + reach, centre - half, centre + half)
        return {"walls": walls, "centre": centre, "gap": max(gap, 0.0), "corridor": corridor}
    return None


def facing_wall(a: Rect, b: Rect) -> tuple[str, float]:
    """The wall of a that looks towards b, and where along it (for doors that do not join)."""
    ax, az = (a.min_x + a.max_x) / 2, (a.min_z + a.max_z) / 2
    bx, bz = (b.min_x + b.max_x) / 2, (b.min_z + b.max_z) / 2
    if abs(bx - ax) >= abs(bz - az):
        wall, target = ("east" if bx > ax else "west"), bz
    else:
        wall, target = ("south" if bz > az else "north"), bx
    lo, hi = a.wall_span(wall)
    margin = DOOR_WIDTH / 2 + DOOR_CLEARANCE
    if hi - lo <= 2 * margin:
        return wall, (lo + hi) / 2
    return wall, min(hi - margin, max(lo + margin, target))


def door_point(rect: Rect, wall: str, along: float) -> list[float]:
    line = rect.wall_line(wall)
    point = (along, line) if wall in ("north", "south") else (line, along)
    return [round(point[0], 3), round(point[1], 3)]


def free_segments(layout: RoomLayout, wall: str, reserve: float) -> list[tuple[float, float]]:
    """Stretches of a wall where plinths may stand: clear of corners, doorways and pictures."""
    lo, hi = layout.rect.wall_span(wall)
    segments = [(lo + reserve, hi - reserve)]
    cuts = [
        (centre - DOOR_WIDTH / 2 - DOOR_CLEARANCE, centre + DOOR_WIDTH / 2 + DOOR_CLEARANCE)
        for centre in layout.doors[wall]
    ]
    cuts += [(start - MIN_SPACING, end + MIN_SPACING) for start, end in layout.taken[wall]]
    for cut in cuts:
        segments = [
            piece
            for start, end in segments
            for piece in ((start, min(end, cut[0])), (max(start, cut[1]), end))
            if piece[1] - piece[0] > MIN_PLINTH
        ]
    return segments


def slack(slot: dict, need: float, sizes: dict[int, Footprint]) -> float:
    """Spacing per gap left on a wall stretch once an item `need` wide joins it (< 0: no fit)."""
    used = sum(sizes[i].along for i in slot["items"]) + need
    count = len(slot["items"]) + 1
    return (slot["end"] - slot["start"] - used - (count + 1) * MIN_SPACING) / (count + 1)


def place_on_walls(
    layout: RoomLayout, items: list[int], sizes: dict[int, Footprint]
) -> tuple[dict[int, dict], list[int]]:
    """Spread items along the room's walls, evenly, at least MIN_SPACING apart.

    Returns the placements by item index and the items that did not fit.
    """
    depth = max((sizes[i].across for i in items), default=MIN_PLINTH)
    # Corners are kept free so that plinths on neighbouring walls never meet.
    reserve = WALL_THICKNESS + WALL_MARGIN + depth + MIN_SPACING
    slots: list[dict[str, Any]] = [
        {"wall": wall, "start": start, "end": end, "items": []}
        for wall in WALLS
        for start, end in free_segments(layout, wall, reserve)
    ]
    left: list[int] = []
    for index in items:
        need = sizes[index].along
        fitting = [slot for slot in slots if slack(slot, need, sizes) >= 0]
        if not fitting:
            left.append(index)
            continue
        max(fitting, key=lambda slot: slack(slot, need, sizes))["items"].append(index)
    placed: dict[int, dict] = {}
    for slot in slots:
        if not slot["items"]:
            continue
        widths = [sizes[i].along for i in slot["items"]]
        gap = (slot["end"] - slot["start"] - sum(widths)) / (len(widths) + 1)
        cursor = slot["start"] + gap
        normal, yaw = WALLS[slot["wall"]]
        line = layout.rect.wall_line(slot["wall"])
        for index, width in zip(slot["items"], widths, strict=True):
            along = cursor + width / 2
            cursor += width + gap
            inset = WALL_THICKNESS + WALL_MARGIN + sizes[index].across / 2
            if slot["wall"] in ("north", "south"):
                x, z = along, line + normal[1] * inset
            else:
                x, z = line + normal[0] * inset, along
            placed[index] = {"x": x, "z": z, "yaw": yaw, "wall": slot["wall"]}
    return placed, left


def place_in_rows(
    layout: RoomLayout,
    items: list[int],
    sizes: dict[int, Footprint],
    *,
    band: float = WALL_THICKNESS + WALL_MARGIN + MAX_PLINTH / 2 + MIN_SPACING + VIEW_DISTANCE,
) -> tuple[dict[int, dict], list[int]]:
    """Free-standing plinths in rows across the middle of the room, for what the walls lack;
    `band` is the floor kept free along the walls (by default room for plinths against them)."""
    rect = layout.rect
    placed: dict[int, dict] = {}
    left = list(items)
    z = rect.min_z + band
    # Every row is as deep as the deepest item left, so no row can run past the band.
    while left and z + (row_depth := max(sizes[i].across for i in left)) <= rect.max_z - band:
        x = rect.min_x + band
        while left and x + sizes[left[0]].along <= rect.max_x - band:
            index = left.pop(0)
            placed[index] = {"x": x + sizes[index].along / 2, "z": z + row_depth / 2, "yaw": 0.0}
            x += sizes[index].along + MIN_SPACING
        z += row_depth + MIN_SPACING + VIEW_DISTANCE
    return placed, left


def label_pose(where: dict, size: Footprint) -> dict[str, Any]:
    """A wall label beside the plinth (to the right as one faces it), or a post in front."""
    nx, nz = math.sin(where["yaw"]), math.cos(where["yaw"])
    if "wall" in where:
        back = WALL_MARGIN + size.across / 2 - 0.01  # from the plinth centre to the wall surface
        side = size.along / 2 + 0.1 + LABEL_WIDTH / 2
        # Facing the wall one looks along -n; the right hand points along (n_z, -n_x).
        x = where["x"] - nx * back + nz * side
        z = where["z"] - nz * back - nx * side
        return {
            "position": [round(x, 3), 1.4, round(z, 3)],
            "yaw": where["yaw"],
            "post": False,
            "width": LABEL_WIDTH,
        }
    ahead = size.across / 2 + 0.35
    x, z = where["x"] + nx * ahead, where["z"] + nz * ahead
    return {
        "position": [round(x, 3), 1.1, round(z, 3)],
        "yaw": where["yaw"],
        "post": True,
        "width": LABEL_WIDTH,
    }


def synthetic_rect(sizes: list[Footprint], wall_length: float = 0.0) -> Rect:
    """A square room whose walls hold every plinth with the minimum spacing, and `wall_length`
    more for pictures."""
    depth = max((s.across for s in sizes), default=MIN_PLINTH)
    reserve = WALL_THICKNESS + WALL_MARGIN + depth + MIN_SPACING
    perimeter = sum(s.along + MIN_SPACING for s in sizes) + 4 * (MIN_SPACING + 2 * reserve)
    perimeter += wall_length
    side = max(MIN_SYNTH_SIDE, math.ceil(perimeter / 4))
    return Rect(-side / 2, side / 2, -side / 2, side / 2)


def place_items(
    layouts: dict[str, RoomLayout],
    wanted: dict[str, list[int]],
    sizes: dict[int, Footprint],
    *,
    picture_band: float | None = None,
) -> tuple[dict[int, dict], dict[int, str]]:
    """Place each room's wanted items on its walls; what does not fit spills over.

    Returns each placed item's {x, z, yaw[, wall]} and its room key; an item that fits nowhere
    is left out of both (the page's object list still shows it). Rows on the floor of a room
    whose walls hold pictures and no plinth keep `picture_band` free along its walls.
    """
    keys = list(layouts)
    where: dict[int, dict] = {}
    room_of: dict[int, str] = {}
    leftovers: list[int] = []
    for key in keys:
        placed, left = place_on_walls(layouts[key], wanted[key], sizes)
        where |= placed
        room_of |= dict.fromkeys(placed, key)
        leftovers += left
    # What a room's walls lack spills over to the walls of the next rooms (re-spread with the
    # items already there, which keep their walls), then to free-standing rows.
    for key in keys:
        if not leftovers:
            break
        # Sorted, the room's own items come in their first order and land on the same walls.
        own = sorted(index for index in where if room_of[index] == key)
        placed, leftovers = place_on_walls(layouts[key], own + leftovers, sizes)
        where |= placed
        room_of |= dict.fromkeys(placed, key)
    for key in keys:
        if not leftovers:
            break
        layout = layouts[key]
        pictures_only = any(layout.taken.values()) and key not in {
            room_of[i] for i in where if "wall" in where[i]
        }
        if pictures_only and picture_band is not None:
            placed, leftovers = place_in_rows(layout, leftovers, sizes, band=picture_band)
        else:
            placed, leftovers = place_in_rows(layout, leftovers, sizes)
        where |= placed
        room_of |= dict.fromkeys(placed, key)
    return where, room_of


# Half the narrowest horizontal field of view the gallery is drawn with (a square phone stage,
# the camera's 70 degrees), less a margin: an object this far off the heading is on screen.
SIGHT_HALF_ANGLE = math.radians(30)


def spawn_point(
    rect: Rect,
    entry: tuple[str, list[float]] | None,
    sights: list[tuple[float, float]] | None = None,
) -> tuple[float, float, float]:
    """(x, z, yaw) 1.5 m inside the entry door (wall, point), or near the north wall.

    It faces the room's works (`sights`: where they stand or hang): the heading that keeps the
    most of them in view, the nearest to their middle among equals; without works, the room's
    centre (a visitor first met a bare far wall)."""
    cx, cz = (rect.min_x + rect.max_x) / 2, (rect.min_z + rect.max_z) / 2
    if entry:
        normal, _ = WALLS[entry[0]]
        x, z = entry[1][0] + normal[0] * 1.5, entry[1][1] + normal[1] * 1.5
    else:
        x, z = cx, rect.min_z + min(2.0, (rect.max_z - rect.min_z) / 4)
    yaw = math.atan2(cx - x, cz - z) if (x, z) != (cx, cz) else 0.0
    if sights:
        yaw = _facing_most(x, z, sights)
    return round(x, 3), round(z, 3), round(yaw, 4)


def _facing_most(x: float, z: float, sights: list[tuple[float, float]]) -> float:
    """The heading from (x, z) that has the most `sights` within SIGHT_HALF_ANGLE of it."""
    headings = [math.atan2(sx - x, sz - z) for sx, sz in sights]
    mx, mz = sum(s[0] for s in sights) / len(sights), sum(s[1] for s in sights) / len(sights)
    middle = math.atan2(mx - x, mz - z)

    def off(a: float, b: float) -> float:
        return abs((a - b + math.pi) % (2 * math.pi) - math.pi)

    def score(heading: float) -> tuple[int, float]:
        seen = sum(off(heading, h) <= SIGHT_HALF_ANGLE for h in headings)
        return seen, -off(heading, middle)

    # The best heading has a work at one edge of the view or looks at the middle.
    candidates = [middle] + [h + side * SIGHT_HALF_ANGLE for h in headings for side in (-1, 0, 1)]
    return max(candidates, key=score)
