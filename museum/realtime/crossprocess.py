"""Rooms that span ASGI processes (scaled profile): one message per room per tick per process.

Each process keeps its own connections' poses in its `Room`. With a link, every tick also publishes
this process's share of the room (its members' snapshot entries, its listener and active counts) as
one channel-layer message to the room's group; every other process caches the latest share of each
peer and merges them into the snapshots it sends to its own connections. Joins travel in the share
(its `joined` list, for the peers' next snapshot); leave frames cross at once. So a room on
several processes costs Redis processes × 10 messages a second, never a message per pose per peer
(docs/ARCHITECTURE.md, Real-time); a room alone on one process (nginx hashes rooms to processes)
publishes only its heartbeat, twice a second.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from museum.realtime.rooms import Member, Room

logger = logging.getLogger(__name__)

PROCESS_ID = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
# A peer that has not published for this long has gone (crashed or lost Redis): drop its share.
REMOTE_TTL_SECONDS = 2.0
# Even with nothing new, a process republishes its share this often so that peers keep it.
HEARTBEAT_SECONDS = 0.5


def group_for(room_key: str) -> str:
    """A channel-layer group name for a room key ('room:12' -> 'presence.room-12')."""
    return "presence." + "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in room_key)


# Group memberships live in Redis: a restarted Redis forgets them, so links renew theirs this often.
RESUBSCRIBE_SECONDS = 5.0


async def listen_forever(
    layer: Any,
    group: str,
    handle: Callable[[dict[str, Any]], None],
    on_channel: Callable[[str], None],
) -> None:
    """Receive `group`'s messages for good: after a channel-layer failure (Redis restarting) wait,
    take a new channel and join the group again; renew the membership every few seconds, so a
    Redis that came back empty without a receive failing is also noticed."""
    channel = ""
    renewed = 0.0
    while True:
        try:
            if not channel:
                channel = await layer.new_channel()
                on_channel(channel)
                renewed = 0.0
            if time.monotonic() - renewed > RESUBSCRIBE_SECONDS:
                await layer.group_add(group, channel)
                renewed = time.monotonic()
            try:
                message = await asyncio.wait_for(layer.receive(channel), RESUBSCRIBE_SECONDS)
            except TimeoutError:
                continue
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("channel layer lost for %s; subscribing again", group, exc_info=True)
            channel = ""
            await asyncio.sleep(0.5)
            continue
        try:
            handle(message)
        except Exception:  # one bad message must not end the subscription
            logger.exception("could not handle a message of %s", group)


class Subscription:
    """A group subscription kept alive by `listen_forever`, handing messages to `handle`."""

    def __init__(self, layer: Any, group: str, handle: Callable[[dict[str, Any]], None]) -> None:
        self.layer = layer
        self.group = group
        self.handle = handle
        self.channel = ""
        self.listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Subscribe; returns once the first channel exists (messages are received from then)."""
        subscribed = asyncio.Event()

        def on_channel(channel: str) -> None:
            self.channel = channel
            subscribed.set()

        self.listener = asyncio.get_running_loop().create_task(
            listen_forever(self.layer, self.group, self.handle, on_channel)
        )
        await subscribed.wait()

    async def stop(self) -> None:
        if self.listener is not None:
            self.listener.cancel()
        try:
            await self.layer.group_discard(self.group, self.channel)
        except Exception:  # Redis away: the membership expires with the group
            logger.warning("could not leave %s", self.group, exc_info=True)


class PeerShare:
    __slots__ = ("active", "listeners", "members", "received")

    def __init__(self, members: list[dict[str, Any]], listeners: int, active: int) -> None:
        self.members = members
        self.listeners = listeners
        self.active = active
        self.received = time.monotonic()


class RoomLink:
    """One process's subscription to a room's group, and what its peers last said."""

    def __init__(self, room: Room, layer: Any, *, origin: str = PROCESS_ID) -> None:
        self.room = room
        self.layer = layer
        self.origin = origin
        self.group = group_for(room.key)
        self.subscription = Subscription(layer, self.group, self._on_message)
        self.peers: dict[str, PeerShare] = {}
        self.last_published = 0.0
        self.outbox: set[asyncio.Task[None]] = set()
        # Exact cross-process cap (admission.py), when Redis is there to keep the count.
        self.admission: Any = None
        self.reported: tuple[int, float] = (-1, 0.0)
        # Admissions and reports of this room go one at a time: a report that read the local
        # count before a joiner admitted in Redis had joined here would overwrite the script's
        # count with one too few, and the room would take one visitor past its cap.
        self.admission_lock = asyncio.Lock()

    async def start(self) -> None:
        await self.subscription.start()

    async def stop(self) -> None:
        # Tell peers we are gone rather than letting our share time out.
        await self._send({"kind": "share", "members": [], "listeners": 0, "active": 0})
        await self.subscription.stop()

    # outgoing
    def publish_share(self, *, force: bool = False, joined: Sequence[dict[str, Any]] = ()) -> None:
        """This process's share of the room, if it changed or the heartbeat is due; `joined`:
        who joined here since the last share."""
        now = time.monotonic()
        # Alone in the group (nginx keeps a room on one process), only the heartbeat goes out:
        # a process that gets a member of the room hears of us within HEARTBEAT_SECONDS, and from
        # then on, with a peer, every change is published at once.
        if (not force or not self.peers) and now - self.last_published < HEARTBEAT_SECONDS:
            if force and self.admission is not None:
                self._report_active(sum(1 for m in self.room.local_members() if m.active), now)
            return
        self.last_published = now
        local = self.room.local_members()
        self._report_active(sum(1 for m in local if m.active), now)
        self._spawn(
            {
                "kind": "share",
                "members": [m.entry for m in local if m.active and m.entry and "p" in m.entry],
                "listeners": sum(1 for m in local if not m.active),
                "active": sum(1 for m in local if m.active),
                "joined": list(joined),
            }
        )

    def _report_active(self, active: int, now: float) -> None:
        """Keep this process's count fresh in Redis: on change, and at least every second."""
        if self.admission is None:
            return
        count, at = self.reported
        if active == count and now - at < 1.0:
            return
        self.reported = (active, now)
        task = asyncio.get_running_loop().create_task(self._report_now())
        self.outbox.add(task)
        task.add_done_callback(self.outbox.discard)

    async def _report_now(self) -> None:
        async with self.admission_lock:
            # Counted under the lock, when sent: no admitted joiner is on its way in.
            active = sum(1 for m in self.room.local_members() if m.active)
            await self.admission.report(self.room.key, active)

    async def join(self, member: Member) -> None:
        """Join `member` to the room, active when Redis admits it (or, without an admission
        service, when the merged count is under the cap); raises RoomFull like `Room.join`."""
        if self.admission is None:
            self.room.join(member)
            return
        async with self.admission_lock:  # no report between the admission and the local join
            admitted = await self.admission.admit(self.room.key, self.room.cap)
            if admitted:
                self.reported = (-1, 0.0)  # the script counted the joiner: report again soon
            self.room.join(member, admitted=admitted)

    def publish_frame(self, text: str, *, left: str | None = None) -> None:
        """A frame for every peer's connections at once (`left`: the member who left)."""
        self._spawn({"kind": "frame", "text": text, "left": left})

    def _spawn(self, body: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._send(body))
        self.outbox.add(task)
        task.add_done_callback(self.outbox.discard)

    async def _send(self, body: dict[str, Any]) -> None:
        try:
            await self.layer.group_send(
                self.group, {"type": "presence.share", "origin": self.origin, **body}
            )
        except Exception:  # Redis away: peers time our share out; we retry next tick
            logger.warning("could not publish room %s", self.room.key, exc_info=True)

    # incoming
    def _on_message(self, message: dict[str, Any]) -> None:
        origin = message.get("origin")
        if origin is None or origin == self.origin:
            return
        if message.get("kind") == "share":
            self.peers[origin] = PeerShare(
                message.get("members", []),
                int(message.get("listeners", 0)),
                int(message.get("active", 0)),
            )
            self.room.remote_joins.extend(message.get("joined", ()))
            self.room.changed = True
        elif message.get("kind") == "frame":
            left = message.get("left")
            share = self.peers.get(origin)
            if left and share is not None:
                # Gone now, not when the peer's next share arrives.
                share.members = [entry for entry in share.members if entry.get("id") != left]
                share.active = max(0, share.active - 1)
                self.room.changed = True
            self.room.broadcast(message["text"], local_only=True)

    # merged view
    def live_peers(self) -> list[PeerShare]:
        now = time.monotonic()
        for origin in [o for o, s in self.peers.items() if now - s.received > REMOTE_TTL_SECONDS]:
            del self.peers[origin]
            self.room.changed = True
        return list(self.peers.values())

    def remote_active(self) -> int:
        return sum(share.active for share in self.live_peers())
