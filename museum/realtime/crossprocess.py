"""Rooms that span ASGI processes (scaled profile): one message per room per tick per process.

Each process keeps its own connections' poses in its `Room`. With a link, every tick also publishes
this process's share of the room (its members' snapshot entries, its listener and active counts) as
one channel-layer message to the room's group; every other process caches the latest share of each
peer and merges them into the snapshots it sends to its own connections. Join and leave frames cross
the same way, at once. So Redis carries processes × rooms × 10 messages a second, never a message
per pose per peer (DESIGN.md, Real-time).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from museum.realtime.rooms import Room

logger = logging.getLogger(__name__)

PROCESS_ID = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
# A peer that has not published for this long has gone (crashed or lost Redis): drop its share.
REMOTE_TTL_SECONDS = 2.0
# Even with nothing new, a process republishes its share this often so that peers keep it.
HEARTBEAT_SECONDS = 0.5


def group_for(room_key: str) -> str:
    """A channel-layer group name for a room key ('room:12' -> 'presence.room-12')."""
    return "presence." + "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in room_key)


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
        self.channel = ""
        self.peers: dict[str, PeerShare] = {}
        self.listener: asyncio.Task[None] | None = None
        self.last_published = 0.0
        self.outbox: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, self.channel)
        self.listener = asyncio.get_running_loop().create_task(self._listen())

    async def stop(self) -> None:
        if self.listener is not None:
            self.listener.cancel()
        # Tell peers we are gone rather than letting our share time out.
        await self._send({"kind": "share", "members": [], "listeners": 0, "active": 0})
        await self.layer.group_discard(self.group, self.channel)

    # outgoing
    def publish_share(self, *, force: bool = False) -> None:
        """This process's share of the room, if it changed or the heartbeat is due."""
        now = time.monotonic()
        if not force and now - self.last_published < HEARTBEAT_SECONDS:
            return
        self.last_published = now
        local = self.room.local_members()
        self._spawn(
            {
                "kind": "share",
                "members": [m.entry for m in local if m.active and m.entry and "p" in m.entry],
                "listeners": sum(1 for m in local if not m.active),
                "active": sum(1 for m in local if m.active),
            }
        )

    def publish_frame(self, text: str, *, left: str | None = None) -> None:
        """A join or leave frame for every peer's connections (`left`: the member who left)."""
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
    async def _listen(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis restarting: back off and listen again
                logger.warning("room %s lost its channel layer", self.room.key, exc_info=True)
                await asyncio.sleep(0.5)
                continue
            origin = message.get("origin")
            if origin == self.origin:
                continue
            if message.get("kind") == "share":
                self.peers[origin] = PeerShare(
                    message.get("members", []),
                    int(message.get("listeners", 0)),
                    int(message.get("active", 0)),
                )
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
