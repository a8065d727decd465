"""The websocket fast paths: outgoing frames encoded once and written straight to the connection,
incoming text frames handed straight to the consumer, when the server allows it.

A room's tick writes the same snapshot to every member. Through ASGI each write costs a coroutine
per middleware (Channels' session wrapper, uvicorn's `send`), a UTF-8 encode and a websocket
frame built per member: that was most of the gap to a bare `websockets` server (issue #24's
profile). `Outgoing` encodes its text and builds the frame once (websockets' own `Frame`), and a
`DirectWriter` writes those bytes to the transport of uvicorn's websockets-sansio protocol, the
server the deploy runs. It writes only while the connection is open, its transport is not
paused, no extension (permessage-deflate) is negotiated and no close was sent; otherwise, and
under any other ASGI server, the frame goes through the ASGI `send` as before.

The other way, uvicorn puts every received frame in a queue as an ASGI event, pauses reading
until the app takes it, and wakes the connection's task, which resumes through every middleware's
coroutine (about ten) to the consumer's `await receive()`: after the send path, that was most of
the remaining gap (issue #24's profile). `install_direct_receiver` lets a consumer take a text
frame inside uvicorn's `data_received` instead, when it is parked on `receive()` with nothing
queued (order kept); it declines otherwise, and the frame goes through ASGI as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from websockets.frames import Frame, Opcode
from websockets.protocol import State

try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
except ImportError:  # uvicorn (or its websockets-sansio protocol) absent: ASGI sends only
    WebSocketsSansIOProtocol = None  # type: ignore[assignment,misc]


PROTOCOL_ATTRIBUTES = ("close_sent", "conn", "disconnected", "transport", "writable")
RECEIVE_ATTRIBUTES = ("curr_msg_data_type", "frames", "queue", "send_receive_event_to_app")


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


def sansio_protocol(asgi_send: Any) -> Any:
    """The uvicorn websockets-sansio connection behind `asgi_send`, or None when it is not a plain
    one (another server, compression on, or a test's fake send)."""
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
    return owner


def direct_writer(asgi_send: Any) -> DirectWriter | None:
    """A writer for the connection behind `asgi_send`, or None (see `sansio_protocol`)."""
    protocol = sansio_protocol(asgi_send)
    return None if protocol is None else DirectWriter(protocol)


def install_direct_receiver(
    asgi_receive: Any, asgi_send: Any, take_text: Callable[[str], bool]
) -> bool:
    """Offer each complete text frame of this connection to `take_text` before uvicorn queues it.

    `take_text(text)` returns True when it has taken the frame (it must then handle it in order
    with everything received before), False to let it go through the ASGI queue. Installed only
    when `asgi_receive` is the protocol's own `receive` (no middleware reads the events on the
    way) and the protocol is the plain one `sansio_protocol` finds; returns whether it was.
    """
    found = sansio_protocol(asgi_send)
    if found is None or getattr(asgi_receive, "__self__", None) is not found:
        return False
    if not all(hasattr(found, name) for name in RECEIVE_ATTRIBUTES):
        return False
    protocol: Any = found
    queued = protocol.send_receive_event_to_app  # the bound method: the ASGI path

    def send_receive_event_to_app() -> None:
        frames = protocol.frames
        if (
            protocol.curr_msg_data_type == "text"
            and len(frames) == 1
            and not protocol.close_sent
            and protocol.queue.empty()
        ):
            try:
                text = bytes(frames[0]).decode()
            except UnicodeDecodeError:
                text = None  # uvicorn's own path answers it (close 1007)
            if text is not None and take_text(text):
                protocol.frames = []
                return
        queued()

    # An instance attribute: handle_text / handle_cont look the method up on the instance.
    protocol.send_receive_event_to_app = send_receive_event_to_app
    return True
