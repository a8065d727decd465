"""Prepared frames written straight to uvicorn's websockets-sansio transport
(museum/realtime/wire.py), through a real uvicorn server in the test's loop and a real
`websockets` client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import uvicorn
from channels.sessions import SessionMiddlewareStack
from websockets.asyncio.client import connect

from museum.realtime.rooms import Member
from museum.realtime.wire import Outgoing, direct_writer
from tests.conftest import free_port

pytestmark = pytest.mark.asyncio

Handler = Callable[[Member], Awaitable[None]]


class Probe:
    """An ASGI app that accepts, builds a `Member` on the send it was given and runs `handler`."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.members: list[Member] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        member = Member(name="probe", role="visitor", asgi_send=send)
        self.members.append(member)
        await self.handler(member)
        while (await receive())["type"] != "websocket.disconnect":
            pass


async def serving(app: Any, *, deflate: bool = False) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(
        app, port=port, ws="websockets-sansio", ws_per_message_deflate=deflate,
        lifespan="off", log_level="warning",
    )  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        await task


async def sends(member: Member) -> None:
    snapshot = Outgoing(json.dumps({"type": "snapshot", "members": ["x" * 70_000]}))
    member.deliver("first")
    member.deliver(snapshot, droppable=True)  # over 65,535 bytes: the 8-byte length form
    member.deliver(Outgoing("é" * 200))  # 400 bytes of UTF-8: the 2-byte length form
    member.deliver("last")


async def received(url: str, count: int, **options: Any) -> list[str]:
    async with connect(url, max_size=2**20, proxy=None, **options) as ws:
        return [await asyncio.wait_for(ws.recv(), 5) for _ in range(count)]


async def test_frames_go_straight_to_the_transport_intact_and_in_order() -> None:
    probe = Probe(sends)
    async for url in serving(probe):
        frames = await received(url, 4, compression=None)
    assert probe.members[0].writer is not None
    assert frames[0] == "first" and frames[2] == "é" * 200 and frames[3] == "last"
    assert json.loads(frames[1])["members"] == ["x" * 70_000]


async def test_found_behind_channels_session_middleware() -> None:
    probe = Probe(sends)
    async for url in serving(SessionMiddlewareStack(probe)):
        frames = await received(url, 4, compression=None)
    assert probe.members[0].writer is not None
    assert frames[0] == "first" and frames[3] == "last"


async def test_with_compression_frames_go_through_asgi() -> None:
    """permessage-deflate compresses per connection: a shared frame would be wrong there."""
    probe = Probe(sends)
    async for url in serving(probe, deflate=True):
        frames = await received(url, 4, compression="deflate")
    assert probe.members[0].writer is None
    assert frames[0] == "first" and frames[3] == "last"


async def test_a_paused_transport_falls_back_to_asgi_and_skips_snapshots() -> None:
    """While the transport is paused the writer stands aside: the ASGI send waits for it, later
    snapshots are skipped and control frames queue, in order, as before."""
    seen: dict[str, Any] = {}

    async def paused(member: Member) -> None:
        assert member.writer is not None
        protocol = member.writer.protocol
        protocol.writable.clear()  # what uvicorn does when the transport pauses writing
        member.deliver("control 1")
        member.deliver("snapshot", droppable=True)
        member.deliver("control 2")
        seen["pending"] = member.pending is not None and not member.pending.done()
        seen["skipped"] = member.skipped
        protocol.writable.set()

    async for url in serving(Probe(paused)):
        frames = await received(url, 2, compression=None)
    assert seen == {"pending": True, "skipped": 1}
    assert frames == ["control 1", "control 2"]


async def test_other_servers_and_fakes_get_no_writer() -> None:
    async def fake_send(message: dict[str, Any]) -> None:
        pass

    assert direct_writer(fake_send) is None
    assert direct_writer(object()) is None
