"""Live voice in a guided tour: who speaks, who listens, and the relay of WebRTC signalling.

One `TourVoice` per live tour per ASGI process, owned by the tour's hub (tour_consumer.TourHub),
which hands it the tour group's voice events. Speakers are the guides present (on any process:
each process publishes the list of its own guides, and a process that starts following a tour
asks the others for theirs) and the follower holding the floor (museum/tours/floor.py, stored
on the LiveTour and published as a `floor` event). Every member learns them from `voice` frames.

Relay rules (museum/realtime/PROTOCOL.md, Voice): `rtc` goes only to a member of the same tour and
only between a speaker and another member. A follower without the floor never offers: it may answer
a speaker and send it candidates, so it can never make anyone receive media. Members on another
process are reached through the tour group. P2P mode: `listen` asks each speaker to offer
(`voice_peer`). SFU mode: every member talks to Janus only (janus.py), `rtc` to "sfu".

Framework-free: the consumer passes the settings (VoiceConfig) and the publish function in.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from museum.realtime.janus import JanusError, connection_for
from museum.realtime.rooms import Member, Room
from museum.realtime.schema import FrameError, server_frame
from museum.realtime.sfu import TourRoom

logger = logging.getLogger(__name__)

SFU = "sfu"
VOICE_FRAMES = frozenset({"rtc", "listen", "talk", "caption"})
SIGNALS = frozenset({"rtc", "listen"})  # on the connection's own signalling bucket
VOICE_EVENTS = frozenset(
    {"voice_guides", "voice_sync", "floor", "rtc", "voice_peer", "published", "caption"}
)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # museum.tours.models.CODE_ALPHABET
LOST_PROCESS_SECONDS = 5.0
SPEAKERS_ONLY = "Only the guide, or the follower they gave the floor to, can do that."

Publish = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class VoiceConfig:
    mode: str  # "p2p", "sfu" or "off"
    p2p_max_listeners: int
    janus_url: str
    origin: str  # this process (crossprocess.PROCESS_ID)
    ice_servers: list[dict[str, Any]] = field(default_factory=list)


def janus_room(code: str) -> int:
    """A tour's VideoRoom number: its join code read in base 32 (codes are unique)."""
    number = 0
    for char in code.upper():
        number = number * 32 + (CODE_ALPHABET.index(char) if char in CODE_ALPHABET else 0)
    return number + 1


class TourVoice:
    """One process's view of a tour's voice: speakers, floor, and its members' signalling."""

    def __init__(self, *, code: str, room: Room, config: VoiceConfig, publish: Publish) -> None:
        self.code = code
        self.room = room
        self.config = config
        self.publish = publish
        self.floor: str | None = None
        self.guides: dict[str, str] = {}  # guide member id -> the process it is on
        self.off: dict[str, str] = {}  # local member id -> why voice is off for it
        self.listening: set[str] = set()  # local members who sent `listen` (SFU)
        self.unavailable: str | None = None  # SFU: why the media server cannot be used now
        self.sent: tuple[str, ...] | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.heard: dict[str, float] = {}  # another process -> when it last named its guides
        self.sfu: TourRoom | None = None
        if config.mode == SFU:
            link = connection_for(config.janus_url)
            self.sfu = TourRoom(link, janus_room(code), f"Tour {code}", on_live=self._live)

    # who speaks
    def speakers(self) -> list[str]:
        speakers = sorted(self.guides)
        if self.floor and self.floor not in self.guides:
            speakers.append(self.floor)
        return speakers

    def is_speaker(self, member_id: str) -> bool:
        return member_id in self.guides or member_id == self.floor

    def frame_for(self, member: Member) -> str:
        mode, reason = self.config.mode, self.off.get(member.id) or self.unavailable
        if mode == "off":
            reason = reason or "Voice is off on this server."
        if reason:
            mode = "off"
        fields: dict[str, Any] = {
            "mode": mode,
            "speakers": self.speakers(),
            "floor": self.floor,
            "ice_servers": self.config.ice_servers,
        }
        if mode == "off":
            fields["reason"] = reason
        return server_frame("voice", **fields)

    def announce(self, *, force: bool = False) -> None:
        """A `voice` frame to every local member when the speakers or the floor changed."""
        state = (*self.speakers(), f"floor:{self.floor}", f"off:{self.unavailable}")
        if state == self.sent and not force:
            return
        self.sent = state
        for member in list(self.room.members.values()):
            member.deliver(self.frame_for(member))
        if self.sfu is not None and self.unavailable is None:
            # Keep the subscriptions of those who listen current (a `listen` is then a no-op).
            for member_id in list(self.listening):
                if (listener := self.room.members.get(member_id)) is not None:
                    self._spawn(self._subscribe(listener))

    def _local_guides(self) -> list[str]:
        return [m.id for m in self.room.members.values() if m.role == "guide"]

    # lifecycle
    async def start(self) -> None:
        """This process starts following the tour: ask the others for their guides."""
        await self.publish(kind="voice_sync", origin=self.config.origin)
        if self.room.link is not None:
            self._spawn(self._forget_lost_processes())

    async def _forget_lost_processes(self) -> None:
        """A process that died cannot say its guides left: once its share of the room has been
        silent (crossprocess.REMOTE_TTL_SECONDS) for a while, they stop being speakers."""
        while True:
            await asyncio.sleep(LOST_PROCESS_SECONDS)
            if not self.room.members:
                return  # this process left the tour (its hub is gone)
            link = self.room.link
            peers = getattr(link, "peers", None) if link is not None else None
            if peers is None:
                return
            link.live_peers()  # type: ignore[union-attr]  # expires silent peers
            now = time.monotonic()
            lost = {
                origin
                for origin in set(self.guides.values()) - {self.config.origin}
                if origin not in peers and now - self.heard.get(origin, now) > LOST_PROCESS_SECONDS
            }
            if lost:
                self.guides = {g: o for g, o in self.guides.items() if o not in lost}
                self.announce()

    async def joined(self, member: Member, *, floor: str | None) -> None:
        """A member joined here: count it, then tell it (and, for a guide, everyone) the state."""
        self.floor = floor
        mode = self.config.mode
        if self.sfu is not None:
            await self._check_sfu()
        if member.role == "guide":
            self.guides[member.id] = self.config.origin
            await self._publish_guides()
        elif mode == "p2p":
            followers = [
                m for m in self.room.members.values() if m.role != "guide" and m.id not in self.off
            ]
            if len(followers) > self.config.p2p_max_listeners:
                self.off[member.id] = (
                    f"Live voice on this server is for at most {self.config.p2p_max_listeners} "
                    "listeners; follow the tour's text and audio clips."
                )
        member.deliver(self.frame_for(member))
        self.announce()

    async def left(self, member: Member) -> None:
        self.off.pop(member.id, None)
        self.listening.discard(member.id)
        if self.guides.pop(member.id, None) is not None:
            await self._publish_guides()
        if self.sfu is not None:
            await self.sfu.release(member.id)
        self.announce()

    def ended(self) -> None:
        """The tour ended: nobody speaks; the media room goes."""
        self.floor = None
        if self.sfu is not None:
            self._spawn(self.sfu.destroy())

    async def _publish_guides(self) -> None:
        await self.publish(kind="voice_guides", origin=self.config.origin, ids=self._local_guides())

    async def _check_sfu(self) -> None:
        assert self.sfu is not None
        try:
            await self.sfu.link.connect()
            self.unavailable = None
        except JanusError as error:
            self.unavailable = f"Live voice is unavailable: {error}"

    # events from the tour group (every process)
    def dispatch(self, event: dict[str, Any]) -> None:
        kind = event["kind"]
        if kind == "voice_guides":
            origin = event["origin"]
            self.guides = {g: o for g, o in self.guides.items() if o != origin}
            self.guides.update(dict.fromkeys(event["ids"], origin))
            self.heard[origin] = time.monotonic()
            self.announce()
        elif kind == "voice_sync":
            if event["origin"] != self.config.origin and self._local_guides():
                self._spawn(self._publish_guides())
        elif kind == "floor":
            self._set_floor(event["floor"])
        elif kind == "rtc":
            target = self.room.members.get(event["to"])
            if target is not None:
                target.deliver(server_frame("rtc", **event["frame"]))
        elif kind == "voice_peer":
            for speaker in event["to"]:
                if (member := self.room.members.get(speaker)) is not None:
                    member.deliver(server_frame("voice_peer", id=event["id"]))
        elif kind == "caption":
            self.room.broadcast(server_frame("caption", **event["caption"]))
        elif kind == "published" and self.sfu is not None:
            for member_id in list(self.listening):
                if member_id != event["id"] and member_id in self.room.members:
                    self._spawn(self._subscribe(self.room.members[member_id]))

    def _set_floor(self, floor: str | None) -> None:
        previous, self.floor = self.floor, floor
        if previous and previous != floor and not self.is_speaker(previous):
            holder = self.room.members.get(previous)
            if holder is not None:
                if holder.entry is not None and holder.entry.get("talking"):
                    self.room.set_fields(holder, talking=False)
                if self.sfu is not None:
                    self._spawn(self.sfu.unpublish(previous))
        self.announce()

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            logger.warning("voice task failed in tour %s: %s", self.code, error)

    # frames from a member
    def check_floor_target(self, member_id: str | None) -> None:
        """Before the guide's `floor` is written: the member must be a follower of this tour."""
        if member_id is None:
            return
        target = self.room.members.get(member_id)
        if target is None and self.room.link is None:
            raise FrameError("not_found", "No member of this tour has this id.", "floor")
        if (target is not None and target.role == "guide") or member_id in self.guides:
            raise FrameError("bad_value", "Guides always have the floor.", "floor")

    async def handle(self, member: Member, kind: str, fields: dict[str, Any]) -> None:
        if kind in ("talk", "caption") and not self.is_speaker(member.id):
            raise FrameError("forbidden", SPEAKERS_ONLY, kind)
        if kind == "talk":
            self.room.set_fields(member, talking=fields["on"])
            return
        if kind == "caption":  # text, so it goes to every process whatever the voice mode
            caption = {"id": member.id, "name": member.name} | fields
            await self.publish(kind="caption", caption=caption)
            return
        mode = self.config.mode
        if self.unavailable and self.sfu is not None:  # the media server may be back
            await self._check_sfu()
            if self.unavailable is None:
                self.announce()
        reason = self.off.get(member.id) or self.unavailable
        if mode == "off" or reason:
            raise FrameError("forbidden", reason or "Voice is off on this server.", kind)
        if kind == "listen":
            await self._listen(member)
        elif fields["to"] == SFU:
            if mode != SFU:
                raise FrameError("bad_value", "No media server here: send 'to' a member.", kind)
            await self._to_sfu(member, fields)
        else:
            if mode == SFU:
                raise FrameError("bad_value", "Voice goes through the media server.", kind)
            self._relay(member, fields)

    def _relay(self, member: Member, fields: dict[str, Any]) -> None:
        """P2P: relay an offer, answer or candidate to one member of the tour."""
        to = fields["to"]
        if ("sdp" in fields) == ("ice" in fields):
            raise FrameError("bad_value", "'rtc' carries exactly one of 'sdp' and 'ice'.", "rtc")
        if to == member.id:
            raise FrameError("bad_value", "You cannot send that to yourself.", "rtc")
        speaker = self.is_speaker(member.id)
        if not speaker and "sdp" in fields and fields["sdp"]["type"] == "offer":
            raise FrameError("forbidden", SPEAKERS_ONLY, "rtc")
        if not speaker and not self.is_speaker(to):
            raise FrameError("forbidden", "Listeners only answer a speaker.", "rtc")
        payload = {"from": member.id}
        payload.update({key: fields[key] for key in ("sdp", "ice") if key in fields})
        target = self.room.members.get(to)
        if target is not None:
            target.deliver(server_frame("rtc", **payload))
        elif self.room.link is not None:  # perhaps on another process
            self._spawn(self.publish(kind="rtc", to=to, frame=payload))
        else:
            raise FrameError("not_found", "No member of this tour has this id.", "rtc")

    async def _listen(self, member: Member) -> None:
        if self.sfu is not None:
            self.listening.add(member.id)
            await self._subscribe(member)
            return
        remote = []
        for speaker in self.speakers():
            if speaker == member.id:
                continue
            local = self.room.members.get(speaker)
            if local is not None:
                local.deliver(server_frame("voice_peer", id=member.id))
            else:
                remote.append(speaker)
        if remote:
            await self.publish(kind="voice_peer", to=remote, id=member.id)

    async def _to_sfu(self, member: Member, fields: dict[str, Any]) -> None:
        assert self.sfu is not None
        if ("sdp" in fields) == ("ice" in fields):
            raise FrameError("bad_value", "'rtc' carries exactly one of 'sdp' and 'ice'.", "rtc")
        try:
            if "ice" in fields:
                await self.sfu.trickle(member.id, fields["ice"])
            elif fields["sdp"]["type"] == "answer":
                await self.sfu.start(member.id, fields["sdp"]["sdp"])
            elif not self.is_speaker(member.id):
                raise FrameError("forbidden", SPEAKERS_ONLY, "rtc")
            else:
                answer = await self.sfu.publish(member.id, fields["sdp"]["sdp"])
                sdp = {"type": "answer", "sdp": answer}
                member.deliver(server_frame("rtc", sdp=sdp, **SFU_FROM))
        except JanusError as error:
            self._sfu_failed(member, error)

    def _live(self, member_id: str) -> None:
        """A speaker's connection to Janus is up: every process subscribes its listeners (the
        feed is listed a moment after Janus says so; subscribing is idempotent)."""

        async def later() -> None:
            await asyncio.sleep(0.3)
            await self.publish(kind="published", id=member_id)

        self._spawn(later())

    async def _subscribe(self, member: Member) -> None:
        assert self.sfu is not None
        try:
            offer = await self.sfu.subscribe(member.id, self.speakers())
        except JanusError as error:
            self._sfu_failed(member, error)
            return
        if offer is not None:
            member.deliver(server_frame("rtc", sdp={"type": "offer", "sdp": offer}, **SFU_FROM))

    def _sfu_failed(self, member: Member, error: JanusError) -> None:
        """A refused request is that member's error; a lost media server turns voice off for all
        (the tour goes on; the next join or listen tries the server again)."""
        assert self.sfu is not None
        logger.warning("media server in tour %s: %s", self.code, error)
        if self.sfu.link.connected:
            member.deliver(
                FrameError("bad_value", f"The media server refused that: {error}", "rtc").text()
            )
            return
        self.unavailable = "Live voice is unavailable: the media server is not reachable."
        self.announce()


SFU_FROM = {"from": SFU}
