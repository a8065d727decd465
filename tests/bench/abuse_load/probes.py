"""A normal visitor's latencies, measured while an abuse scenario runs (or without one).

Three probes, each from its own loopback address so per-address limits aimed at the abuser
(127.0.0.2) do not touch them: a page view, pose→seen between two visitors in one room (the `t`
echo of the presence protocol), and the guide's `goto` until a follower's `tour` frame shows it."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

PAGE_ADDRESS = "127.0.0.3"
POSE_ADDRESSES = ("127.0.0.4", "127.0.0.5")
GUIDE_ADDRESS, FOLLOWER_ADDRESS = "127.0.0.6", "127.0.0.7"


@dataclass
class Target:
    """Where the probes and the attacks aim: the server and what the seed made."""

    http_url: str
    ws_url: str
    room_path: str
    other_room_paths: list[str]
    tour_path: str
    guide_cookie: str
    stops: int


Attack = Callable[["Target", asyncio.Event, asyncio.Event], Awaitable[dict]]


@dataclass
class Phase:
    """When a probe records: it sets `connected` once its sockets are open, records while
    `recording` is set, and ends at `stop`."""

    stop: asyncio.Event
    recording: asyncio.Event
    connected: asyncio.Event


@dataclass
class Samples:
    """Latencies in milliseconds, and failures, of one probe."""

    ms: list[float] = field(default_factory=list)
    failures: int = 0

    def p(self, q: float) -> float | None:
        if not self.ms:
            return None
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def open_socket(
    target: Target, path: str, address: str, cookie: str | None = None
) -> ClientConnection:
    headers = {"Origin": target.http_url}
    if cookie:
        headers["Cookie"] = cookie
    return await connect(
        target.ws_url + path,
        additional_headers=headers,
        local_addr=(address, 0),
        open_timeout=20,
        max_size=2**22,
    )


async def frames_until(ws: ClientConnection, wanted: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
        if frame.get("type") == wanted:
            return frame


async def probe_page(target: Target, phase: Phase, out: Samples) -> None:
    transport = httpx.AsyncHTTPTransport(local_address=PAGE_ADDRESS)
    async with httpx.AsyncClient(transport=transport, timeout=30) as client:
        phase.connected.set()
        await phase.recording.wait()
        while not phase.stop.is_set():
            start = time.perf_counter()
            try:
                response = await client.get(target.http_url + "/")
                if response.status_code == 200:
                    out.ms.append((time.perf_counter() - start) * 1000)
                else:
                    out.failures += 1
            except httpx.HTTPError:
                out.failures += 1
            await asyncio.sleep(0.2)


async def probe_pose(target: Target, phase: Phase, out: Samples) -> None:
    """Visitor A sends a pose every 100 ms stamped with its send time; visitor B reads the
    snapshots and records, for each stamp, how long until it first saw it."""
    sender = await open_socket(target, target.room_path, POSE_ADDRESSES[0])
    watcher = await open_socket(target, target.room_path, POSE_ADDRESSES[1])
    try:
        me = (await frames_until(sender, "welcome"))["id"]
        await frames_until(watcher, "welcome")
        seen: set[float] = set()
        stop = phase.stop
        phase.connected.set()

        async def send() -> None:
            x = 0.0
            while not stop.is_set():
                x = (x + 0.1) % 5
                stamp = time.time() * 1000
                pose = {"type": "pose", "p": [x, 1.6, 0], "q": [0, 0, 0, 1], "t": stamp}
                await sender.send(json.dumps(pose))
                await asyncio.sleep(0.1)

        async def watch() -> None:
            while not stop.is_set():
                try:
                    frame = json.loads(await asyncio.wait_for(watcher.recv(), 1.0))
                except TimeoutError:
                    continue
                if frame.get("type") != "snapshot":
                    continue
                for member in frame.get("members", []):
                    stamp = member.get("t")
                    if member.get("id") == me and stamp and stamp not in seen:
                        seen.add(stamp)
                        if phase.recording.is_set():
                            out.ms.append(time.time() * 1000 - stamp)

        async def drain() -> None:  # the sender's own snapshots must not back up
            while not stop.is_set():
                try:
                    await asyncio.wait_for(sender.recv(), 1.0)
                except TimeoutError:
                    continue

        await asyncio.gather(send(), watch(), drain())
    finally:
        await sender.close()
        await watcher.close()


async def probe_goto(target: Target, phase: Phase, out: Samples) -> None:
    """The guide moves the tour every 0.5 s; the latency is until the follower's `tour` frame
    carries the new stop."""
    guide = await open_socket(target, target.tour_path, GUIDE_ADDRESS, target.guide_cookie)
    follower = await open_socket(target, target.tour_path, FOLLOWER_ADDRESS)
    try:
        welcome = await frames_until(guide, "welcome")
        assert welcome.get("role") == "guide", f"the probe's guide is a {welcome.get('role')}"
        await frames_until(follower, "tour")
        sent: dict[int, float] = {}
        moves = 0
        stop = phase.stop
        phase.connected.set()

        async def move() -> None:
            nonlocal moves
            stop_index = 0
            while not stop.is_set():
                stop_index = (stop_index + 1) % target.stops
                if phase.recording.is_set():
                    sent[stop_index] = time.perf_counter()
                    moves += 1
                await guide.send(json.dumps({"type": "goto", "stop": stop_index}))
                await asyncio.sleep(0.5)

        async def follow() -> None:
            while not stop.is_set():
                try:
                    frame = json.loads(await asyncio.wait_for(follower.recv(), 1.0))
                except TimeoutError:
                    continue
                if frame.get("type") == "tour" and frame.get("stop_index") in sent:
                    out.ms.append((time.perf_counter() - sent.pop(frame["stop_index"])) * 1000)

        async def drain() -> None:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(guide.recv(), 1.0)
                except TimeoutError:
                    continue

        await asyncio.gather(move(), follow(), drain())
        out.failures += moves - len(out.ms)  # moves the follower never saw
    finally:
        await guide.close()
        await follower.close()


def _attack_process(name: str, target: Target, stop: Any, ready: Any, results: Any) -> None:
    """Child process: run the attack `name` with asyncio events bridged to the parent's."""
    from tests.bench.abuse_load.attacks import SCENARIOS

    async def main() -> dict:
        stop_now, ready_now = asyncio.Event(), asyncio.Event()

        async def bridge() -> None:
            while not stop.is_set():
                if ready_now.is_set():
                    ready.set()
                await asyncio.sleep(0.05)
            stop_now.set()

        bridge_task = asyncio.create_task(bridge())
        report = await SCENARIOS[name](target, stop_now, ready_now)
        await bridge_task
        return report

    results.put(asyncio.run(main()))


async def measure(
    target: Target, seconds: float, attack: str | None = None
) -> tuple[dict[str, Samples], dict]:
    """The normal visitors connect first (they were there before the abuse began), then the
    attack named `attack` starts in a process of its own (so its client work does not slow the
    probes' event loop); once it is in full swing (or at once without one) the three probes
    record for `seconds`. Returns the samples and what the attack reports."""
    samples = {"page": Samples(), "pose": Samples(), "goto": Samples()}
    probes = {"page": probe_page, "pose": probe_pose, "goto": probe_goto}
    stop, recording = asyncio.Event(), asyncio.Event()
    phases = {name: Phase(stop, recording, asyncio.Event()) for name in probes}
    tasks = [
        asyncio.create_task(probe(target, phases[name], samples[name]))
        for name, probe in probes.items()
    ]
    await asyncio.wait_for(asyncio.gather(*(p.connected.wait() for p in phases.values())), 60)
    context = multiprocessing.get_context("spawn")
    attack_stop, attack_ready, results = context.Event(), context.Event(), context.Queue()
    process = None
    if attack:
        process = context.Process(
            target=_attack_process, args=(attack, target, attack_stop, attack_ready, results)
        )
        process.start()
        deadline = time.monotonic() + 90
        while not attack_ready.is_set() and process.is_alive() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
    recording.set()
    await asyncio.sleep(seconds)
    stop.set()
    attack_stop.set()
    await asyncio.gather(*tasks)
    report: dict = {}
    if process:
        report = await asyncio.to_thread(results.get, True, 120)
        process.join(30)
    return samples, report
