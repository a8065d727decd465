"""Text frames taken straight from uvicorn's websockets-sansio protocol by the consumer
(museum/realtime/wire.install_direct_receiver, issue #24): through a real uvicorn server in the
test's loop and a real `websockets` client."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import connect

from museum.realtime.consumers import RealtimeConsumer
from museum.realtime.wire import install_direct_receiver
from tests.unit.test_realtime_wire import serving

pytestmark = pytest.mark.asyncio


class Recorder(RealtimeConsumer):
    """Joins a room and records every handled frame: its kind, its `t` or name, and whether it
    came the direct way (the receive loop still parked) or through the ASGI queue."""

    handled: list[tuple[str, Any, bool]] = []

    async def connect(self) -> None:
        await self.accept()
        room = await self.open_room(f"direct-test:{id(self)}", cap=5)
        await self.join_room(room, name="tester", role="visitor")

    async def handle(self, kind: str, fields: dict[str, Any]) -> None:
        direct = self.parked
        if kind == "hello":
            await asyncio.sleep(0.05)  # as a database call would: the frame waits mid-handling
        Recorder.handled.append((kind, fields.get("t", fields.get("name")), direct))
        await super().handle(kind, fields)


async def pongs(ws: Any, count: int) -> list[Any]:
    seen: list[Any] = []
    while len(seen) < count:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if frame["type"] == "pong":
            seen.append(frame["t"])
    return seen


async def test_frames_taken_directly_keep_their_order_with_queued_ones() -> None:
    """A frame that waits (hello) is overtaken by nothing: the pings behind it go through the
    queue and are handled after it; once it is done, a ping is taken directly again."""
    Recorder.handled = []
    async for url in serving(Recorder.as_asgi()):
        async with connect(url, proxy=None, compression=None) as ws:
            await ws.send('{"type":"ping","t":1}')
            assert await pongs(ws, 1) == [1]
            await ws.send('{"type":"hello","name":"Ada"}')
            await ws.send('{"type":"ping","t":2}')
            await ws.send('{"type":"ping","t":3}')
            assert await pongs(ws, 2) == [2, 3]
            await ws.send('{"type":"ping","t":4}')
            assert await pongs(ws, 1) == [4]
    assert [(kind, value) for kind, value, _ in Recorder.handled] == [
        ("ping", 1), ("hello", "Ada"), ("ping", 2), ("ping", 3), ("ping", 4)
    ]  # fmt: skip
    by_value = {value: direct for _, value, direct in Recorder.handled}
    assert by_value[1] and by_value["Ada"] and by_value[4]  # taken directly
    assert not by_value[2] and not by_value[3]  # queued behind the waiting hello


async def test_refusals_answer_the_same_when_taken_directly() -> None:
    async for url in serving(Recorder.as_asgi()):
        async with connect(url, proxy=None, compression=None) as ws:
            await ws.send('{"type":"teleport"}')
            await ws.send('{"type":"pose","p":[1,2],"q":[0,0,0,1]}')
            codes: list[str] = []
            while len(codes) < 2:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if frame["type"] == "error":
                    codes.append(frame["code"])
    assert codes == ["unknown_type", "bad_value"]


class PoseRecorder(Recorder):
    """Records each stored pose (with whether the loop was parked) and the snapshot entry."""

    entries: list[dict[str, Any]] = []

    def take_pose(self, fields: dict[str, Any]) -> None:
        Recorder.handled.append(("pose", fields.get("t"), self.parked))
        super().take_pose(fields)
        assert self.member is not None and self.member.entry is not None
        PoseRecorder.entries.append(dict(self.member.entry))


async def test_a_pose_taken_directly_is_stored_without_going_through_handle() -> None:
    """The pose path stores the checked pose at once (one record: through handle() it would be
    recorded twice, by handle and by take_pose), a bad pose is still refused, and what follows
    is handled in order."""
    Recorder.handled, PoseRecorder.entries = [], []
    async for url in serving(PoseRecorder.as_asgi()):
        async with connect(url, proxy=None, compression=None) as ws:
            await ws.send('{"type":"pose","p":[1,2,3.00049],"q":[0,0,0,1],"t":5}')
            await ws.send('{"type":"pose","p":[1,2],"q":[0,0,0,1],"t":6}')
            await ws.send('{"type":"ping","t":7}')
            frames = []
            while not any(frame["type"] == "pong" for frame in frames):
                frames.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
    errors = [frame["code"] for frame in frames if frame["type"] == "error"]
    assert errors == ["bad_value"]
    assert Recorder.handled == [("pose", 5, True), ("ping", 7, True)]
    assert PoseRecorder.entries[-1]["p"] == [1, 2, 3.0] and PoseRecorder.entries[-1]["t"] == 5


async def test_not_installed_when_a_middleware_reads_the_events_or_the_server_is_another() -> None:
    installed: list[bool] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return

        async def wrapped_receive() -> Any:
            return await receive()

        installed.append(install_direct_receiver(wrapped_receive, send, lambda text: True))
        installed.append(install_direct_receiver(receive, send, lambda text: False))
        await receive()
        await send({"type": "websocket.accept"})
        while (await receive())["type"] != "websocket.disconnect":
            pass

    async for url in serving(app):
        async with connect(url, proxy=None, compression=None) as ws:
            await ws.send("hello")
    assert installed == [False, True]

    async def fake(message: dict[str, Any]) -> None:
        pass

    assert install_direct_receiver(fake, fake, lambda text: True) is False
