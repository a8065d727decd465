"""Abuse scenarios for the abuse benchmark, each bounded in count and time.

Each is `async def attack(target, stop, ready) -> dict`: it sets `ready` once it is in full swing,
keeps going until `stop`, and returns counts of what the server served and refused. The abuser of
the single-address scenarios is 127.0.0.2; the join storm and the followers come from many
addresses (127.0.1.x, 127.0.2.x), as a crowd or a botnet would, so per-address caps alone do not
stop them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections import Counter

import httpx
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from tests.bench.abuse_load.probes import Target, frames_until, open_socket

ABUSER = "127.0.0.2"
FLOOD_CONCURRENCY = 8
IDLE_SOCKETS = 1000
JOIN_STORM = 300
FOLLOWERS = 100
WORDS = ["bronze", "gold", "mask", "vase", "saint", "map", "horse", "river", "queen", "lion"]


async def _flood(target: Target, stop: asyncio.Event, ready: asyncio.Event, send) -> dict:
    counts: Counter = Counter()
    transport = httpx.AsyncHTTPTransport(local_address=ABUSER)
    async with httpx.AsyncClient(transport=transport, timeout=30) as client:

        async def worker() -> None:
            while not stop.is_set():
                try:
                    response = await send(client)
                    counts[str(response.status_code)] += 1
                except httpx.HTTPError as exc:
                    counts[type(exc).__name__] += 1
                if sum(counts.values()) >= FLOOD_CONCURRENCY:
                    ready.set()

        await asyncio.gather(*(worker() for _ in range(FLOOD_CONCURRENCY)))
    return dict(counts)


async def search_flood(target: Target, stop: asyncio.Event, ready: asyncio.Event) -> dict:
    """Anonymous searches with a new query each time (each would be a fresh encode)."""

    async def send(client: httpx.AsyncClient) -> httpx.Response:
        query = " ".join(random.sample(WORDS, 3)) + f" {random.randrange(10**9)}"
        return await client.get(target.http_url + "/api/search", params={"q": query})

    return await _flood(target, stop, ready, send)


async def plan_flood(target: Target, stop: asyncio.Event, ready: asyncio.Event) -> dict:
    """Anonymous visit plans, each a search over the floor plan."""

    async def send(client: httpx.AsyncClient) -> httpx.Response:
        body = {"interests": " ".join(random.sample(WORDS, 3)), "minutes": random.randint(20, 90)}
        return await client.post(target.http_url + "/api/visits/plan", json=body)

    return await _flood(target, stop, ready, send)


async def _join(
    target: Target, path: str, address: str, counts: Counter
) -> ClientConnection | None:
    """Open one socket and wait for its welcome; count how it went."""
    try:
        ws = await open_socket(target, path, address)
    except InvalidStatus as exc:
        counts[f"http {exc.response.status_code}"] += 1
        return None
    except (OSError, WebSocketException, TimeoutError) as exc:
        counts[type(exc).__name__] += 1
        return None
    try:
        welcome = await frames_until(ws, "welcome", timeout=20)
        counts[welcome.get("mode", "welcomed")] += 1
        return ws
    except ConnectionClosed as exc:
        reason = exc.rcvd.reason if exc.rcvd else ""
        counts[f"closed {exc.rcvd.code if exc.rcvd else '?'} {reason}".strip()] += 1
    except (TimeoutError, WebSocketException) as exc:
        counts[type(exc).__name__] += 1
    await ws.close()
    return None


async def _drain(ws: ClientConnection, stop: asyncio.Event) -> None:
    """Read (and drop) what the server sends, as a well-behaved client would."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(ws.recv(), 1.0)
        except TimeoutError:
            continue
        except ConnectionClosed:
            return


async def idle_sockets(target: Target, stop: asyncio.Event, ready: asyncio.Event) -> dict:
    """1,000 presence sockets from one address that never send a pose, spread over the rooms
    other than the probes' room."""
    counts: Counter = Counter()
    rooms = target.other_room_paths or [target.room_path]
    gate = asyncio.Semaphore(50)

    async def one(i: int) -> ClientConnection | None:
        async with gate:
            return await _join(target, rooms[i % len(rooms)], ABUSER, counts)

    sockets = [ws for ws in await asyncio.gather(*(one(i) for i in range(IDLE_SOCKETS))) if ws]
    ready.set()
    await asyncio.gather(*(_drain(ws, stop) for ws in sockets))
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return dict(counts)


async def join_storm(target: Target, stop: asyncio.Event, ready: asyncio.Event) -> dict:
    """300 visitors from 300 addresses join the probes' room at once, stay 1-2 s, leave and join
    again, until the end."""
    counts: Counter = Counter()

    async def visitor(i: int) -> None:
        address = f"127.0.1.{1 + i % 250}" if i < 250 else f"127.0.3.{1 + i % 250}"
        while not stop.is_set():
            ws = await _join(target, target.room_path, address, counts)
            ready.set()
            if ws is None:
                await asyncio.sleep(1.0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_drain(ws, stop), random.uniform(1.0, 2.0))
            await ws.close()

    await asyncio.gather(*(visitor(i) for i in range(JOIN_STORM)))
    return dict(counts)


async def hand_toggling(target: Target, stop: asyncio.Event, ready: asyncio.Event) -> dict:
    """100 followers, each from its own address, raise and lower their hands as fast as the
    server lets them (20 frames a second each, the per-connection rate)."""
    counts: Counter = Counter()

    async def follower(i: int) -> None:
        ws = await _join(target, target.tour_path, f"127.0.2.{1 + i}", counts)
        if ws is None:
            return
        raised = False

        async def toggle() -> None:
            nonlocal raised
            while not stop.is_set():
                raised = not raised
                try:
                    await ws.send(json.dumps({"type": "hand", "raised": raised}))
                except ConnectionClosed:
                    counts["closed while toggling"] += 1
                    return
                counts["hand frames sent"] += 1
                await asyncio.sleep(0.05)

        async def read() -> None:
            while not stop.is_set():
                try:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 1.0))
                except TimeoutError:
                    continue
                except ConnectionClosed:
                    return
                if frame.get("type") == "error":
                    counts[f"error {frame.get('code')}"] += 1

        await asyncio.gather(toggle(), read())
        await ws.close()

    tasks = [asyncio.create_task(follower(i)) for i in range(FOLLOWERS)]
    await asyncio.sleep(3)
    ready.set()
    await asyncio.gather(*tasks)
    return dict(counts)


SCENARIOS = {
    "search flood (1 address)": search_flood,
    "plan flood (1 address)": plan_flood,
    "1,000 idle websockets (1 address)": idle_sockets,
    "join storm (300 addresses, 1 room)": join_storm,
    "100 followers toggling hands": hand_toggling,
}
