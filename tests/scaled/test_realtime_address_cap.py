"""Websockets per client address (museum/realtime/connections.py) across the stack's two ASGI
processes: the cap is one count in Redis, not one per process."""

from __future__ import annotations

import asyncio
import json
import os

import pytest
from websockets.exceptions import ConnectionClosed

from tests.integration.test_realtime_live import next_frame, open_socket, room_ids
from tests.scaled.conftest import Stack

pytestmark = [pytest.mark.scaled, pytest.mark.asyncio]

CAP = int(os.environ.get("REALTIME_MAX_CONNECTIONS_PER_ADDRESS", "64"))


async def test_one_address_holds_the_cap_across_both_processes(stack: Stack):
    path = f"/ws/rooms/{room_ids(stack.museum)[0]}/"
    processes = [stack.upstream("web1"), stack.upstream("web2")]
    admitted: dict[str, list] = {"web1": [], "web2": []}
    refused = None
    try:
        # Alternately on each process, straight (both see 127.0.0.1): each alone holds about
        # half the cap, so only a shared count refuses the connection past it.
        for n in range(CAP + 4):
            name = ("web1", "web2")[n % 2]
            socket = await open_socket(processes[n % 2], path)
            first = json.loads(await asyncio.wait_for(socket.recv(), 5))
            if first["type"] != "welcome":
                raise AssertionError(f"unexpected first frame {first}")
            admitted[name].append(socket)
    except ConnectionClosed as closed:
        refused = closed
    total = len(admitted["web1"]) + len(admitted["web2"])
    try:
        assert refused is not None and refused.rcvd is not None, f"{total} admitted, none refused"
        assert refused.rcvd.code == 4029 and "Too many connections" in refused.rcvd.reason
        # Sockets of earlier tests may still be closing: at most a couple are counted.
        assert CAP - 2 <= total <= CAP
        assert min(len(admitted["web1"]), len(admitted["web2"])) >= CAP // 2 - 2
    finally:
        for sockets in admitted.values():
            for socket in sockets:
                await socket.close()
    # Freed places are taken again, on either process.
    await asyncio.sleep(0.5)
    for process in processes:
        again = await open_socket(process, path)
        assert (await next_frame(again, "welcome"))["type"] == "welcome"
        await again.close()
