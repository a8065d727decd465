"""Rooms spanning processes: two `Room`s with the same key and different process ids, linked
through one in-memory channel layer, stand for two ASGI processes sharing Redis."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.layers import InMemoryChannelLayer

from museum.realtime import crossprocess
from museum.realtime.crossprocess import RoomLink, group_for
from museum.realtime.rooms import Member, Room

pytestmark = pytest.mark.asyncio


class Inbox:
    """An ASGI `send` that records the text frames a connection was sent."""

    def __init__(self) -> None:
        self.frames: list[dict] = []

    async def __call__(self, message: dict) -> None:
        self.frames.append(json.loads(message["text"]))

    def of(self, kind: str) -> list[dict]:
        return [frame for frame in self.frames if frame["type"] == kind]


async def linked_rooms(layer, cap: int = 24) -> tuple[Room, Room]:
    rooms = []
    for origin in ("process-a", "process-b"):
        room = Room("room:7", cap=cap, tick_hz=20)
        room.link = RoomLink(room, layer, origin=origin)
        await room.link.start()
        rooms.append(room)
    return rooms[0], rooms[1]


def member(room: Room, name: str) -> tuple[Member, Inbox]:
    inbox = Inbox()
    joined = Member(name=name, role="visitor", asgi_send=inbox)
    room.join(joined)
    return joined, inbox


async def test_members_on_two_processes_see_each_other_and_leave_at_once():
    layer = InMemoryChannelLayer()
    room_a, room_b = await linked_rooms(layer)
    ann, ann_inbox = member(room_a, "Ann")
    bo, bo_inbox = member(room_b, "Bo")
    room_a.update_pose(ann, [1.0, 1.6, 2.0], [0, 0, 0, 1], 5.0)
    room_b.update_pose(bo, [3.0, 1.6, 4.0], [0, 0, 0, 1], 6.0)
    await asyncio.sleep(0.3)

    def ids(inbox: Inbox) -> set[str]:
        return {entry["id"] for entry in inbox.of("snapshot")[-1]["members"]}

    assert ids(bo_inbox) == {ann.id, bo.id}
    assert ids(ann_inbox) == {ann.id, bo.id}
    # Joins reach the other process in its next snapshot, not as a frame per join per member.
    assert not ann_inbox.of("join")
    assert any(
        entry["id"] == bo.id and entry["name"] == "Bo"
        for frame in ann_inbox.of("snapshot")
        for entry in frame.get("joined", [])
    )

    room_a.leave(ann)
    await asyncio.sleep(0.01)
    assert bo_inbox.of("leave")[-1]["id"] == ann.id
    await asyncio.sleep(0.2)
    assert ids(bo_inbox) == {bo.id}
    for room in (room_a, room_b):
        room.ticker and room.ticker.cancel()
        await room.link.stop()


async def test_the_cap_counts_members_on_every_process():
    layer = InMemoryChannelLayer()
    room_a, room_b = await linked_rooms(layer, cap=2)
    member(room_a, "Ann")
    member(room_a, "Al")
    await asyncio.sleep(0.3)  # a tick publishes process A's share
    late, _ = member(room_b, "Bo")
    assert late.active is False  # listens: two are active on the other process
    for room in (room_a, room_b):
        room.ticker and room.ticker.cancel()
        await room.link.stop()


async def test_a_silent_process_drops_out_of_the_snapshot(monkeypatch):
    monkeypatch.setattr(crossprocess, "REMOTE_TTL_SECONDS", 0.3)
    layer = InMemoryChannelLayer()
    room_a, room_b = await linked_rooms(layer)
    ann, _ = member(room_a, "Ann")
    bo, bo_inbox = member(room_b, "Bo")
    room_a.update_pose(ann, [1.0, 1.6, 2.0], [0, 0, 0, 1], None)
    room_b.update_pose(bo, [1.0, 1.6, 2.0], [0, 0, 0, 1], None)
    await asyncio.sleep(0.3)
    assert len(bo_inbox.of("snapshot")[-1]["members"]) == 2
    # Process A dies without a word (kill -9): its ticker and listener stop.
    room_a.ticker.cancel()
    room_a.link.subscription.listener.cancel()
    await asyncio.sleep(0.8)
    assert [e["id"] for e in bo_inbox.of("snapshot")[-1]["members"]] == [bo.id]
    room_b.ticker.cancel()
    await room_b.link.stop()


async def test_group_names_are_valid_for_channels():
    assert group_for("room:12") == "presence.room-12"
    assert group_for("tour:K7P2QX") == "presence.tour-K7P2QX"


async def test_a_room_alone_publishes_only_its_heartbeat_until_a_peer_appears():
    """nginx keeps a room on one process: moving alone there costs Redis one share per
    heartbeat, not one per tick; once a peer shares the room, every changed tick goes out."""
    layer = InMemoryChannelLayer()
    sent: list[str] = []
    group_send = layer.group_send

    async def counting(group: str, message: dict) -> None:
        sent.append(message["origin"])
        await group_send(group, message)

    layer.group_send = counting  # type: ignore[method-assign]
    room_a = Room("room:8", cap=24, tick_hz=20)
    room_a.link = RoomLink(room_a, layer, origin="process-a")
    await room_a.link.start()
    ann, _ = member(room_a, "Ann")
    for step in range(10):  # 0.5 s of ticks at 20 Hz, a new pose each
        room_a.update_pose(ann, [float(step), 1.6, 0.0], [0, 0, 0, 1], float(step))
        room_a.tick()
        await asyncio.sleep(0.05)
    alone = sent.count("process-a")
    assert 1 <= alone <= 2, sent

    room_b = Room("room:8", cap=24, tick_hz=20)
    room_b.link = RoomLink(room_b, layer, origin="process-b")
    await room_b.link.start()
    member(room_b, "Bo")
    room_b.tick()  # b's first share: a now has a peer
    await asyncio.sleep(0.01)
    sent.clear()
    for step in range(5):
        room_a.update_pose(ann, [float(step), 1.6, 1.0], [0, 0, 0, 1], 10.0 + step)
        room_a.tick()
        await asyncio.sleep(0.01)
    assert sent.count("process-a") == 5, sent
    for room in (room_a, room_b):
        room.ticker and room.ticker.cancel()
        await room.link.stop()


class SlowAdmission:
    """The admission scripts' semantics (admission.py) over a dict, each call a slow round trip,
    so a report can be in flight while a joiner is being admitted, as it can with Redis."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    async def admit(self, room_key: str, cap: int) -> bool:
        await asyncio.sleep(0.005)
        if sum(self.counts.values()) >= cap:
            return False
        self.counts["here"] = self.counts.get("here", 0) + 1
        await asyncio.sleep(0.005)  # the answer's way back
        return True

    async def report(self, room_key: str, active: int) -> None:
        await asyncio.sleep(0.002)
        self.counts["here"] = active


async def test_reports_racing_admissions_never_let_the_room_past_its_cap():
    room = Room("room:9", cap=24, tick_hz=20)
    room.link = RoomLink(room, InMemoryChannelLayer(), origin="process-a")
    room.link.admission = SlowAdmission()
    await room.link.start()
    joiners = [Member(name=f"V{i}", role="visitor", asgi_send=Inbox()) for i in range(30)]

    async def report_often() -> None:
        for _ in range(100):
            room.link.reported = (-1, 0.0)  # every tick reports, as when counts change
            room.link.publish_share(force=True)
            await asyncio.sleep(0.001)

    async def arrive(joiner: Member, after: float) -> None:
        await asyncio.sleep(after)
        await room.link.join(joiner)

    await asyncio.gather(
        report_often(), *(arrive(joiner, 0.002 * i) for i, joiner in enumerate(joiners))
    )
    await asyncio.gather(*room.link.outbox)
    assert sum(joiner.active for joiner in joiners) == 24
    assert room.link.admission.counts["here"] == 24
    room.ticker and room.ticker.cancel()
    await room.link.stop()
