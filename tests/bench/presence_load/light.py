"""A light presence client: many visitors per process at a fraction of a `websockets` client's CPU.

The plain generator (generator.py) parses every snapshot as JSON and runs a coroutine per client,
so on a 2-core machine it saturates before the server does. This one drives the same load (the
same pose, ping and hand frames, the same window and the same `Stats`) with:

- one asyncio `Protocol` per connection and a hand-written frame reader (server frames are never
  masked, so a header and a length are all there is to read);
- client frames masked with an all-zero key (the payload is then sent as it is, no XOR; a server
  must accept any key);
- one timer per 10 ms slot of the pose period for all clients of that slot, not a sleep per client;
- pose frames prepared in advance up to `t` (a table of paths), `t` formatted to a fixed width;
- snapshots read for their `ts` only (a byte search), except on every SAMPLE_EVERY-th client, which
  parses them in full for pose→seen; every other frame type (welcome, pong, hands, error) is
  parsed in full.

`generator.run_load` runs it when `Plan.light` is set; validity rules are unchanged (report.py).
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import struct
import time

from tests.bench.presence_load.generator import (
    HAND_EVERY,
    PING_EVERY,
    Plan,
    Stats,
    account_frame,
    sample_loop,
    source_address,
)
from tests.bench.presence_load.report import POSE_HZ

SAMPLE_EVERY = 8  # clients that parse snapshots in full for pose→seen: one in this many
SLOTS = 10  # timer slots per pose period
KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455's example key: the server only echoes its digest
SNAPSHOT = b'{"type":"snapshot"'
TS = b'"ts":'


def client_frame(text: str | bytes, opcode: int = 0x1) -> bytes:
    """A masked client frame with the zero masking key (payload unchanged); bytes as they are
    (a pong echoes the ping's payload byte for byte)."""
    data = text if isinstance(text, bytes) else text.encode()
    size = len(data)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return header + b"\0\0\0\0" + data


CLOSE = struct.pack("!BB", 0x88, 0x82) + b"\0\0\0\0" + struct.pack("!H", 1000)


class LightClient(asyncio.Protocol):
    def __init__(self, host: str, path: str, follower: bool, stats: Stats, sampler: bool) -> None:
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://{host}\r\n\r\n"
        ).encode()
        self.follower, self.stats, self.sampler = follower, stats, sampler
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        self.welcome: asyncio.Future[dict] = asyncio.get_running_loop().create_future()
        self.id = ""
        self.active = False
        self.window = (math.inf, math.inf)  # wall ms
        self.pings: set[int] = set()
        self.hand_up = False
        self.hand_want: bool | None = None
        self.closing = False
        self.lost = False
        self.last: dict[str, float] = {}

    # connection
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if not self.welcome.done():
            self.welcome.set_exception(ConnectionError("closed before the welcome"))
        elif not self.closing:
            self.stats.dropped += 1

    def send(self, frame: bytes) -> None:
        if self.transport is not None and not self.lost:
            self.transport.write(frame)

    def close(self) -> None:
        self.closing = True
        if self.transport is not None and not self.lost:
            self.transport.write(CLOSE)
            self.transport.close()

    # input
    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if b" 101 " not in buffer[: buffer.find(b"\r\n")]:
                status = bytes(buffer[: buffer.find(b"\r\n")]).decode(errors="replace")
                self.welcome.set_exception(ConnectionError(status))
                self.transport.close()  # type: ignore[union-attr]
                return
            self.upgraded = True
            del buffer[: end + 4]
        at, size = 0, len(buffer)
        while size - at >= 2:
            opcode, length = buffer[at] & 0x0F, buffer[at + 1] & 0x7F
            start = at + 2
            if length == 126:
                if size - at < 4:
                    break
                length = (buffer[at + 2] << 8) | buffer[at + 3]
                start = at + 4
            elif length == 127:
                if size - at < 10:
                    break
                (length,) = struct.unpack_from("!Q", buffer, at + 2)
                start = at + 10
            if size - start < length:
                break
            payload = bytes(buffer[start : start + length])
            at = start + length
            if opcode == 0x1:
                self.on_text(payload)
            elif opcode == 0x9:  # ping: answer as a client must
                self.send(client_frame(payload, 0xA))
            elif opcode == 0x8:
                self.closing = self.closing or not self.welcome.done()
        del buffer[:at]

    def on_text(self, payload: bytes) -> None:
        stats = self.stats
        now = time.time() * 1000.0
        if payload.startswith(SNAPSHOT) and not self.sampler:
            if self.window[0] <= now < self.window[1]:
                stats.snapshots += 1
                at = payload.find(TS) + len(TS)
                ts = float(payload[at : payload.find(b",", at)])
                stats.tick[int((now - ts) * 10)] += 1
            return
        msg = json.loads(payload)
        if msg.get("type") == "welcome":
            if not self.welcome.done():
                self.welcome.set_result(msg)
            return
        account_frame(self, msg, stats, self.last, now)

    def pending(self) -> bool:
        return not self.lost and (bool(self.pings) or self.hand_want is not None)


STEPS = 126  # pose steps of 0.05 rad in one circle (2π / 0.05, rounded)
RADII = 8
T_WIDTH = 17  # `t` as wall ms with 3 decimals: 13 digits until the year 2286


def pose_prefixes() -> list[list[bytes]]:
    """For each radius and step, a pose frame's header and text up to `t`'s value: with `t` of a
    fixed width the length is known, so a pose is these bytes + `t` + `}`, nothing formatted."""
    table = []
    for r in range(RADII):
        radius, row = 1.0 + 4.0 * r / (RADII - 1), []
        for step in range(STEPS):
            angle = step * 0.05
            x, z = radius * math.cos(angle), radius * math.sin(angle)
            sin, cos = math.sin(angle / 2), math.cos(angle / 2)
            text = (
                f'{{"type":"pose","p":[{x:.3f},1.6,{z:.3f}],'
                f'"q":[0,{sin:.5f},0,{cos:.5f}],"t":' + "0" * T_WIDTH + "}"
            )
            row.append(client_frame(text)[: -(T_WIDTH + 1)])
        table.append(row)
    return table


class Pacer:
    """A visitor's pose path and control schedule (as generator.Client.drive does), its poses
    from `pose_prefixes()`."""

    def __init__(self, client: LightClient, rng: random.Random, poses: list[list[bytes]]) -> None:
        self.client = client
        self.poses, self.phase = poses[rng.randrange(RADII)], rng.randrange(STEPS)
        self.ping_at, self.hand_at = rng.randrange(PING_EVERY), rng.randrange(HAND_EVERY)
        self.token = 0

    def step(self, k: int, now: float, inside: bool) -> None:
        client, stats = self.client, self.client.stats
        if client.lost:
            return
        if client.active:
            t = b"%17.3f}" % (now * 1000)
            client.send(self.poses[(self.phase + k) % STEPS] + t)
            stats.poses += inside
        if inside and k % PING_EVERY == self.ping_at:
            self.token += 1
            client.pings.add(self.token)
            stats.pings_sent += 1
            client.send(client_frame(f'{{"type":"ping","t":{self.token}}}'))
        hand_due = client.follower and k % HAND_EVERY == self.hand_at
        if inside and hand_due and client.hand_want is None:
            client.hand_want = not client.hand_up
            stats.hands_sent += 1
            client.send(client_frame(json.dumps({"type": "hand", "raised": client.hand_want})))


async def drive(pacers: list[list[Pacer]], go: float, start: float, end: float) -> None:
    """Every pose period, slot s (of SLOTS) sends for its pacers at go + (k + s/SLOTS) period;
    a slot more than a period late is skipped, never burst."""
    period = 1.0 / POSE_HZ
    k = 0
    while (base := go + k * period) < end:
        for slot, group in enumerate(pacers):
            due = base + slot * period / SLOTS
            now = time.time()
            if due > now:
                await asyncio.sleep(due - now)
            elif now - due > period:
                continue
            now = time.time()
            inside = start <= now < end
            for pacer in group:
                pacer.step(k, now, inside)
        k += 1
        if time.time() - (go + k * period) > period:  # fell behind: skip to the current period
            k = math.ceil((time.time() - go) / period)


async def run_clients(
    plan: Plan, specs: list[tuple[str, bool]], seed: int, ready, wait_go
) -> Stats:
    """generator.run_clients' contract, with light clients."""
    loop = asyncio.get_running_loop()
    stats = Stats()
    url = plan.url.removeprefix("ws://")
    host, _, port = url.partition(":")
    ipv4 = host.startswith("127.")
    gate = asyncio.Semaphore(32)  # handshakes in flight per process
    rng = random.Random(seed)

    async def open_one(i: int, path: str, follower: bool) -> LightClient | None:
        number = i * plan.processes + seed
        client = LightClient(url, path, follower, stats, sampler=number % SAMPLE_EVERY == 0)
        async with gate:
            try:
                await loop.create_connection(
                    lambda: client, host, int(port),
                    local_addr=(source_address(number, follower), 0) if ipv4 else None,
                )  # fmt: skip
                welcome = await asyncio.wait_for(client.welcome, 60)
            except (OSError, TimeoutError, ConnectionError, ValueError) as exc:
                stats.connect_failed += 1
                stats.failures[f"{type(exc).__name__}: {exc}"[:80]] += 1
                client.close()
                return None
        client.id, client.active = welcome["id"], welcome["mode"] == "active"
        stats.clients += 1
        stats.active += client.active
        stats.listeners += not client.active
        return client

    opened = await asyncio.gather(*(open_one(i, p, f) for i, (p, f) in enumerate(specs)))
    live = [c for c in opened if c is not None]
    ready()
    go = await loop.run_in_executor(None, wait_go)
    start, end = go + plan.warmup, go + plan.warmup + plan.seconds
    slots: list[list[Pacer]] = [[] for _ in range(SLOTS)]
    poses = pose_prefixes()
    for c in live:
        c.window = (start * 1000, end * 1000)
        slots[rng.randrange(SLOTS)].append(Pacer(c, rng, poses))
    await asyncio.gather(sample_loop(stats, start, end), drive(slots, go, start, end))
    grace_end = time.time() + 3.0
    while any(c.pending() for c in live) and time.time() < grace_end:
        await asyncio.sleep(0.05)
    for c in live:
        c.close()
    await asyncio.sleep(0.2)
    return stats
