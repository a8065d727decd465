"""Presence and guided tours across two ASGI processes, and what happens when one of them dies or
Redis restarts. The clients here behave as static/js does: on a dropped socket they reconnect
and say hello again."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.conftest import LiveMuseum
from tests.integration.test_realtime_live import (
    POSE,
    login,
    next_frame,
    open_socket,
    room_ids,
    start_demo_tour,
)
from tests.scaled.conftest import Stack

pytestmark = [pytest.mark.scaled, pytest.mark.asyncio]

RESYNC_SECONDS = 5.0


class Visitor:
    """A websocket client that reconnects through the same URL when its socket drops."""

    def __init__(self, museum: LiveMuseum, path: str, name: str, **headers: str) -> None:
        self.museum, self.path, self.name, self.headers = museum, path, name, headers
        self.socket: ClientConnection | None = None
        self.id = ""
        self.reconnects = -1

    async def connect(self, timeout: float = RESYNC_SECONDS) -> dict:
        """(Re)connect, retrying while the proxy has no live upstream; returns the welcome."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.socket = await open_socket(self.museum, self.path, **self.headers)
                welcome = await next_frame(self.socket, "welcome")
                break
            except Exception as failed:  # refused, reset, 502 from nginx, no welcome yet
                if time.monotonic() > deadline:
                    raise AssertionError(f"{self.name} could not reconnect: {failed!r}") from failed
                await asyncio.sleep(0.2)
        self.id = welcome["id"]
        self.reconnects += 1
        await self.socket.send(json.dumps({"type": "hello", "name": self.name}))
        if welcome["mode"] == "active":
            await self.socket.send(json.dumps(POSE))
        return welcome

    async def frame(self, kind: str, predicate=None, timeout: float = RESYNC_SECONDS) -> dict:
        """The next matching frame, reconnecting (within the same deadline) if the socket drops."""
        deadline = time.monotonic() + timeout
        last: list[dict] = []

        def matches(frame: dict) -> bool:
            last[:] = [frame]
            return predicate is None or predicate(frame)

        while (left := deadline - time.monotonic()) > 0:
            try:
                return await next_frame(self.socket, kind, matches, timeout=left)
            except ConnectionClosed:
                await self.connect(timeout=max(left, 0.5))
            except TimeoutError:
                break
        raise AssertionError(
            f"{self.name} ({self.reconnects} reconnects): no matching {kind} within "
            f"{timeout:.0f} s; last was {last[0] if last else None}"
        )

    async def send(self, frame: dict) -> None:
        await self.socket.send(json.dumps(frame))

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()


def names_in(frame: dict) -> list[str]:
    return sorted(member["name"] for member in frame["members"])


@pytest.fixture(scope="module")
def room_path(stack: Stack) -> str:
    return f"/ws/rooms/{room_ids(stack.museum)[-1]}/"


async def test_visitors_on_different_processes_see_each_other(stack: Stack, room_path: str):
    ann = Visitor(stack.upstream("web1"), room_path, "Ann")
    bo = Visitor(stack.upstream("web2"), room_path, "Bo")
    await ann.connect()
    await bo.connect()
    try:
        await ann.send(POSE | {"p": [3.0, 1.6, -2.0], "t": 42.0})
        seen = await bo.frame(
            "snapshot", lambda f: any(m["id"] == ann.id and m["p"][0] == 3.0 for m in f["members"])
        )
        entry = next(m for m in seen["members"] if m["id"] == ann.id)
        assert entry["name"] == "Ann" and entry["t"] == 42.0
        await ann.frame("snapshot", lambda f: any(m["id"] == bo.id for m in f["members"]))
        await ann.close()
        # The leaver vanishes from the other process's snapshots.
        await bo.frame("snapshot", lambda f: all(m["id"] != ann.id for m in f["members"]))
    finally:
        await ann.close()
        await bo.close()


async def test_killed_asgi_process_clients_reconnect_to_the_other(stack: Stack, room_path: str):
    """nginx hashes a room's path to one process: when that process dies, all of the room's
    visitors reconnect to the other and see each other again, once each (no ghosts)."""
    visitors = [Visitor(stack.museum, room_path, f"V{i}") for i in range(4)]
    everyone = [v.name for v in visitors]
    killed_names: list[str] = []

    async def whole_again(after_ms: float = 0.0) -> None:
        """Everyone in a snapshot made after `after_ms` (wall ms): frames buffered before a kill
        do not count, so a dropped socket is noticed. Clients read at the same time, as browsers
        do."""

        def whole(frame: dict) -> bool:
            return frame["ts"] > after_ms and names_in(frame) == everyone

        await asyncio.gather(*(v.frame("snapshot", whole, timeout=10) for v in visitors))

    try:
        for visitor in visitors:
            await visitor.connect()
        await whole_again()
        for process in ("web1", "web2"):  # the room's process is the one whose death drops it
            stack.control("kill", process, "--signal", "KILL")
            killed_names.append(process)
            killed = time.monotonic()
            await whole_again(after_ms=time.time() * 1000 + 500)
            if any(v.reconnects for v in visitors):
                break
            stack.control("spawn", process)
            killed_names.remove(process)
        recovered = time.monotonic() - killed
        dropped = [v.name for v in visitors if v.reconnects]
        assert dropped == everyone, f"the room was not on one process: only {dropped} dropped"
        print(f"\nASGI kill ({killed_names[0]}): the room's {len(dropped)} visitors reconnected; "
              f"presence whole again in {recovered:.1f} s")  # fmt: skip
    finally:
        for visitor in visitors:
            await visitor.close()
        for process in killed_names:
            stack.control("spawn", process)


# Peer shares expire after museum.realtime.crossprocess.REMOTE_TTL_SECONDS (2 s): a snapshot this
# long after the restart can no longer be carried by what a process cached before it.
STALE_AFTER_SECONDS = 2.5


async def test_redis_restart_during_a_tour(stack: Stack):
    educator = login(stack.museum, "educator")
    code = start_demo_tour(educator, stack.museum)
    path = f"/ws/tours/{code}/"
    cookie = f"sessionid={educator.cookies['sessionid']}"
    guide = Visitor(stack.museum, path, "Guide", Cookie=cookie)
    followers = [Visitor(stack.museum, path, f"F{i}") for i in range(3)]
    try:
        assert (await guide.connect())["role"] == "guide"
        for follower in followers:
            await follower.connect()
        await guide.send({"type": "goto", "stop": 1})
        await asyncio.gather(*(f.frame("tour", lambda t: t["stop_index"] == 1) for f in followers))

        stack.control("spawn", "redis")  # stop Redis (its data is gone) and start it again
        restarted, restarted_ms = time.monotonic(), time.time() * 1000
        # Presence resyncs: every follower sees the whole tour group again, in a snapshot made
        # after anything cached before the restart has expired.
        group = sorted([guide.name, *(f.name for f in followers)])

        def whole(snapshot: dict) -> bool:
            fresh = snapshot["ts"] >= restarted_ms + STALE_AFTER_SECONDS * 1000
            return fresh and names_in(snapshot) == group

        await asyncio.gather(*(f.frame("snapshot", whole) for f in followers))
        # The guide moves on: every follower, on either process, lands on the new stop.
        await guide.send({"type": "goto", "stop": 2})
        await asyncio.gather(*(f.frame("tour", lambda t: t["stop_index"] == 2) for f in followers))
        resynced = time.monotonic() - restarted
        # A late joiner after the restart starts at the right stop (tour state is in the database).
        late = Visitor(stack.museum, path, "Late")
        await late.connect()
        assert (await late.frame("tour"))["stop_index"] == 2
        await late.close()
        print(f"\nRedis restart mid-tour: all followers at stop 2 {resynced:.1f} s after restart")
    finally:
        for client in (guide, *followers):
            await client.close()
        educator.close()
