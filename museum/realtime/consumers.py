"""Websocket consumers: presence in a gallery room (`ws/rooms/<id>/`); tours live in tour_consumer.

The consumers parse, authorise and hand over to `rooms.Room`. They run a plain receive loop instead
of Channels' default dispatcher: the default one creates a task per incoming frame and hops to a
thread to close stale database connections before every frame, which dominated the cost of the pose
path (measured in issue #4) although a pose never touches the database.
"""

from __future__ import annotations

import time
from typing import Any, cast

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings

from museum.realtime.admission import admission_for
from museum.realtime.crossprocess import PROCESS_ID, RoomLink
from museum.realtime.flow import TokenBucket, start_send
from museum.realtime.rooms import Member, Room, SendEvent, release_room, room_for
from museum.realtime.schema import (
    COMMON_MESSAGES,
    FrameError,
    MessageSpec,
    parse_frame,
    server_frame,
)

CLOSE_NOT_FOUND = 4004
CLOSE_TOO_MANY_ERRORS = 4008
STRIKE_WINDOW_SECONDS = 60.0


def user_role(user: Any) -> str:
    """The role others see: curator, educator or visitor (anonymous or no group)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "visitor"
    names = set(user.groups.values_list("name", flat=True))
    for role in ("curator", "educator"):
        if role in names:
            return role
    return "curator" if user.is_superuser else "visitor"


def display_name(user: Any) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return (user.get_full_name() or user.get_username())[:40]


class RealtimeConsumer(AsyncWebsocketConsumer):
    """Shared machinery: receive loop, frame validation, rate limit, strikes, roster membership."""

    messages: dict[str, MessageSpec] = COMMON_MESSAGES
    room: Room | None = None
    member: Member | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scope = scope
        self.base_send = send
        self.channel_layer = None  # type: ignore[assignment]  # rooms link processes instead
        self.bucket = TokenBucket(settings.REALTIME_RATE, settings.REALTIME_BURST)
        self.strikes: list[float] = []
        self.last_rate_error = 0.0
        self.closed = False
        self.left = False
        try:
            while True:
                message = await receive()
                kind = message["type"]
                if kind == "websocket.receive":
                    await self.receive(message.get("text"), message.get("bytes"))
                elif kind == "websocket.connect":
                    await self.websocket_connect(message)
                elif kind == "websocket.disconnect":
                    await self.websocket_disconnect(message)
        except StopConsumer:
            pass

    # connection lifecycle
    async def open_room(self, key: str, *, cap: int) -> Room:
        """This process's room for `key`, linked to the other processes' when there are some."""
        room = room_for(key, cap=cap, tick_hz=settings.REALTIME_TICK_HZ)
        if settings.REALTIME_CROSS_PROCESS and room.link is None:
            # Set before the subscription completes, so concurrent joiners share one link.
            room.link = RoomLink(room, get_channel_layer())
            if settings.REDIS_URL:
                room.link.admission = admission_for(settings.REDIS_URL, PROCESS_ID)
            await room.link.start()
        return room

    async def join_room(
        self, room: Room, *, name: str, role: str, always_active: bool = False
    ) -> None:
        self.room = room
        self.member = Member(
            name=name,
            role=role,
            asgi_send=cast(SendEvent, self.base_send),
            on_overflow=self.drop_slow_client,
        )
        admitted = None
        if not always_active and room.link is not None:
            admitted = await room.link.admit()
        room.join(self.member, always_active=always_active, admitted=admitted)
        self.member.deliver(
            server_frame(
                "welcome",
                id=self.member.id,
                mode=self.member.mode,
                role=role,
                name=name,
                room=room.key,
                cap=room.cap,
                tick_hz=settings.REALTIME_TICK_HZ,
                max_pose_hz=settings.REALTIME_MAX_POSE_HZ,
                max_frame_bytes=settings.REALTIME_MAX_FRAME_BYTES,
            )
        )

    async def disconnect(self, code: int) -> None:
        self.closed = True
        self.leave_room()

    def leave_room(self) -> None:
        """Leave the room exactly once, whichever way the connection ended."""
        if self.room is not None and self.member is not None and not self.left:
            self.left = True
            self.room.leave(self.member)
            release_room(self.room)
            self.on_left()

    def on_left(self) -> None:
        """Hook for subclasses: the member has just left the room."""

    def drop_slow_client(self) -> None:
        """The client stopped reading: close it without waiting for it, and free its place."""
        if self.closed:
            return
        self.closed = True
        send = cast(SendEvent, self.base_send)  # the ASGI server's send: a coroutine function
        start_send(send({"type": "websocket.close", "code": CLOSE_TOO_MANY_ERRORS}))
        self.leave_room()

    # input
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closed or self.member is None:
            return
        try:
            if not self.bucket.take():
                raise FrameError("rate_limited", "Too many messages; slow down.")
            kind, fields = parse_frame(
                text_data,
                bytes_data,
                max_bytes=settings.REALTIME_MAX_FRAME_BYTES,
                messages=self.messages,
            )
            await self.handle(kind, fields)
        except FrameError as error:
            await self.refuse(error)

    async def handle(self, kind: str, fields: dict[str, Any]) -> None:
        room, member = self.room, self.member
        assert room is not None and member is not None
        if kind == "pose":
            if not member.active:
                raise FrameError("listener", "The room is full: you are listening.", "pose")
            room.update_pose(member, fields["p"], fields["q"], fields.get("t"))
        elif kind == "hello":
            room.rename(member, fields["name"])
        elif kind == "ping":
            member.deliver(server_frame("pong", t=fields.get("t")))

    async def refuse(self, error: FrameError) -> None:
        """Answer a refused frame with an error frame; too many refusals close the socket."""
        now = time.monotonic()
        self.strikes = [at for at in self.strikes if now - at < STRIKE_WINDOW_SECONDS]
        self.strikes.append(now)
        if len(self.strikes) > settings.REALTIME_MAX_STRIKES:
            await self.close(CLOSE_TOO_MANY_ERRORS)
            await self.disconnect(CLOSE_TOO_MANY_ERRORS)
            return
        if error.code == "rate_limited":
            if now - self.last_rate_error < 1.0:
                return  # one rate-limit error per second is enough to tell a client
            self.last_rate_error = now
        assert self.member is not None
        self.member.deliver(error.text())


class PresenceConsumer(RealtimeConsumer):
    """`ws/rooms/<room_id>/`: who else is in this gallery room, where, looking where."""

    async def connect(self) -> None:
        room_id = self.scope["url_route"]["kwargs"]["room_id"]
        user = self.scope.get("user")
        found, role, name = await database_sync_to_async(_room_and_user)(room_id, user)
        await self.accept()
        if not found:
            await self.close(CLOSE_NOT_FOUND)
            self.closed = True
            return
        room = await self.open_room(f"room:{room_id}", cap=settings.REALTIME_ROOM_CAP)
        await self.join_room(room, name=name or room.next_visitor_name(), role=role)
        assert self.member is not None  # join_room() made it
        room.send_snapshot_to(self.member)
        self.occupancy_key = str(room_id)
        planning_services().visitor_entered(room=self.occupancy_key)

    def on_left(self) -> None:
        planning_services().visitor_left(room=self.occupancy_key)


def planning_services() -> Any:
    """The planner's services, which own its live crowd board (imported late: planning pulls
    in numpy and the encoder)."""
    from museum.planning import services

    return services


def _room_and_user(room_id: int, user: Any) -> tuple[bool, str, str | None]:
    from museum.models import Room as RoomModel

    return RoomModel.objects.filter(pk=room_id).exists(), user_role(user), display_name(user)
