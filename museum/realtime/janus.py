"""The link to a Janus media server (SFU mode of tour voice): its WebSocket API.

One WebSocket per process to Janus (subprotocol "janus-protocol"); requests are matched to their
replies by transaction, events nobody waits for (webrtcup, media) go to the listener of the handle
they are about, and every session made through it is kept alive (Janus drops a session after 60 s
without a request). A lost link fails what was waiting and forgets the sessions (Janus destroys
them with their transport); the next request opens a new link, at most every RETRY_SECONDS.
sfu.py uses it for the VideoRoom of each tour.

Framework-free: the tour's voice (voice.py) passes the URL in.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
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


class JanusError(Exception):
    """Janus is unreachable or refused a request."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


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
                        try:
                            listener(message)
                        except Exception:  # one listener's bug must not drop the link
                            logger.exception("media server event not handled: %s", message)
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
