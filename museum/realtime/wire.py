"""Outgoing frames encoded once and written straight to the connection when the server allows it.

A room's tick writes the same snapshot to every member. Through ASGI each write costs a coroutine
per middleware (Channels' session wrapper, uvicorn's `send`), a UTF-8 encode and a websocket
frame built per member: that was most of the gap to a bare `websockets` server (issue #24's
profile). `Outgoing` encodes its text and builds the frame once (websockets' own `Frame`), and a
`DirectWriter` writes those bytes to the transport of uvicorn's websockets-sansio protocol, the
server the deploy runs. It writes only while the connection is open, its transport is not
paused, no extension (permessage-deflate) is negotiated and no close was sent; otherwise, and
under any other ASGI server, the frame goes through the ASGI `send` as before.
"""

from __future__ import annotations

from typing import Any

from websockets.frames import Frame, Opcode
from websockets.protocol import State

try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
except ImportError:  # uvicorn (or its websockets-sansio protocol) absent: ASGI sends only
    WebSocketsSansIOProtocol = None  # type: ignore[assignment,misc]


PROTOCOL_ATTRIBUTES = ("close_sent", "conn", "disconnected", "transport", "writable")


class Outgoing:
    """One server frame's text, with its wire bytes built on first use and then shared."""

    __slots__ = ("_wire", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._wire: bytes | None = None

    @property
    def wire(self) -> bytes:
        """The whole unmasked text frame (server frames are never masked)."""
        if self._wire is None:
            self._wire = Frame(Opcode.TEXT, self.text.encode()).serialize(mask=False)
        return self._wire


class DirectWriter:
    """Writes prepared frames to one uvicorn websockets-sansio connection's transport."""

    __slots__ = ("protocol",)

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol

    def write(self, frame: Outgoing) -> bool:
        """Write `frame` now if nothing stands in the way; False: send it through ASGI instead."""
        protocol = self.protocol
        if (
            protocol.close_sent
            or protocol.disconnected
            or not protocol.writable.is_set()
            or protocol.conn.state is not State.OPEN
        ):
            return False
        protocol.transport.write(frame.wire)
        return True


def direct_writer(asgi_send: Any) -> DirectWriter | None:
    """A writer for the connection behind `asgi_send`, or None when it is not a plain uvicorn
    websockets-sansio connection (another server, compression on, or a test's fake send)."""
    if WebSocketsSansIOProtocol is None:
        return None
    owner = getattr(asgi_send, "__self__", None)
    # Channels' session middleware (InstanceSessionWrapper) wraps `send` but passes websocket
    # frames through untouched (it only acts on `http.response.start`): look through it. Known by
    # its `real_send`, not by class, so this core imports neither Channels nor Django.
    while owner is not None and hasattr(owner, "real_send"):
        owner = getattr(owner.real_send, "__self__", None)
    if not isinstance(owner, WebSocketsSansIOProtocol):
        return None
    # The protocol's internals this relies on; a uvicorn that renamed one gets ASGI sends only.
    if not all(hasattr(owner, name) for name in PROTOCOL_ATTRIBUTES) or owner.conn.extensions:
        return None
    return DirectWriter(owner)
