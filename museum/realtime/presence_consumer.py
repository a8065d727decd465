"""Presence in a gallery room (`ws/rooms/<id>/`): who else is there, where, looking where; the
planner's crowd board counts the room's posing visitors, and each visit is recorded for the
analytics when its socket leaves."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.core.cache import cache

from museum.analytics.presence import RoomVisit, came_from
from museum.realtime.consumers import (
    CLOSE_NOT_FOUND,
    RealtimeConsumer,
    display_name,
    user_role,
)


class PresenceConsumer(RealtimeConsumer):
    """`ws/rooms/<room_id>/`: who else is in this gallery room, where, looking where.

    The planner's crowd board counts a socket only while it sends poses: from its first pose
    until it leaves or has sent none for REALTIME_CROWD_IDLE_SECONDS (clients resend an
    unchanged pose every few seconds), so idle sockets and listeners cannot steer routes."""

    # Educator-led visits: educators and curators point in the gallery's world coordinates.
    pointer_roles = frozenset({"educator", "curator"})
    pointer_space = "gallery"
    occupancy_key = ""
    counted = False
    last_pose = 0.0
    idle_timer: asyncio.TimerHandle | None = None
    visit: RoomVisit | None = None  # visit analytics: counted when the socket leaves

    async def connect(self) -> None:
        room_id = self.scope["url_route"]["kwargs"]["room_id"]
        user = self.scope.get("user")
        previous = came_from(self.scope)
        found, role, name, previous = await database_sync_to_async(_room_and_user)(
            room_id, user, previous
        )
        await self.accept()
        if not found:
            await self.close(CLOSE_NOT_FOUND)
            self.closed = True
            return
        room = await self.open_room(f"room:{room_id}", cap=settings.REALTIME_ROOM_CAP)
        if not await self.join_room(room, name=name or room.next_visitor_name(), role=role):
            return
        assert self.member is not None  # join_room() made it
        room.send_snapshot_to(self.member)
        self.occupancy_key = str(room_id)
        self.visit = RoomVisit.open(self.scope, room=room_id, came_from=previous)

    def take_pose(self, fields: dict[str, Any]) -> None:
        super().take_pose(fields)
        self.last_pose = time.monotonic()
        if not self.counted:
            self.counted = True
            planning_services().visitor_entered(room=self.occupancy_key)
            self._arm_idle_timer(settings.REALTIME_CROWD_IDLE_SECONDS)

    def _arm_idle_timer(self, delay: float) -> None:
        self.idle_timer = asyncio.get_running_loop().call_later(delay, self._check_idle)

    def _check_idle(self) -> None:
        """Stop counting a socket whose poses stopped; one timer per counted socket, re-armed
        for the time left rather than touched on every pose."""
        self.idle_timer = None
        if not self.counted:
            return
        idle = settings.REALTIME_CROWD_IDLE_SECONDS
        left = self.last_pose + idle - time.monotonic()
        if left > 0:
            self._arm_idle_timer(left)
            return
        self._uncount()

    def _uncount(self) -> None:
        if self.counted:
            self.counted = False
            planning_services().visitor_left(room=self.occupancy_key)

    def on_left(self) -> None:
        if self.idle_timer is not None:
            self.idle_timer.cancel()
            self.idle_timer = None
        self._uncount()
        if self.visit is not None:
            self.visit.close(posed=self.last_pose > 0)


def planning_services() -> Any:
    """The planner's services, which own its live crowd board (imported late: planning pulls
    in numpy and the encoder)."""
    from museum.planning import services

    return services


def _room_and_user(
    room_id: int, user: Any, previous: int | None = None
) -> tuple[bool, str, str | None, int | None]:
    """Whether the room exists, the user's role and name (an anonymous visitor's numbered across
    processes), and `previous` if it is another room that exists (the room the page walked from,
    for the analytics' paths)."""
    from museum.models import Room as RoomModel

    wanted = [room_id] if previous is None or previous == room_id else [room_id, previous]
    existing = set(RoomModel.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    previous = previous if previous in existing and previous != room_id else None
    found = room_id in existing
    name = display_name(user) or (visitor_name(room_id) if found else None)
    return found, user_role(user), name, previous


# A room's visitor numbers start again a day after its first (a counter kept forever would climb).
VISITOR_NUMBERS_SECONDS = 24 * 3600


def visitor_name(room_id: int) -> str:
    """An anonymous visitor's name in a gallery room, "Visitor N": N counts up per room in the
    default cache, which every process shares when scaled (Redis; one process otherwise), so two
    processes never both name someone "Visitor 1" (tours number theirs in the database:
    museum.tours.services.visitor_name)."""
    key = f"presence-visitor-numbers:{room_id}"
    cache.add(key, 0, timeout=VISITOR_NUMBERS_SECONDS)
    try:
        number = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=VISITOR_NUMBERS_SECONDS)
        number = 1
    return f"Visitor {number}"
