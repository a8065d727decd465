"""Where the floor plan's passages pass through the walls, so a drawn route goes through doorways
instead of through walls. Framework-free; the doorway rule is the walkable gallery's
(museum/gallery/layout.py): a doorway centred on the overlap of two facing walls, else a door on
the wall of each room that looks towards the other.

Plan coordinates: x, y (the gallery's x, z), rooms as centre + width (x) × depth (y), metres.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from museum.gallery.layout import DOOR_WIDTH, Rect, door_point, doorway_geometry, facing_wall

Point = tuple[float, float]


@dataclass(frozen=True)
class RoomBox:
    x: float
    y: float
    width: float
    depth: float

    @property
    def rect(self) -> Rect:
        return Rect.around(self.x, self.y, self.width, self.depth)

    @property
    def centre(self) -> Point:
        return (self.x, self.y)


@dataclass(frozen=True)
class Door:
    """A door on one room's wall: where (x, y) and which wall (north/south: along x)."""

    at: Point
    wall: str


def passage_doors(a: RoomBox, b: RoomBox) -> tuple[Door, Door]:
    """The door on a's wall and the door on b's wall of the passage between a and b."""
    ra, rb = a.rect, b.rect
    geometry = doorway_geometry(ra, rb)
    if geometry is not None:
        (wall_a, wall_b), along_a = geometry["walls"], geometry["centre"]
        along_b = along_a
    else:
        wall_a, along_a = facing_wall(ra, rb)
        wall_b, along_b = facing_wall(rb, ra)
    at_a, at_b = door_point(ra, wall_a, along_a), door_point(rb, wall_b, along_b)
    return Door((at_a[0], at_a[1]), wall_a), Door((at_b[0], at_b[1]), wall_b)


def route_points(
    rooms: Mapping[str, RoomBox],
    path: Sequence[str],
    doors: Mapping[tuple[str, str], tuple[Door, Door]],
) -> list[Point]:
    """The route through `path` (room codes) as points: each room's centre, and between two
    rooms the door out of the one and the door into the next."""
    points: list[Point] = []
    for index, code in enumerate(path):
        if index:
            previous = path[index - 1]
            if (previous, code) in doors:
                out, into = doors[(previous, code)]
                points += [out.at, into.at]
            elif (code, previous) in doors:
                into, out = doors[(code, previous)]
                points += [out.at, into.at]
            # else: not neighbours on the plan, nothing better than a straight line
        points.append(rooms[code].centre)
    return points


__all__ = ["DOOR_WIDTH", "Door", "RoomBox", "passage_doors", "route_points"]
