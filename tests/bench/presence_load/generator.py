"""Presence load generator: visitors in rooms of 24 plus one tour of followers, pose at 10 Hz.

A few client processes (spawned, each one asyncio loop holding many plain `websockets` clients)
connect to a loopback server, send a changing pose at 10 Hz (`t` = wall-clock ms), a `ping` with a
token every 2 s and, on the tour, raise and lower a hand every 3 s. After a warm-up they measure for
a fixed window: snapshots delivered, tick-to-receipt latency (receipt − snapshot `ts`), pose sent to
pose seen (receipt − a member's new `t`), control frames lost (sent − answered after a grace
period), the pose rate actually achieved and their own event-loop lag. The parent samples the
server's CPU time and RSS (psutil, the process and its children) at the window's edges. A row is
INVALID when the generator fell behind (pose rate < 95 % of target, loop lag p99 > 25 ms) or the
run was broken (failed connections, dropped sockets, error frames, unexpected listeners).

    python -m tests.bench.presence_load --bare --n 50,100 --seconds 10
"""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing as mp
import queue
import random
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

import psutil
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from tests.bench.presence_load.report import POSE_HZ, summarise

ROOM_SIZE = 24
PING_EVERY = 20  # pose periods: a ping every 2 s
HAND_EVERY = 30  # a hand raise or lower every 3 s (tour followers)
WARMUP_S = 3.0
GRACE_S = 3.0
MAX_CLIENTS = 5000
MAX_SECONDS = 900.0
RSS_EVERY_S = 30.0  # the server's RSS is sampled this often through the window
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Visitors per loopback source address (127.0.0.2 onwards): under the server's per-address cap
# (REALTIME_MAX_CONNECTIONS_PER_ADDRESS, 64 by default), as many real visitors would be. Tour
# followers each get an address of their own (127.1.x.y): an anonymous follower's hands are
# rate-limited per person, and without a session the person is the address.
CLIENTS_PER_ADDRESS = 32


def source_address(index: int, follower: bool) -> str:
    """The loopback address client number `index` (over all processes) connects from."""
    group = index if follower else index // CLIENTS_PER_ADDRESS
    return f"127.{int(follower)}.{group // 250}.{group % 250 + 2}"


@dataclass
class Plan:
    """One measured run: which server, how many clients where, for how long."""

    server: str  # label in the table, e.g. "ours" or "bare"
    url: str  # ws://127.0.0.1:PORT
    room_paths: list[str]  # at least ceil(visitors / ROOM_SIZE)
    tour_path: str | None
    visitors: int
    followers: int
    seconds: float
    processes: int = 2
    server_pid: int | None = None
    warmup: float = WARMUP_S
    light: bool = False  # light.py's clients instead of `websockets` ones

    def specs(self) -> list[tuple[str, bool]]:
        """(path, is_follower) per client: rooms filled 24 at a time, then the tour."""
        rooms = math.ceil(self.visitors / ROOM_SIZE)
        if rooms > len(self.room_paths):
            raise ValueError(
                f"{self.visitors} visitors need {rooms} rooms, got {len(self.room_paths)}"
            )
        specs = [(self.room_paths[i // ROOM_SIZE], False) for i in range(self.visitors)]
        if self.followers and self.tour_path is None:
            raise ValueError("followers need a tour path")
        return specs + [(self.tour_path, True) for _ in range(self.followers)]

    def check(self) -> None:
        host = urlsplit(self.url).hostname
        if host not in LOOPBACK:
            raise ValueError(f"loopback only, not {host!r}")
        if not 0 < self.visitors + self.followers <= MAX_CLIENTS:
            raise ValueError(f"1 to {MAX_CLIENTS} clients per run")
        if not 0 < self.seconds <= MAX_SECONDS or not 1 <= self.processes <= 16:
            raise ValueError(f"seconds in (0, {MAX_SECONDS}], processes in 1-16")


@dataclass
class Stats:
    """What one generator process saw in the window (histograms in 0.1 ms bins)."""

    clients: int = 0
    active: int = 0
    listeners: int = 0
    connect_failed: int = 0
    dropped: int = 0
    snapshots: int = 0
    poses: int = 0
    pings_sent: int = 0
    pings_answered: int = 0
    hands_sent: int = 0
    hands_answered: int = 0
    cpu_s: float = 0.0
    errors: Counter = field(default_factory=Counter)  # error frames by code
    failures: Counter = field(default_factory=Counter)  # failed handshakes by exception
    tick: Counter = field(default_factory=Counter)
    e2e: Counter = field(default_factory=Counter)
    lag: Counter = field(default_factory=Counter)

    def merge(self, other: Stats) -> None:
        for f in fields(self):
            mine = getattr(self, f.name)
            if isinstance(mine, Counter):
                mine.update(getattr(other, f.name))
            else:
                setattr(self, f.name, mine + getattr(other, f.name))


def account_frame(client: Any, msg: dict, stats: Stats, last: dict, now: float) -> None:
    """Count one parsed server frame of `client` (this generator's or light.py's) into `stats`:
    snapshots and pose->seen inside the measured window, answered pings and hands, errors."""
    kind = msg.get("type")
    inside = client.window[0] <= now < client.window[1]
    if kind == "snapshot":
        if inside:
            stats.snapshots += 1
            stats.tick[int((now - msg["ts"]) * 10)] += 1
        for member in msg["members"]:
            t = member.get("t")
            if t is not None and last.get(member["id"]) != t:
                last[member["id"]] = t
                if inside:
                    stats.e2e[int((now - t) * 10)] += 1
    elif kind == "pong":
        if msg.get("t") in client.pings:
            client.pings.remove(msg["t"])
            stats.pings_answered += 1
    elif kind == "hands" and client.hand_want is not None:
        raised = any(entry["member"] == client.id for entry in msg["queue"])
        if raised == client.hand_want:
            client.hand_up, client.hand_want = raised, None
            stats.hands_answered += 1
    elif kind == "error":
        stats.errors[msg.get("code", "?")] += 1


class Client:
    def __init__(
        self, url: str, path: str, follower: bool, stats: Stats, seed: int, source: str
    ) -> None:
        self.url, self.follower, self.stats, self.source = url + path, follower, stats, source
        self.origin = "http" + url.removeprefix("ws")
        self.rng = random.Random(seed)
        self.ws: ClientConnection | None = None
        self.id = ""
        self.active = False
        self.window = (math.inf, math.inf)  # wall ms
        self.pings: set[int] = set()
        self.hand_up = False
        self.hand_want: bool | None = None  # a hand frame waiting for its `hands` answer
        self.closing = False
        self.reader: asyncio.Task | None = None

    async def open(self, gate: asyncio.Semaphore) -> None:
        async with gate:
            try:
                self.ws = await connect(
                    self.url, origin=self.origin, compression=None, proxy=None,
                    ping_interval=None, open_timeout=60, max_size=2**22,
                    local_addr=(self.source, 0) if self.source else None,
                )  # fmt: skip
                welcome = json.loads(await asyncio.wait_for(self.ws.recv(), 60))
            except (OSError, TimeoutError, WebSocketException, ValueError) as exc:
                self.stats.connect_failed += 1
                self.stats.failures[f"{type(exc).__name__}: {exc}"[:80]] += 1
                self.ws = None
                return
        if welcome.get("type") != "welcome":
            self.stats.connect_failed += 1
            self.stats.failures[f"first frame {welcome.get('type')!r}"] += 1
            await self.ws.close()
            self.ws = None
            return
        self.id, self.active = welcome["id"], welcome["mode"] == "active"
        self.stats.clients += 1
        self.stats.active += self.active
        self.stats.listeners += not self.active
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        stats, last, loads = self.stats, {}, json.loads
        try:
            async for raw in self.ws:
                now = time.time() * 1000.0
                account_frame(self, loads(raw), stats, last, now)
        except ConnectionClosed:
            pass
        if not self.closing:
            self.stats.dropped += 1

    async def drive(self, go: float, start: float, end: float) -> None:
        """Pose at POSE_HZ from `go` to `end` (wall s), controls only inside [start, end)."""
        ws, stats, rng = self.ws, self.stats, self.rng
        period = 1.0 / POSE_HZ
        first = go + rng.random() * period
        angle, radius = rng.random() * math.tau, 1.0 + 4.0 * rng.random()
        ping_at, hand_at = rng.randrange(PING_EVERY), rng.randrange(HAND_EVERY)
        token, k = 0, 0
        try:
            while (due := first + k * period) < end:
                now = time.time()
                if due > now:
                    await asyncio.sleep(due - now)
                elif now - due > period:  # fell behind: skip the missed slots, never burst
                    k = math.ceil((now - first) / period)
                    continue
                now = time.time()
                inside = start <= now < end
                if self.active:
                    angle += 0.05
                    x, z = radius * math.cos(angle), radius * math.sin(angle)
                    sin, cos = math.sin(angle / 2), math.cos(angle / 2)
                    await ws.send(
                        f'{{"type":"pose","p":[{x:.3f},1.6,{z:.3f}],'
                        f'"q":[0,{sin:.5f},0,{cos:.5f}],"t":{now * 1000:.3f}}}'
                    )
                    stats.poses += inside
                if inside and k % PING_EVERY == ping_at:
                    token += 1
                    self.pings.add(token)
                    stats.pings_sent += 1
                    await ws.send(f'{{"type":"ping","t":{token}}}')
                if (
                    inside
                    and self.follower
                    and k % HAND_EVERY == hand_at
                    and self.hand_want is None
                ):
                    self.hand_want = not self.hand_up
                    stats.hands_sent += 1
                    await ws.send(json.dumps({"type": "hand", "raised": self.hand_want}))
                k += 1
        except ConnectionClosed:
            pass  # counted as dropped by the reader

    def pending(self) -> bool:
        return (
            self.ws is not None
            and not self.closing
            and (bool(self.pings) or self.hand_want is not None)
        )

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await self.reader


async def sample_loop(stats: Stats, start: float, end: float) -> None:
    """Event-loop lag (how late a 50 ms sleep wakes) and this process's CPU time in the window."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, start - time.time()))
    cpu0 = time.process_time()
    while time.time() < end:
        before = loop.time()
        await asyncio.sleep(0.05)
        stats.lag[int((loop.time() - before - 0.05) * 10000)] += 1
    stats.cpu_s = time.process_time() - cpu0


async def run_clients(
    plan: Plan, specs: list[tuple[str, bool]], seed: int, ready, wait_go
) -> Stats:
    stats = Stats()
    # specs are this process's share, specs[seed::processes]: client i is number i*processes+seed.
    ipv4 = (urlsplit(plan.url).hostname or "").startswith("127.")
    clients = [Client(plan.url, path, follower, stats, seed * 100_000 + i,
                      source_address(i * plan.processes + seed, follower) if ipv4 else "")
               for i, (path, follower) in enumerate(specs)]  # fmt: skip
    gate = asyncio.Semaphore(16)  # handshakes in flight per process
    await asyncio.gather(*(c.open(gate) for c in clients))
    ready()
    go = await asyncio.get_running_loop().run_in_executor(None, wait_go)
    start, end = go + plan.warmup, go + plan.warmup + plan.seconds
    live = [c for c in clients if c.ws is not None]
    for c in live:
        c.window = (start * 1000, end * 1000)
    await asyncio.gather(sample_loop(stats, start, end), *(c.drive(go, start, end) for c in live))
    grace_end = time.time() + GRACE_S
    while any(c.pending() for c in live) and time.time() < grace_end:
        await asyncio.sleep(0.05)
    await asyncio.gather(*(c.close() for c in live), return_exceptions=True)
    return stats


def worker(plan: Plan, specs, seed: int, ready_q, result_q, go_event, go_time) -> None:
    def wait_go() -> float:
        go_event.wait()
        return go_time.value

    if plan.light:
        from tests.bench.presence_load import light

        coro = light.run_clients(plan, specs, seed, lambda: ready_q.put(seed), wait_go)
    else:
        coro = run_clients(plan, specs, seed, lambda: ready_q.put(seed), wait_go)
    try:
        try:
            import uvloop  # the loop uvicorn uses when installed; a cheaper client too
        except ImportError:
            result_q.put(asyncio.run(coro))
        else:
            result_q.put(uvloop.run(coro))
    except Exception:  # the parent raises it: a broken generator must not look like a slow server
        ready_q.put(seed)
        result_q.put(RuntimeError(f"generator process {seed} failed:\n{traceback.format_exc()}"))


def server_usage(pid: int | None) -> tuple[float, float]:
    """CPU seconds (user + system) and RSS in MB of a process and its children."""
    if pid is None:
        return math.nan, math.nan
    root = psutil.Process(pid)
    cpu, rss = 0.0, 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            cpu += times.user + times.system
            rss += proc.memory_info().rss / 2**20
        except psutil.NoSuchProcess:
            pass
    return cpu, rss


def run_load(plan: Plan) -> dict:
    """Drive one run and return its table row (a JSON-able dict)."""
    plan.check()
    specs = plan.specs()
    ctx = mp.get_context("spawn")
    ready_q, result_q, go_event, go_time = ctx.Queue(), ctx.Queue(), ctx.Event(), ctx.Value("d")
    shared = (ready_q, result_q, go_event, go_time)
    procs = [
        ctx.Process(target=worker, args=(plan, specs[i :: plan.processes], i, *shared), daemon=True)
        for i in range(plan.processes)
    ]
    for proc in procs:
        proc.start()
    try:
        try:
            for _ in procs:
                ready_q.get(timeout=300)
        except queue.Empty:
            raise RuntimeError("the generator processes did not connect within 300 s") from None
        go_time.value = time.time() + 0.5
        go_event.set()
        start = go_time.value + plan.warmup
        time.sleep(max(0.0, start - time.time()))
        cpu0, rss0 = server_usage(plan.server_pid)
        rss_trace = [rss0]  # the server's RSS through the window (soak: memory growth)
        end = start + plan.seconds
        while (left := end - time.time()) > RSS_EVERY_S:
            time.sleep(RSS_EVERY_S)
            rss_trace.append(server_usage(plan.server_pid)[1])
        time.sleep(max(0.0, left))
        cpu1, rss = server_usage(plan.server_pid)
        rss_trace.append(rss)
        stats = Stats()
        for _ in procs:
            part = result_q.get(timeout=GRACE_S + 120)
            if isinstance(part, Exception):
                raise part
            stats.merge(part)
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    return summarise(plan, len(specs), stats, cpu1 - cpu0, rss, rss_trace=rss_trace)
