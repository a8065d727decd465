"""The exact cross-process room cap (museum/realtime/admission.py) on the stack's real Redis."""

from __future__ import annotations

import asyncio
import os
import secrets

import pytest

from museum.realtime.admission import TTL_MS, RedisAdmission

pytestmark = [pytest.mark.scaled, pytest.mark.asyncio]


async def test_two_processes_admitting_at_once_never_exceed_the_cap():
    url = os.environ["REDIS_URL"]
    room = f"room:test-{secrets.token_hex(4)}"
    a, b = RedisAdmission(url, "process-a"), RedisAdmission(url, "process-b")
    try:
        # 20 joiners race for 5 places, alternately through each process.
        answers = await asyncio.gather(*(p.admit(room, 5) for _ in range(10) for p in (a, b)))
        assert answers.count(True) == 5
        admitted_by_a = sum(answers[0::2])
        # Process B's members all left: only A's count remains, so B can admit the difference.
        await b.report(room, 0)
        again = [await b.admit(room, 5) for _ in range(8)]
        assert again.count(True) == 5 - admitted_by_a
        # Both processes go silent (crashed): their records stop counting after the TTL.
        await asyncio.sleep(TTL_MS / 1000 + 0.3)
        fresh = [await a.admit(room, 5) for _ in range(6)]
        assert fresh == [True] * 5 + [False]
    finally:
        await a.client.aclose()
        await b.client.aclose()
