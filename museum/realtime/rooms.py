"""In-process rosters: one `Room` per presence room or live tour, each with its own tick.

Poses never cross the channel layer: a pose frame updates the sender's entry here, and the room's
tick serialises one snapshot of the whole roster and writes that same frame, encoded once
(wire.py), to every connection in the room (docs/ARCHITECTURE.md, Real-time). A join costs O(1):
the joiner gets the last tick's snapshot, and the others learn of it from the next tick's snapshot
(its `joined` list), so a storm of joins is one snapshot per tick rather than a frame per join per
member. Leaves are sent at once.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from museum.realtime.flow import start_send
from museum.realtime.schema import server_frame
from museum.realtime.wire import Outgoing, direct_writer

if TYPE_CHECKING:
    from museum.realtime.crossprocess import RoomLink

logger = logging.getLogger(__name__)

# A coroutine function: start_send() drives the coroutine it returns by hand.
SendEvent = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]

# A client that cannot take control frames this far behind is dropped rather than buffered forever.
MAX_BACKLOG = 256
# With nothing moving, a room still sends a snapshot this often, so clients can tell it is alive.
IDLE_SNAPSHOT_SECONDS = 1.0

_ids = itertools.count(1)


class RoomFull(Exception):
    """No active place and no listener place left in the room."""


class Member:
    """One connection in a room: who it is, its last pose, and its outgoing flow control."""

    __slots__ = (
        "active",
        "asgi_send",
        "backlog",
        "entry",
        "id",
        "name",
        "on_overflow",
        "pending",
        "role",
        "skipped",
        "writer",
    )

    def __init__(
        self,
        *,
        name: str,
        role: str,
        asgi_send: SendEvent,
        on_overflow: Callable[[], None] | None = None,
    ) -> None:
        self.id = format(next(_ids), "x") + format(int(time.time() * 1000) % 0xFFFF, "x")
        self.name = name
        self.role = role
        self.active = True
        self.asgi_send = asgi_send
        self.on_overflow = on_overflow
        self.pending: asyncio.Task[None] | None = None
        self.backlog: deque[Outgoing] = deque()
        self.skipped = 0
        # Writes prepared frames to the transport when the server allows it (wire.py).
        self.writer = direct_writer(asgi_send)
        # What the snapshot says about this member; None until its first pose.
        self.entry: dict[str, Any] | None = None

    @property
    def mode(self) -> str:
        return "active" if self.active else "listener"

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "role": self.role, "mode": self.mode}

    def deliver(self, text: str | Outgoing, *, droppable: bool = False) -> None:
        """Queue `text` to this client without ever waiting on it.

        Droppable frames (snapshots) are skipped while an earlier send is still draining; control
        frames wait in a bounded backlog and keep their order. A room passes one `Outgoing` to
        every member so that the frame is encoded once.
        """
        frame = text if isinstance(text, Outgoing) else Outgoing(text)
        if self.pending is not None and not self.pending.done():
            if droppable:
                self.skipped += 1
                return
            if len(self.backlog) >= MAX_BACKLOG:
                self.backlog.clear()
                if self.on_overflow is not None:
                    self.on_overflow()
                return
            self.backlog.append(frame)
            return
        self._send_now(frame)

    def _send_now(self, frame: Outgoing) -> None:
        if self.writer is not None and self.writer.write(frame):
            return
        task = start_send(self.asgi_send({"type": "websocket.send", "text": frame.text}))
        self.pending = task
        if task is not None:
            task.add_done_callback(self._drained)

    def _drained(self, _task: asyncio.Task[None]) -> None:
        self.pending = None
        while self.backlog and (self.pending is None or self.pending.done()):
            self._send_now(self.backlog.popleft())


class Room:
    """A roster with a cap, broadcasting one batched snapshot per tick while anyone is in it."""

    def __init__(
        self, key: str, *, cap: int, tick_hz: float, listener_cap: int | None = None
    ) -> None:
        self.key = key
        self.cap = cap
        self.listener_cap = listener_cap  # None: listeners unlimited
        self.tick_seconds = 1.0 / tick_hz
        self.members: dict[str, Member] = {}
        self.seq = 0
        self.changed = False  # anything to tell our connections (local or from other processes)
        self.local_changed = False  # anything to tell other processes
        self.last_snapshot = 0.0
        self.last_text: str | None = None  # the last tick's snapshot, what joiners get at once
        # Joined since the last snapshot: here (also told to other processes) and elsewhere.
        self.local_joins: list[dict[str, Any]] = []
        self.remote_joins: list[dict[str, Any]] = []
        self.ticker: asyncio.Task[None] | None = None
        # Set in the scaled profile: the room's members on other ASGI processes (crossprocess.py).
        self.link: RoomLink | None = None
        self._visitor_numbers = itertools.count(1)

    # roster
    @property
    def active_count(self) -> int:
        local = sum(1 for member in self.members.values() if member.active)
        return local + (self.link.remote_active() if self.link is not None else 0)

    @property
    def listener_count(self) -> int:
        local = sum(1 for member in self.members.values() if not member.active)
        if self.link is None:
            return local
        return local + sum(share.listeners for share in self.link.live_peers())

    def local_members(self) -> list[Member]:
        return list(self.members.values())

    def _touch(self) -> None:
        self.changed = True
        self.local_changed = True

    def next_visitor_name(self) -> str:
        return f"Visitor {next(self._visitor_numbers)}"

    def join(
        self, member: Member, *, always_active: bool = False, admitted: bool | None = None
    ) -> None:
        """Add `member`, as a listener when the room is at its cap; the next snapshot announces
        it. Raises RoomFull when it would be a listener past `listener_cap`.

        `admitted` is the cross-process admission's answer when there is one (crossprocess.py).
        """
        if always_active:
            member.active = True
        elif admitted is not None:
            member.active = admitted
        else:
            member.active = self.active_count < self.cap
        if (
            not member.active
            and self.listener_cap is not None
            and self.listener_count >= self.listener_cap
        ):
            raise RoomFull(self.key)
        self.members[member.id] = member
        self.local_joins.append(member.public())
        self._touch()
        if self.ticker is None or self.ticker.done():
            self.ticker = asyncio.get_running_loop().create_task(self._tick_forever())

    def leave(self, member: Member) -> None:
        """Remove `member` and tell the others now rather than at the next tick."""
        if self.members.pop(member.id, None) is None:
            return
        self.local_joins = [entry for entry in self.local_joins if entry["id"] != member.id]
        text = server_frame("leave", id=member.id)
        self.broadcast(text, local_only=True)
        if self.link is not None:
            self.link.publish_frame(text, left=member.id)
        self._touch()
        if not self.members and self.ticker is not None:
            self.ticker.cancel()
            self.ticker = None

    def rename(self, member: Member, name: str) -> None:
        member.name = name
        if member.entry is not None:
            member.entry["name"] = name
        self._touch()

    def update_pose(self, member: Member, p: list[float], q: list[float], t: float | None) -> None:
        entry = member.entry
        if entry is None:
            entry = member.entry = {"id": member.id, "name": member.name, "role": member.role}
        entry["p"] = p
        entry["q"] = q
        if t is not None:
            entry["t"] = t
        self._touch()

    def set_fields(self, member: Member, **fields: Any) -> None:
        """Extra per-member snapshot fields (a tour follower's stop and mode)."""
        if member.entry is None:
            member.entry = {"id": member.id, "name": member.name, "role": member.role}
        member.entry.update(fields)
        self._touch()

    # output
    def broadcast(
        self, text: str, *, exclude: Member | None = None, local_only: bool = False
    ) -> None:
        """A control frame to every connection in the room, on this process and (linked) others."""
        frame = Outgoing(text)
        for member in list(self.members.values()):
            if member is not exclude:
                member.deliver(frame)
        if self.link is not None and not local_only:
            self.link.publish_frame(text)

    def snapshot_frame(self) -> str:
        members = []
        listeners = 0
        for member in self.members.values():
            if not member.active:
                listeners += 1
            elif member.entry is not None and "p" in member.entry:
                members.append(member.entry)
        if self.link is not None:
            for share in self.link.live_peers():
                members.extend(share.members)
                listeners += share.listeners
        body: dict[str, Any] = {
            "type": "snapshot",
            "v": 1,
            "seq": self.seq,
            "ts": round(time.time() * 1000, 1),
            "members": members,
            "listeners": listeners,
        }
        if self.local_joins or self.remote_joins:
            body["joined"] = self.local_joins + self.remote_joins
        return json.dumps(body, separators=(",", ":"))

    def send_snapshot_to(self, member: Member) -> None:
        """The room as of the last tick (at most one tick old): a join never serialises the
        roster, and the next tick brings the joiner up to date."""
        member.deliver(self.last_text or self.snapshot_frame())

    def tick(self) -> None:
        """Send one snapshot to everyone if anything changed (or the room was quiet a while)."""
        now = time.monotonic()
        if self.link is not None:
            self.link.publish_share(force=self.local_changed, joined=self.local_joins)
            self.local_changed = False
            self.link.live_peers()  # expires silent peers, which marks the room changed
        if not self.changed and now - self.last_snapshot < IDLE_SNAPSHOT_SECONDS:
            return
        self.seq += 1
        self.changed = False
        self.last_snapshot = now
        text = self.snapshot_frame()
        self.local_joins = []
        self.remote_joins = []
        self.last_text = text
        frame = Outgoing(text)
        for member in list(self.members.values()):
            member.deliver(frame, droppable=True)

    async def _tick_forever(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            next_at += self.tick_seconds
            delay = next_at - loop.time()
            if delay < 0:  # fell behind: skip missed ticks rather than bursting to catch up
                next_at = loop.time()
                delay = 0
            await asyncio.sleep(delay)
            try:
                self.tick()
            except Exception:  # a tick must never kill the room
                logger.exception("tick failed in room %s", self.key)


_rooms: dict[str, Room] = {}


def room_for(key: str, *, cap: int, tick_hz: float, listener_cap: int | None = None) -> Room:
    """The process's room for `key`, created on first use."""
    room = _rooms.get(key)
    if room is None:
        room = _rooms[key] = Room(key, cap=cap, tick_hz=tick_hz, listener_cap=listener_cap)
    return room


def release_room(room: Room) -> None:
    """Forget `room` once nobody is in it (and leave its cross-process group)."""
    if not room.members and _rooms.get(room.key) is room:
        del _rooms[room.key]
        if room.link is not None:
            link, room.link = room.link, None
            task = asyncio.get_running_loop().create_task(link.stop())
            _stopping.add(task)
            task.add_done_callback(_stopping.discard)


_stopping: set[asyncio.Task[None]] = set()


def rooms_in_process() -> dict[str, Room]:
    return _rooms
