"""The bridge to a Janus media server (SFU mode of tour voice): its WebSocket API, VideoRoom plugin.

One WebSocket per process to Janus (subprotocol "janus-protocol"); requests are matched to their
replies by transaction. Each tour member that speaks or listens gets a Janus session with at most
two handles: a publisher (a speaker's offer goes to `publish`, Janus's answer comes back) and a
subscriber (built afresh for the current speakers' feeds whenever they change: Janus offers, the
member answers with `start`). One VideoRoom per live tour, audio only (opus), created on demand and
destroyed when the tour ends. Sessions are kept alive while the member is connected and destroyed
(handles detached) when it leaves. Janus runs half-trickle: its own candidates are in its SDP.

Framework-free: the tour's voice (voice.py) passes the URL in and turns failures (JanusError) into
a `voice` frame with mode "off".
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

logger = logging.getLogger(__name__)

PLUGIN = "janus.plugin.videoroom"
REQUEST_SECONDS = 10.0
CONNECT_SECONDS = 3.0
KEEPALIVE_SECONDS = 25.0  # Janus drops a session after 60 s without a request (session_timeout)
RETRY_SECONDS = 10.0  # after a failed connection, how long before trying again
ROOM_EXISTS = 427
NO_SUCH_ROOM = 426
UFRAG = re.compile(r"^a=ice-ufrag:(\S+)", re.MULTILINE)


class JanusError(Exception):
    """Janus is unreachable or refused a request."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


def ufrag_of(sdp: str) -> str | None:
    found = UFRAG.search(sdp)
    return found.group(1) if found else None


class JanusConnection:
    """One process's WebSocket to Janus, shared by every tour on the process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.socket: ClientConnection | None = None
        self.pending: dict[str, tuple[asyncio.Future[dict[str, Any]], frozenset[str]]] = {}
        self.sessions: set[int] = set()
        # Events nobody waits for (webrtcup, media...), by the handle they are about.
        self.listeners: dict[int, Callable[[dict[str, Any]], None]] = {}
        self.reader: asyncio.Task[None] | None = None
        self.keeper: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()
        self.failed_at = -RETRY_SECONDS
        self.generation = 0  # bumped on every new connection: sessions of older ones are gone
        self._transactions = itertools.count(1)

    @property
    def connected(self) -> bool:
        return self.socket is not None

    async def connect(self) -> None:
        """Open the WebSocket if it is not open; JanusError when Janus does not answer."""
        if self.socket is not None:
            return
        async with self.lock:
            if self.socket is not None:
                return
            loop = asyncio.get_running_loop()
            if loop.time() - self.failed_at < RETRY_SECONDS:
                raise JanusError("The media server is not reachable.")
            try:
                self.socket = await connect(
                    self.url,
                    subprotocols=["janus-protocol"],  # type: ignore[list-item]
                    open_timeout=CONNECT_SECONDS,
                    max_size=2**20,
                    compression=None,
                )
            except Exception as error:  # refused, timed out, not a websocket, bad handshake
                self.failed_at = loop.time()
                logger.warning("media server %s unreachable: %s", self.url, error)
                raise JanusError("The media server is not reachable.") from None
            self.generation += 1
            self.reader = loop.create_task(self._read(self.socket))
            self.keeper = loop.create_task(self._keep_alive())

    async def request(
        self, body: dict[str, Any], *, until: Iterable[str] = ("success",)
    ) -> dict[str, Any]:
        """Send one Janus API request and return the reply whose `janus` is in `until` (an
        `ack` is skipped unless asked for); JanusError on an error reply or a lost link."""
        await self.connect()
        socket = self.socket
        assert socket is not None
        transaction = f"m{next(self._transactions)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[transaction] = (future, frozenset(until))
        try:
            await socket.send(json.dumps({**body, "transaction": transaction}))
            reply = await asyncio.wait_for(future, REQUEST_SECONDS)
        except (OSError, TimeoutError, ConnectionClosed) as error:
            raise JanusError(f"The media server did not answer ({error!r}).") from None
        finally:
            self.pending.pop(transaction, None)
        if reply.get("janus") == "error":
            failure = reply.get("error", {})
            raise JanusError(str(failure.get("reason", "error")), failure.get("code"))
        data = reply.get("plugindata", {}).get("data", {})
        if "error_code" in data:
            raise JanusError(str(data.get("error", "error")), data["error_code"])
        return reply

    async def _read(self, socket: ClientConnection) -> None:
        try:
            async for raw in socket:
                message = json.loads(raw)
                waiting = self.pending.get(message.get("transaction", ""))
                if waiting is None:
                    listener = self.listeners.get(message.get("sender", 0))
                    if listener is not None:
                        listener(message)
                    continue
                future, until = waiting
                kind = message.get("janus")
                if (kind in until or kind == "error") and not future.done():
                    future.set_result(message)
        except Exception as error:  # closed or garbled: every session on it is gone
            logger.warning("media server link lost: %s", error)
        finally:
            self._lost(socket)

    def _lost(self, socket: ClientConnection) -> None:
        if self.socket is not socket:
            return
        self.socket = None
        self.sessions.clear()
        self.listeners.clear()
        if self.keeper is not None:
            self.keeper.cancel()
        for future, _until in self.pending.values():
            if not future.done():
                future.set_exception(JanusError("The media server link was lost."))

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE_SECONDS)
            for session in list(self.sessions):
                with contextlib.suppress(JanusError):
                    await self.request(
                        {"janus": "keepalive", "session_id": session}, until=("ack",)
                    )

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()

    # sessions, handles, plugin messages
    async def create_session(self) -> int:
        reply = await self.request({"janus": "create"})
        session = int(reply["data"]["id"])
        self.sessions.add(session)
        return session

    async def destroy_session(self, session: int) -> None:
        self.sessions.discard(session)
        await self.request({"janus": "destroy", "session_id": session})

    async def attach(self, session: int) -> int:
        reply = await self.request({"janus": "attach", "session_id": session, "plugin": PLUGIN})
        return int(reply["data"]["id"])

    async def detach(self, session: int, handle: int) -> None:
        self.listeners.pop(handle, None)
        await self.request({"janus": "detach", "session_id": session, "handle_id": handle})

    async def message(
        self, session: int, handle: int, body: dict[str, Any], jsep: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A VideoRoom request; synchronous ones answer `success`, the others an `event`."""
        request: dict[str, Any] = {
            "janus": "message",
            "session_id": session,
            "handle_id": handle,
            "body": body,
        }
        if jsep is not None:
            request["jsep"] = jsep
        return await self.request(request, until=("success", "event"))

    async def trickle(self, session: int, handle: int, candidate: dict[str, Any]) -> None:
        body = {"janus": "trickle", "session_id": session, "handle_id": handle}
        await self.request(body | {"candidate": candidate}, until=("ack",))


_connections: dict[str, JanusConnection] = {}


def connection_for(url: str) -> JanusConnection:
    """The process's connection to the Janus at `url` (opened on first use)."""
    link = _connections.get(url)
    if link is None:
        link = _connections[url] = JanusConnection(url)
    return link


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
