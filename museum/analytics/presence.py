"""A presence socket's visit of one gallery room, counted when it ends.

The page that walks from room to room tells the new socket which room it came from (`?from=<id>`
on the socket's URL, static/js/lib/gallery-avatars.js): the link between two rooms of one visitor
exists only in that page and in this object, and only the room->room count is kept.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from museum.analytics import collect


def came_from(scope: Mapping[str, object]) -> int | None:
    """The `from` room id of a presence socket's query string, or None (absent or not an id)."""
    raw = scope.get("query_string") or b""
    assert isinstance(raw, bytes)
    if b"from=" not in raw:
        return None
    values = parse_qs(raw.decode("latin-1")).get("from") or []
    value = values[0] if values else ""
    return int(value) if value.isdigit() and len(value) <= 12 else None


@dataclass
class RoomVisit:
    room: int
    came_from: int | None  # already checked to be another existing room
    started: float = field(default_factory=time.monotonic)
    done: bool = False

    @classmethod
    def open(
        cls, scope: Mapping[str, object], *, room: int, came_from: int | None
    ) -> RoomVisit | None:
        """A visit to count later, or None when the visitor opted out (GPC, DNT) or analytics
        are off."""
        if not collect.enabled() or collect.opted_out(collect.scope_headers(scope)):
            return None
        return cls(room=room, came_from=came_from)

    def close(self, *, posed: bool) -> None:
        """Count the visit once, if the socket ever sent a pose (idle sockets are not visits)."""
        if self.done:
            return
        self.done = True
        if posed:
            collect.room_visit(
                room=self.room, seconds=time.monotonic() - self.started, came_from=self.came_from
            )
            collect.flush_soon()
