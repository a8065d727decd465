"""The websocket consumers' shared machinery; presence in a gallery room (`ws/rooms/<id>/`) is
presence_consumer, tours are tour_consumer.

The consumers parse, authorise and hand over to `rooms.Room`. They run a plain receive loop instead
of Channels' default dispatcher: the default one creates a task per incoming frame and hops to a
thread to close stale database connections before every frame, which dominated the cost of the pose
path (measured in issue #4) although a pose never touches the database. Under uvicorn's
websockets-sansio protocol a text frame is taken straight from the protocol while the loop waits
on `receive()` (wire.install_direct_receiver, issue #24): a pose is then handled within the
server's `data_received`, without the ASGI queue and the wake-up through every middleware.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import Any, cast

from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings

from museum.common.buckets import TokenBucket
from museum.realtime.admission import admission_for
from museum.realtime.connections import address_gate, scope_address
from museum.realtime.crossprocess import PROCESS_ID, RoomLink
from museum.realtime.flow import run_now, start_send
from museum.realtime.rooms import Member, Room, RoomFull, SendEvent, release_room, room_for
from museum.realtime.schema import (
    COMMON_MESSAGES,
    FrameError,
    MessageSpec,
    parse_frame,
    server_frame,
)
from museum.realtime.wire import install_direct_receiver

logger = logging.getLogger(__name__)

CLOSE_NOT_FOUND = 4004
CLOSE_TOO_MANY_ERRORS = 4008
CLOSE_ROOM_FULL = 4013
CLOSE_TOO_MANY_CONNECTIONS = 4029
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
        # Read once per connection: a settings lookup per frame showed in the pose path's profile.
        self.max_frame_bytes = settings.REALTIME_MAX_FRAME_BYTES
        self.strikes: list[float] = []
        self.last_rate_error = 0.0
        self.closed = False
        self.left = False
        self.address: str | None = None  # counted against the per-address cap while set
        self.accepted = False
        # The direct receive path (wire.py): `parked` while this loop waits on receive(); a frame
        # taken directly that had to wait (a database call) is `inflight`, and finishes before
        # anything queued after it is handled.
        self.parked = False
        self.inflight: asyncio.Task[None] | None = None
        install_direct_receiver(receive, send, self.take_text)
        try:
            while True:
                self.parked = True
                message = await receive()
                self.parked = False
                if self.inflight is not None:
                    inflight, self.inflight = self.inflight, None
                    await asyncio.wait([inflight])
                kind = message["type"]
                if kind == "websocket.receive":
                    await self.receive(message.get("text"), message.get("bytes"))
                elif kind == "websocket.connect":
                    if await self.take_address():
                        await self.websocket_connect(message)
                elif kind == "websocket.disconnect":
                    await self.websocket_disconnect(message)
        except StopConsumer:
            pass
        finally:
            self.parked = False
            self.release_address()

    def take_text(self, text: str) -> bool:
        """A text frame straight from the server (wire.py): handled now, unless the loop is busy
        or an earlier direct frame is still in flight (False: it goes through the ASGI queue)."""
        if not self.parked or (self.inflight is not None and not self.inflight.done()):
            return False
        if self.closed or self.member is None:
            return True
        coroutine = self.take_frame(text, None)
        if coroutine is not None:
            self.inflight = run_now(coroutine, on_error=self.receive_failed)
        return True

    def take_frame(self, text: str | None, data: bytes | None) -> Coroutine[Any, Any, None] | None:
        """Check one frame of a joined member; what the two receive paths (the ASGI queue and
        the direct one) share. A pose (nine in ten frames) is stored here without a coroutine
        (None): the three that receive() -> handle() -> super().handle() created showed in the
        pose path's profile. Anything else, and any refusal, is returned as the coroutine that
        handles it (it may wait or send)."""
        member = self.member
        assert member is not None
        try:
            kind, fields = self.check_frame(text, data)
        except FrameError as error:
            return self.refuse(error)
        if kind == "pose" and member.active:
            self.take_pose(fields)
            return None
        return self.handle_checked(kind, fields)

    def receive_failed(self, error: BaseException) -> None:
        """A directly taken frame raised: as an error in the ASGI loop would, close the socket."""
        logger.error("websocket frame handling failed", exc_info=error)
        if not self.closed:
            self.closed = True
            send = cast(SendEvent, self.base_send)
            start_send(send({"type": "websocket.close", "code": 1011}))
            self.leave_room()

    # connections per address
    async def take_address(self) -> bool:
        """Count this connection against its address; past the cap, refuse it with 4029."""
        gate = address_gate()
        if settings.REALTIME_CROSS_PROCESS and settings.REDIS_URL and gate.admission is None:
            gate.admission = admission_for(settings.REDIS_URL, PROCESS_ID)
        num_proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES")
        address = scope_address(self.scope, num_proxies=num_proxies)
        cap = settings.REALTIME_MAX_CONNECTIONS_PER_ADDRESS
        if not await gate.take(address, cap):
            await self.refuse_connection(
                CLOSE_TOO_MANY_CONNECTIONS,
                f"Too many connections from your address (at most {cap}).",
            )
            return False
        self.address = address
        return True

    def release_address(self) -> None:
        if self.address is not None:
            address_gate().release(self.address)
            self.address = None

    async def refuse_connection(self, code: int, reason: str) -> None:
        """Accept only to close at once with `code` and a readable `reason` (a handshake
        refusal would reach the page as a bare 403)."""
        self.closed = True
        if not self.accepted:
            await self.accept()
        await self.close(code, reason=reason)

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        self.accepted = True
        await super().accept(subprotocol, headers)

    # connection lifecycle
    async def open_room(self, key: str, *, cap: int) -> Room:
        """This process's room for `key`, linked to the other processes' when there are some."""
        room = room_for(
            key,
            cap=cap,
            tick_hz=settings.REALTIME_TICK_HZ,
            listener_cap=settings.REALTIME_MAX_LISTENERS,
        )
        if settings.REALTIME_CROSS_PROCESS and room.link is None:
            # Set before the subscription completes, so concurrent joiners share one link.
            room.link = RoomLink(room, get_channel_layer())
            if settings.REDIS_URL:
                room.link.admission = admission_for(settings.REDIS_URL, PROCESS_ID)
            await room.link.start()
        return room

    async def join_room(
        self, room: Room, *, name: str, role: str, always_active: bool = False
    ) -> bool:
        """Join `room` and send the welcome; False when the room had no place (closed 4013)."""
        self.room = room
        self.member = Member(
            name=name,
            role=role,
            asgi_send=cast(SendEvent, self.base_send),
            on_overflow=self.drop_slow_client,
        )
        try:
            if not always_active and room.link is not None:
                await room.link.join(self.member)
            else:
                room.join(self.member, always_active=always_active)
        except RoomFull:
            self.room = self.member = None
            release_room(room)
            await self.refuse_connection(
                CLOSE_ROOM_FULL,
                f"This room is full ({room.cap} visitors and {room.listener_cap} listeners); "
                "try again later.",
            )
            return False
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
        return True

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
        coroutine = self.take_frame(text_data, bytes_data)
        if coroutine is not None:
            await coroutine

    def check_frame(self, text: str | None, data: bytes | None) -> tuple[str, dict[str, Any]]:
        """The rate limit and the schema: (type, cleaned fields), or FrameError."""
        if not self.bucket.take():
            raise FrameError("rate_limited", "Too many messages; slow down.")
        return parse_frame(text, data, max_bytes=self.max_frame_bytes, messages=self.messages)

    async def handle_checked(self, kind: str, fields: dict[str, Any]) -> None:
        try:
            await self.handle(kind, fields)
        except FrameError as error:
            await self.refuse(error)

    def take_pose(self, fields: dict[str, Any]) -> None:
        """Store an active member's checked pose for the next tick (a hook for subclasses)."""
        room, member = self.room, self.member
        assert room is not None and member is not None
        room.update_pose(member, fields["p"], fields["q"], fields.get("t"))

    async def handle(self, kind: str, fields: dict[str, Any]) -> None:
        room, member = self.room, self.member
        assert room is not None and member is not None
        if kind == "pose":
            if not member.active:
                raise FrameError("listener", "The room is full: you are listening.", "pose")
            self.take_pose(fields)
        elif kind == "hello":
            room.rename(member, fields["name"])
        elif kind == "ping":
            member.deliver(server_frame("pong", t=fields.get("t")))
        elif kind == "point":
            self.point(room, member, fields)

    # The shared pointer: who may point, and in which space, is each route's rule.
    pointer_roles: frozenset[str] = frozenset()
    pointer_space = ""

    def point(self, room: Room, member: Member, fields: dict[str, Any]) -> None:
        """Store the member's pointer (`ptr`), which the next tick's snapshot carries."""
        if member.role not in self.pointer_roles:
            raise FrameError("forbidden", "Only a guide, an educator or a curator points.", "point")
        if not member.active:
            raise FrameError("listener", "The room is full: you are listening.", "point")
        if fields["space"] != self.pointer_space:
            raise FrameError(
                "bad_value", f"'point.space' must be {self.pointer_space} here.", "point"
            )
        shown = fields["p"] is not None
        room.set_fields(member, ptr={"p": fields["p"], "space": fields["space"]} if shown else None)

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
