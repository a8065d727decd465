"""A minimal presence server on bare `websockets`: the baseline of the presence benchmark.

It does the presence job of museum/realtime (PROTOCOL.md v1) with nothing else around it: routes
`/ws/rooms/<key>/` and `/ws/tours/<key>/` (a room with a raised cap and a hand queue, standing in
for a guided tour), a roster per room, `welcome` then a full `snapshot` at once for joiners, one
batched `snapshot` per room per tick (10 Hz) serialised once and written to every connection,
`join`/`leave` at once, the cap (later joiners are listeners), the frame-size cap, a token bucket
per connection and validation of every frame (types, finite numbers, bounds, unknown fields).

    python tests/bench/presence_load/bare_server.py --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import re
import time
from dataclasses import dataclass, field

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

MAX_FRAME_BYTES = 16384
RATE, BURST = 20.0, 40.0
MAX_POSE_HZ = 15
IDLE_S = 1.0
PATH = re.compile(r"/ws/(rooms|tours)/([\w-]{1,64})/")
FIELDS = {
    "hello": ({"name"}, set()),
    "pose": ({"p", "q"}, {"t"}),
    "ping": (set(), {"t"}),
    "hand": ({"raised"}, set()),
}
dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


class Refused(Exception):
    """A frame the protocol refuses; `code` is the error frame's code."""

    def __init__(self, code: str, message: str, ref: str | None = None) -> None:
        super().__init__(message)
        self.code, self.ref = code, ref


def number(value: object, bound: float) -> float:
    # bool is an int subclass: refuse it explicitly, as the schema does.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Refused("bad_value", "expected a number")
    if not math.isfinite(value) or abs(value) > bound:
        raise Refused("bad_value", "number out of range")
    return float(value)


def vector(value: object, size: int, bound: float) -> list[float]:
    if not isinstance(value, list) or len(value) != size:
        raise Refused("bad_value", f"expected a list of {size} numbers")
    return [number(x, bound) for x in value]


def parse(raw: str | bytes) -> dict:
    """One client frame, checked as museum/realtime checks it; raises Refused."""
    if isinstance(raw, bytes):
        raise Refused("binary_not_supported", "text frames only")
    if len(raw) > MAX_FRAME_BYTES:
        raise Refused("too_large", "frame too large")
    try:
        frame = json.loads(raw)
    except ValueError:
        raise Refused("bad_json", "not JSON") from None
    if not isinstance(frame, dict):
        raise Refused("not_an_object", "expected an object")
    kind = frame.get("type")
    if kind not in FIELDS:
        raise Refused("unknown_type", "unknown type")
    try:
        return check(kind, frame)
    except Refused as refused:
        refused.ref = kind
        raise


def check(kind: str, frame: dict) -> dict:
    if frame.get("v", 1) != 1:
        raise Refused("unsupported_version", "version 1 only")
    required, optional = FIELDS[kind]
    keys = frame.keys() - {"type", "v"}
    if keys - required - optional:
        raise Refused("unknown_field", "unknown field")
    if required - keys:
        raise Refused("missing_field", "missing field")
    if kind == "pose":
        frame["p"] = vector(frame["p"], 3, 10000.0)
        frame["q"] = vector(frame["q"], 4, 1.0001)
        if "t" in frame:
            frame["t"] = number(frame["t"], math.inf)
    elif kind == "ping" and "t" in frame:
        number(frame["t"], math.inf)
    elif kind == "hello":
        name = frame["name"]
        name = "".join(c for c in name if c.isprintable()).strip() if isinstance(name, str) else ""
        if not 1 <= len(name) <= 40:
            raise Refused("bad_value", "name must be 1-40 characters")
        frame["name"] = name
    elif kind == "hand" and not isinstance(frame["raised"], bool):
        raise Refused("bad_value", "raised must be a boolean")
    return frame


@dataclass(eq=False)
class Member:
    conn: ServerConnection
    id: str
    name: str
    role: str
    active: bool
    pose: dict | None = None
    tokens: float = BURST
    refilled: float = field(default_factory=time.monotonic)
    last_limited: float = 0.0

    def allow(self) -> bool:
        """Token bucket: RATE frames per second, bursts of BURST."""
        now = time.monotonic()
        self.tokens = min(BURST, self.tokens + (now - self.refilled) * RATE)
        self.refilled = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Room:
    """One room's roster, hand queue and tick."""

    def __init__(self, kind: str, key: str, cap: int, tick_hz: float) -> None:
        self.kind, self.key, self.cap, self.tick_hz = kind, key, cap, tick_hz
        self.members: dict[str, Member] = {}
        self.hands: list[tuple[str, str, float]] = []
        self.seq = 0
        self.changed = True
        self.ticker: asyncio.Task | None = None

    def snapshot(self) -> str:
        entries = []
        for m in self.members.values():
            if m.active and m.pose is not None:
                entry = {"id": m.id, "name": m.name, "role": m.role, **m.pose}
                if self.kind == "tours":
                    entry |= {"stop": 0, "mode": "follow"}
                entries.append(entry)
        listeners = sum(not m.active for m in self.members.values())
        return dumps(
            {"type": "snapshot", "v": 1, "seq": self.seq, "ts": time.time() * 1000,
             "members": entries, "listeners": listeners}
        )  # fmt: skip

    def hands_frame(self) -> str:
        queue = [{"member": i, "name": n, "since": s} for i, n, s in self.hands]
        return dumps({"type": "hands", "v": 1, "queue": queue})

    async def tick(self) -> None:
        """Every 1/tick_hz s, one snapshot serialised once and written to every connection.

        As museum/realtime does, a tick with nothing changed sends nothing (at most IDLE_S
        without a snapshot); under the benchmark's load every tick has changes.
        """
        loop = asyncio.get_running_loop()
        period = 1.0 / self.tick_hz
        due = last = loop.time()
        while self.members:
            due += period
            delay = due - loop.time()
            if delay < -period:  # fell a whole tick behind: skip rather than burst
                due = loop.time()
            await asyncio.sleep(max(0.0, delay))
            if not self.changed and loop.time() - last < IDLE_S:
                continue
            self.seq += 1
            self.changed, last = False, loop.time()
            broadcast([m.conn for m in self.members.values()], self.snapshot())


class BareServer:
    def __init__(self, *, cap: int, tour_cap: int, tick_hz: float) -> None:
        self.cap, self.tour_cap, self.tick_hz = cap, tour_cap, tick_hz
        self.rooms: dict[tuple[str, str], Room] = {}
        self.ids = itertools.count(1)

    async def handler(self, conn: ServerConnection) -> None:
        match = PATH.fullmatch(conn.request.path)
        if match is None:
            await conn.close(4004, "not found")
            return
        kind, key = match.groups()
        room = self.rooms.get((kind, key))
        if room is None:
            cap = self.tour_cap if kind == "tours" else self.cap
            room = self.rooms[kind, key] = Room(kind, key, cap, self.tick_hz)
        number = next(self.ids)
        active = sum(m.active for m in room.members.values()) < room.cap
        role = "follower" if kind == "tours" else "visitor"
        me = Member(conn, f"m{number}", f"Visitor {number}", role, active)
        mode = "active" if active else "listener"
        await conn.send(
            dumps(
                {"type": "welcome", "v": 1, "id": me.id, "mode": mode, "role": role,
                 "name": me.name, "room": key, "cap": room.cap, "tick_hz": self.tick_hz,
                 "max_pose_hz": MAX_POSE_HZ, "max_frame_bytes": MAX_FRAME_BYTES}
            )
        )  # fmt: skip
        others = [m.conn for m in room.members.values()]
        room.members[me.id] = me
        room.changed = True
        await conn.send(room.snapshot())
        join = {"type": "join", "v": 1, "id": me.id, "name": me.name, "role": role, "mode": mode}
        broadcast(others, dumps(join))
        if room.ticker is None or room.ticker.done():
            room.ticker = asyncio.create_task(room.tick())
        try:
            async for raw in conn:
                await self.receive(room, me, raw)
        except ConnectionClosed:
            pass
        finally:
            del room.members[me.id]
            room.changed = True
            broadcast([m.conn for m in room.members.values()], dumps({"type": "leave", "v": 1,
                      "id": me.id}))  # fmt: skip
            if any(i == me.id for i, _, _ in room.hands):
                room.hands = [h for h in room.hands if h[0] != me.id]
                broadcast([m.conn for m in room.members.values()], room.hands_frame())
            if not room.members:
                self.rooms.pop((kind, key), None)

    async def receive(self, room: Room, me: Member, raw: str | bytes) -> None:
        if not me.allow():
            now = time.monotonic()
            if now - me.last_limited >= 1.0:
                me.last_limited = now
                await me.conn.send(error("rate_limited", "slow down", None))
            return
        try:
            frame = parse(raw)
            kind = frame["type"]
            if kind == "pose":
                if not me.active:
                    raise Refused("listener", "listeners send no pose", "pose")
                me.pose = {k: frame[k] for k in ("p", "q", "t") if k in frame}
                room.changed = True
            elif kind == "ping":
                await me.conn.send(dumps({"type": "pong", "v": 1, "t": frame.get("t")}))
            elif kind == "hello":
                me.name = frame["name"]
                room.changed = True
            elif kind == "hand":
                if room.kind != "tours":
                    raise Refused("unknown_type", "hands are for tours")
                raised = any(i == me.id for i, _, _ in room.hands)
                if frame["raised"] != raised:
                    if frame["raised"]:
                        room.hands.append((me.id, me.name, time.time() * 1000))
                    else:
                        room.hands = [h for h in room.hands if h[0] != me.id]
                    broadcast([m.conn for m in room.members.values()], room.hands_frame())
        except Refused as refused:
            await me.conn.send(error(refused.code, str(refused), refused.ref))


def error(code: str, message: str, ref: str | None) -> str:
    frame = {"type": "error", "v": 1, "code": code, "message": message}
    return dumps(frame | {"ref": ref} if isinstance(ref, str) else frame)


async def main(args: argparse.Namespace) -> None:
    server = BareServer(cap=args.cap, tour_cap=args.tour_cap, tick_hz=args.tick_hz)
    # max_size above the protocol's cap so an oversize frame gets `too_large`, as ours does.
    async with serve(
        server.handler, args.host, args.port, compression=None, max_size=4 * MAX_FRAME_BYTES
    ) as ws_server:
        print(f"bare presence server on ws://{args.host}:{args.port}", flush=True)
        await ws_server.serve_forever()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--cap", type=int, default=24, help="active members per room")
    parser.add_argument("--tour-cap", type=int, default=200, help="active members per tour")
    parser.add_argument("--tick-hz", type=float, default=10.0)
    parser.add_argument("--loop", choices=("auto", "asyncio", "uvloop"), default="auto",
                        help="auto: uvloop when installed, as uvicorn does")  # fmt: skip
    args = parser.parse_args()
    if args.loop != "asyncio":
        try:
            import uvloop
        except ImportError:
            if args.loop == "uvloop":
                raise
        else:
            uvloop.run(main(args))
            return
    asyncio.run(main(args))


if __name__ == "__main__":
    cli()
