"""A floor plan for a suggested exhibition: one room per theme, in visiting order.

Framework-free geometry. Rooms are squares sized from their number of objects and laid out
either along a corridor (a row, each room opening into the next) or on a grid walked in a
serpentine, so that consecutive rooms of the narrative path always share a wall. Passages join
consecutive rooms; walking time is the centre-to-centre distance (along the axes, as a visitor
walks through the door in the shared wall) at a walking speed plus a fixed cost per door.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

WALKING_SPEED_M_S = 1.2  # an unhurried museum pace
DOOR_SECONDS = 5.0  # slowing down, turning, going through a doorway
AREA_PER_OBJECT_M2 = 4.0  # wall or case space plus the circulation around it
AREA_PER_VISITOR_M2 = 4.0  # comfortable viewing density
MIN_SIDE_M = 6.0
STEP_M = 0.5  # sides are rounded up to half-metres


@dataclass(frozen=True)
class RoomPlan:
    index: int  # position on the narrative path
    x_m: float  # centre
    y_m: float
    width_m: float
    depth_m: float
    capacity: int  # visitors at once
    is_entrance: bool
    is_exit: bool


@dataclass(frozen=True)
class PassagePlan:
    from_index: int
    to_index: int
    walking_seconds: float


def room_side(objects: int) -> float:
    """Side of a square room for `objects` objects, at least MIN_SIDE_M, in half-metres."""
    side = math.sqrt(max(objects, 1) * AREA_PER_OBJECT_M2)
    return max(MIN_SIDE_M, math.ceil(side / STEP_M) * STEP_M)


def visitor_capacity(width_m: float, depth_m: float) -> int:
    return max(4, int(width_m * depth_m // AREA_PER_VISITOR_M2))


def layout(
    object_counts: Sequence[int],
    *,
    style: str = "grid",
    columns: int | None = None,
    origin: tuple[float, float] = (0.0, 0.0),
) -> list[RoomPlan]:
    """Rooms for themes holding `object_counts` objects, in path order. `corridor` puts them in
    one row; `grid` in rows of `columns` (default about the square root), every other row
    walked backwards, each cell as large as the largest room so walls line up."""
    if style not in ("grid", "corridor"):
        raise ValueError(f"unknown layout style {style!r}")
    sides = [room_side(count) for count in object_counts]
    n = len(sides)
    plans: list[RoomPlan] = []
    if style == "corridor" or n <= 2:
        x = origin[0]
        for index, side in enumerate(sides):
            x += side / 2
            plans.append(_plan(index, n, x, origin[1], side))
            x += side / 2
        return plans
    columns = columns or math.ceil(math.sqrt(n))
    cell = max(sides)
    for index, side in enumerate(sides):
        row, column = divmod(index, columns)
        if row % 2:  # serpentine: the next room is always next door
            column = columns - 1 - column
        x = origin[0] + column * cell + cell / 2
        y = origin[1] + row * cell + cell / 2
        plans.append(_plan(index, n, x, y, side))
    return plans


def _plan(index: int, n: int, x: float, y: float, side: float) -> RoomPlan:
    return RoomPlan(
        index=index,
        x_m=round(x, 2),
        y_m=round(y, 2),
        width_m=side,
        depth_m=side,
        capacity=visitor_capacity(side, side),
        is_entrance=index == 0,
        is_exit=index == n - 1,
    )


def walking_seconds(a: RoomPlan, b: RoomPlan) -> float:
    distance = abs(a.x_m - b.x_m) + abs(a.y_m - b.y_m)
    return round(distance / WALKING_SPEED_M_S + DOOR_SECONDS, 1)


def passages(plans: Sequence[RoomPlan]) -> list[PassagePlan]:
    """Two-way passages between consecutive rooms of the path."""
    return [
        PassagePlan(a.index, b.index, walking_seconds(a, b)) for a, b in itertools.pairwise(plans)
    ]


def floor_extent(plans: Sequence[RoomPlan]) -> tuple[float, float]:
    """Width and depth of the bounding box of the rooms (for a caller placing a new floor)."""
    if not plans:
        return 0.0, 0.0
    xs = [p.x_m - p.width_m / 2 for p in plans] + [p.x_m + p.width_m / 2 for p in plans]
    ys = [p.y_m - p.depth_m / 2 for p in plans] + [p.y_m + p.depth_m / 2 for p in plans]
    return max(xs) - min(xs), max(ys) - min(ys)
