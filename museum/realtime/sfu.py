"""One live tour's VideoRoom on the Janus media server (SFU mode of tour voice), audio only (opus).

Each tour member that speaks or listens gets a Janus session with at most two handles: a publisher
(a speaker's offer goes to `publish`, Janus's answer comes back) and a subscriber (built afresh for
the current speakers' feeds whenever they change: Janus offers, the member answers with `start`).
The room is created on demand and destroyed when the tour ends; a member's handles are detached and
its session destroyed when it leaves. Janus runs half-trickle (its candidates are in its SDP); a
client's candidates go to the handle whose SDP carried their ufrag. The VideoRoom API:
meetecho/janus-gateway, src/plugins/janus_videoroom.c (its documentation comment).

Framework-free: voice.py turns failures (JanusError) into error frames or voice "off".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from museum.realtime.janus import JanusConnection, JanusError

logger = logging.getLogger(__name__)

ROOM_EXISTS = 427  # JANUS_VIDEOROOM_ERROR_ROOM_EXISTS
UFRAG = re.compile(r"^a=ice-ufrag:(\S+)", re.MULTILINE)


def ufrag_of(sdp: str) -> str | None:
    found = UFRAG.search(sdp)
    return found.group(1) if found else None


class Peer:
    """One tour member's Janus session and handles."""

    def __init__(self) -> None:
        self.session: int | None = None
        self.generation = -1
        self.publisher: int | None = None
        self.subscriber: int | None = None
        self.feeds: frozenset[int] = frozenset()
        self.ufrags: dict[str, int] = {}  # the client's ICE ufrag -> the handle it talks to
        self.lock = asyncio.Lock()


class TourRoom:
    """One live tour's VideoRoom and its members' handles on this process."""

    def __init__(
        self,
        link: JanusConnection,
        room: int,
        description: str,
        on_live: Callable[[str], None] = lambda member_id: None,
    ) -> None:
        self.link = link
        self.room = room
        self.description = description
        self.on_live = on_live  # a speaker's media reaches Janus: listeners can subscribe now
        self.created_in = -1  # the connection generation the room is known to exist in
        self.peers: dict[str, Peer] = {}

    def peer(self, member_id: str) -> Peer:
        return self.peers.setdefault(member_id, Peer())

    async def _session(self, peer: Peer) -> int:
        await self.link.connect()
        if peer.session is None or peer.generation != self.link.generation:
            peer.publisher = peer.subscriber = None
            peer.feeds = frozenset()
            peer.ufrags.clear()
            peer.session = await self.link.create_session()
            peer.generation = self.link.generation
        return peer.session

    async def ensure_room(self, session: int, handle: int) -> None:
        if self.created_in == self.link.generation:
            return
        body = {
            "request": "create",
            "room": self.room,
            "description": self.description,
            "is_private": True,
            "permanent": False,
            "publishers": 16,  # the guides and a floor holder; a guard, not a design limit
            "audiocodec": "opus",
            "audiolevel_ext": True,
        }
        try:
            await self.link.message(session, handle, body)
        except JanusError as error:
            if error.code != ROOM_EXISTS:  # made by another process or an earlier connection
                raise
        self.created_in = self.link.generation

    async def publish(self, member_id: str, offer: str) -> str:
        """The speaker's offer to Janus; returns Janus's answer SDP."""
        peer = self.peer(member_id)
        async with peer.lock:
            session = await self._session(peer)
            jsep = {"type": "offer", "sdp": offer}
            if peer.publisher is None:
                handle = await self.link.attach(session)
                await self.ensure_room(session, handle)
                join = {"request": "join", "ptype": "publisher", "room": self.room}
                await self.link.message(session, handle, join | {"display": member_id})
                peer.publisher = handle
                self.link.listeners[handle] = lambda event: self._publisher_event(member_id, event)
                body = {"request": "publish", "audiocodec": "opus"}
            else:
                body = {"request": "configure"}  # a renegotiation of the same connection
            reply = await self.link.message(session, peer.publisher, body, jsep)
            if ufrag := ufrag_of(offer):
                peer.ufrags[ufrag] = peer.publisher
            answer = reply.get("jsep", {})
            if answer.get("type") != "answer":
                raise JanusError("The media server sent no answer.")
            return str(answer["sdp"])

    def _publisher_event(self, member_id: str, event: dict[str, Any]) -> None:
        """A publisher is listed as one (`listparticipants`) once its connection is up."""
        if event.get("janus") == "webrtcup" or (
            event.get("janus") == "media" and event.get("receiving")
        ):
            self.on_live(member_id)

    async def subscribe(self, member_id: str, speakers: Iterable[str]) -> str | None:
        """Subscribe `member_id` to the feeds the speakers publish; returns Janus's offer for a new
        subscription, or None when the feeds are those already subscribed (or there are none)."""
        peer = self.peer(member_id)
        wanted_names = set(speakers) - {member_id}
        async with peer.lock:
            session = await self._session(peer)
            feeds = frozenset(await self._feeds(session, peer, wanted_names))
            if feeds == peer.feeds and (peer.subscriber is not None or not feeds):
                return None
            await self._drop_subscriber(session, peer)
            if not feeds:
                return None
            handle = await self.link.attach(session)
            peer.subscriber = handle
            body = {
                "request": "join",
                "ptype": "subscriber",
                "room": self.room,
                "streams": [{"feed": feed} for feed in sorted(feeds)],
            }
            reply = await self.link.message(session, handle, body)
            peer.feeds = feeds
            offer = reply.get("jsep", {})
            if offer.get("type") != "offer":
                raise JanusError("The media server sent no offer.")
            return str(offer["sdp"])

    async def _feeds(self, session: int, peer: Peer, names: set[str]) -> list[int]:
        """The feed ids of the speakers publishing now (a `listparticipants` of the room)."""
        if not names:
            return []
        handle = peer.subscriber or peer.publisher
        temporary = handle is None
        if handle is None:
            handle = await self.link.attach(session)
        try:
            await self.ensure_room(session, handle)
            reply = await self.link.message(
                session, handle, {"request": "listparticipants", "room": self.room}
            )
        finally:
            if temporary:
                await self.link.detach(session, handle)
        participants = reply.get("plugindata", {}).get("data", {}).get("participants", [])
        return [
            int(p["id"]) for p in participants if p.get("publisher") and p.get("display") in names
        ]

    async def _drop_subscriber(self, session: int, peer: Peer) -> None:
        if peer.subscriber is not None:
            handle, peer.subscriber = peer.subscriber, None
            peer.feeds = frozenset()
            peer.ufrags = {u: h for u, h in peer.ufrags.items() if h != handle}
            with contextlib.suppress(JanusError):
                await self.link.detach(session, handle)

    async def start(self, member_id: str, answer: str) -> None:
        """The listener's answer to the subscription's offer."""
        peer = self.peer(member_id)
        async with peer.lock:
            if peer.session is None or peer.subscriber is None:
                raise JanusError("No subscription is waiting for an answer.")
            jsep = {"type": "answer", "sdp": answer}
            await self.link.message(peer.session, peer.subscriber, {"request": "start"}, jsep)
            if ufrag := ufrag_of(answer):
                peer.ufrags[ufrag] = peer.subscriber

    async def trickle(self, member_id: str, ice: dict[str, Any] | None) -> None:
        """A client candidate to the handle whose SDP carried its ufrag (both when unknown)."""
        peer = self.peer(member_id)
        async with peer.lock:
            if peer.session is None:
                return
            handles = {h for h in (peer.publisher, peer.subscriber) if h is not None}
            ufrag = (ice or {}).get("usernameFragment") or _candidate_ufrag(ice)
            if ufrag in peer.ufrags:
                handles = {peer.ufrags[ufrag]}
            candidate = {"completed": True} if ice is None or not ice["candidate"] else ice
            candidate = {k: v for k, v in candidate.items() if k != "usernameFragment"}
            for handle in handles:
                await self.link.trickle(peer.session, handle, candidate)

    async def unpublish(self, member_id: str) -> None:
        """The member is no longer a speaker: its feed leaves the room."""
        peer = self.peers.get(member_id)
        if peer is None:
            return
        async with peer.lock:
            if peer.session is not None and peer.publisher is not None:
                handle, peer.publisher = peer.publisher, None
                peer.ufrags = {u: h for u, h in peer.ufrags.items() if h != handle}
                with contextlib.suppress(JanusError):
                    await self.link.detach(peer.session, handle)

    async def release(self, member_id: str) -> None:
        """The member left: detach its handles and destroy its session."""
        peer = self.peers.pop(member_id, None)
        if peer is None or peer.session is None or peer.generation != self.link.generation:
            return
        async with peer.lock:
            with contextlib.suppress(JanusError):
                for handle in (peer.publisher, peer.subscriber):
                    if handle is not None:
                        await self.link.detach(peer.session, handle)
                await self.link.destroy_session(peer.session)

    async def destroy(self) -> None:
        """The tour ended: the room goes (its participants are kicked out)."""
        try:
            session = await self.link.create_session()
            handle = await self.link.attach(session)
            with contextlib.suppress(JanusError):  # already gone (another process destroyed it)
                await self.link.message(session, handle, {"request": "destroy", "room": self.room})
            await self.link.destroy_session(session)
        except JanusError as error:
            logger.warning("could not destroy media room %s: %s", self.room, error)


def _candidate_ufrag(ice: dict[str, Any] | None) -> str | None:
    """The ufrag inside a candidate line (`... ufrag abcd ...`), as Chrome writes it."""
    if not ice:
        return None
    parts = str(ice.get("candidate", "")).split()
    return parts[parts.index("ufrag") + 1] if "ufrag" in parts[:-1] else None
