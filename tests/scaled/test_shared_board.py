"""The planner's crowd board shared across processes (museum/planning/shared_board.py) on the
stack's real Redis: two boards with different process ids stand for two ASGI processes."""

from __future__ import annotations

import asyncio
import os
import secrets

import pytest

from museum.planning import shared_board
from museum.planning.crowd import OccupancyBoard
from museum.planning.shared_board import SharedBoard

pytestmark = [pytest.mark.scaled, pytest.mark.asyncio]


def boards() -> tuple[SharedBoard, SharedBoard]:
    url = os.environ["REDIS_URL"]
    run = secrets.token_hex(3)
    return (
        SharedBoard(OccupancyBoard(), url, origin=f"a-{run}"),
        SharedBoard(OccupancyBoard(), url, origin=f"b-{run}"),
    )


async def settle(board: SharedBoard) -> None:
    await asyncio.sleep(0.2)
    board.cached = (0.0, {})  # read again, not the half-second cache


async def test_each_process_sees_the_others_visitors_and_not_its_own_twice():
    a, b = boards()
    room = f"room-{secrets.token_hex(3)}"
    for _ in range(3):
        a.board.enter(room)
        a.changed()
    b.board.enter(room)
    b.changed()
    await settle(a)
    await settle(b)
    assert b.others().get(room) == 3
    assert a.others().get(room) == 1
    assert b.expected(0.0)[room] == 4 and a.expected(0.0)[room] == 4
    for _ in range(3):
        a.board.leave(room)
    a.changed()
    await asyncio.sleep(shared_board.PUBLISH_SECONDS + 0.3)  # the publisher's next round
    await settle(b)
    assert room not in b.others()  # the empty publication removed A's field
    b.board.leave(room)
    b.changed()
    await asyncio.sleep(shared_board.PUBLISH_SECONDS + 0.3)
    for board in (a, b):
        await board.writer.aclose()


async def test_a_silent_process_stops_counting(monkeypatch):
    monkeypatch.setattr(shared_board, "TTL_MS", 400)
    a, b = boards()
    room = f"room-{secrets.token_hex(3)}"
    await a.publish({room: 5})  # and then never again: the process died
    await settle(b)
    assert b.others().get(room) == 5
    await asyncio.sleep(0.6)
    await settle(b)
    assert room not in b.others()
    for board in (a, b):
        await board.writer.aclose()


async def test_redis_away_plans_with_this_process_alone():
    board = SharedBoard(OccupancyBoard(), "redis://127.0.0.1:1/0", origin="lonely")
    board.board.enter("7")
    await board.publish({"7": 1})  # logged, not raised
    assert board.others() == {}
    assert board.expected(0.0) == {"7": 1.0}
    await board.writer.aclose()
