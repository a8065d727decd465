"""Voice across ASGI processes (museum/realtime/voice.py, framework-free): two processes' views of
one tour joined by a bus that hands every published event to every process, as the tour's
channel-layer group does on the scaled profile (the P2P relay is not exercised by the scaled stage,
which runs SFU)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from museum.realtime import voice as voice_module
from museum.realtime.rooms import Member, Room
from museum.realtime.schema import FrameError
from museum.realtime.voice import TourVoice, VoiceConfig

pytestmark = pytest.mark.asyncio

OFFER = {"type": "offer", "sdp": "v=0\r\n"}
ANSWER = {"type": "answer", "sdp": "v=0\r\n"}


class LinkStub:
    """What a Room asks of its cross-process link; the bus carries the voice events."""

    def remote_active(self) -> int:
        return 0

    def live_peers(self) -> list:
        return []

    def publish_share(self, **_: Any) -> None:
        pass

    def publish_frame(self, *_: Any, **__: Any) -> None:
        pass


class Bus:
    def __init__(self) -> None:
        self.voices: list[TourVoice] = []

    async def publish(self, **event: Any) -> None:
        for voice in list(self.voices):  # every process, the sender's too
            voice.dispatch(dict(event))


def process(bus: Bus, name: str) -> TourVoice:
    room = Room("tour:TEST42", cap=10, tick_hz=10)
    room.link = LinkStub()  # type: ignore[assignment]
    config = VoiceConfig(mode="p2p", p2p_max_listeners=12, janus_url="", origin=name)
    voice = TourVoice(code="TEST42", room=room, config=config, publish=bus.publish)
    bus.voices.append(voice)
    return voice


def member(voice: TourVoice, role: str) -> tuple[Member, list[dict]]:
    frames: list[dict] = []

    async def send(message: dict) -> None:
        frames.append(json.loads(message["text"]))

    joined = Member(name=role, role=role, asgi_send=send)
    voice.room.join(joined, always_active=True)
    return joined, frames


def last(frames: list[dict], kind: str) -> dict:
    return [frame for frame in frames if frame["type"] == kind][-1]


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_speakers_and_signalling_cross_processes():
    bus = Bus()
    one, two = process(bus, "one"), process(bus, "two")
    await one.start()
    await two.start()
    guide, guide_frames = member(one, "guide")
    await one.joined(guide, floor=None)
    follower, follower_frames = member(two, "follower")
    await two.joined(follower, floor=None)
    await settle()
    assert last(follower_frames, "voice")["speakers"] == [guide.id]

    # listen -> the speaker on the other process is asked to offer; its offer comes back.
    await two.handle(follower, "listen", {})
    assert last(guide_frames, "voice_peer") == {"type": "voice_peer", "v": 1, "id": follower.id}
    await one.handle(guide, "rtc", {"to": follower.id, "sdp": OFFER})
    await settle()
    assert last(follower_frames, "rtc")["from"] == guide.id
    await two.handle(follower, "rtc", {"to": guide.id, "sdp": ANSWER})
    await settle()
    assert last(guide_frames, "rtc")["sdp"] == ANSWER
    with pytest.raises(FrameError) as refused:
        await two.handle(follower, "rtc", {"to": guide.id, "sdp": OFFER})
    assert refused.value.code == "forbidden"

    # A process that starts following the tour later asks the others for their guides.
    three = process(bus, "three")
    await three.start()
    await settle()
    assert three.speakers() == [guide.id]

    # The floor, published by the guide's process, makes the follower a speaker everywhere.
    await bus.publish(kind="floor", floor=follower.id, hands=None)
    assert one.speakers() == two.speakers() == [guide.id, follower.id]
    await two.handle(follower, "talk", {"on": True})
    assert follower.entry is not None and follower.entry["talking"] is True
    await bus.publish(kind="floor", floor=None, hands=None)
    assert follower.entry["talking"] is False  # off the floor, off the air

    # The guide leaves: the others hear it at once.
    one.room.leave(guide)
    await one.left(guide)
    await settle()
    assert last(follower_frames, "voice")["speakers"] == [] == three.speakers()
    two.room.leave(follower)  # stops the rooms' ticks


async def test_the_guides_of_a_process_that_died_stop_being_speakers(monkeypatch):
    monkeypatch.setattr(voice_module, "LOST_PROCESS_SECONDS", 0.05)
    bus = Bus()
    here = process(bus, "here")
    here.room.link.peers = {"alive": object()}  # type: ignore[union-attr]  # shares heard
    follower, frames = member(here, "follower")
    await here.start()
    await here.joined(follower, floor=None)
    await bus.publish(kind="voice_guides", origin="alive", ids=["g1"])
    await bus.publish(kind="voice_guides", origin="dead", ids=["g2"])  # then never heard again
    assert here.speakers() == ["g1", "g2"]
    for _ in range(40):
        await asyncio.sleep(0.02)
        if here.speakers() == ["g1"]:
            break
    assert last(frames, "voice")["speakers"] == ["g1"]
    here.room.leave(follower)
