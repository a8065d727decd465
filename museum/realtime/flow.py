"""Flow control for one connection: a token bucket for what it sends, and sends that never block.

A room's tick writes one snapshot to every connection in turn. An ASGI `send` awaits while the
client's transport is paused (it stopped reading), so a single slow or hostile client would stall
the whole room. `start_send` runs the send's coroutine up to its first suspension: a healthy client
completes there, synchronously, at no extra cost; a paused one is finished by a task, and the room
skips that client until it has drained (snapshots are full state: a skipped one loses nothing).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any


class TokenBucket:
    """`rate` tokens per second up to `burst`; `take()` spends one or says there is none."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def take(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class KeyedBuckets:
    """A token bucket per key (a person, across their connections). A bucket that has refilled
    to its burst is forgotten: a new one starts full, so forgetting it changes nothing, and memory
    holds only the keys active in the last `burst / rate` seconds."""

    PRUNE_ABOVE = 256

    def __init__(self) -> None:
        self.buckets: dict[str, TokenBucket] = {}

    def take(self, key: str, *, rate: float, burst: float, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        if len(self.buckets) > self.PRUNE_ABOVE:
            self.buckets = {
                k: b
                for k, b in self.buckets.items()
                if b.tokens + (now - b.stamp) * b.rate < b.burst
            }
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = TokenBucket(rate, burst)
            bucket.stamp = now
        return bucket.take(now)


def start_send(coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[None] | None:
    """Run `coroutine` until it would wait; return None if it finished, else a task finishing it.

    Errors raised before the first suspension (the client went away) are swallowed: the
    connection's own receive loop sees the disconnect and removes it from the room.
    """
    try:
        waited_on = coroutine.send(None)
    except StopIteration:
        return None
    except Exception:
        coroutine.close()
        return None
    return asyncio.get_running_loop().create_task(_resume(coroutine, waited_on))


async def _resume(coroutine: Coroutine[Any, Any, Any], waited_on: Any) -> None:
    """Finish a coroutine that `start_send` left suspended on the asyncio future `waited_on`."""
    try:
        while True:
            if isinstance(waited_on, asyncio.Future):
                # The asyncio protocol: a coroutine yields the future it blocks on with this flag
                # set, and whoever drives it clears the flag and resumes it once the future is done.
                waited_on._asyncio_future_blocking = False
                await asyncio.wait([waited_on])
            try:
                waited_on = coroutine.send(None)
            except StopIteration:
                return
    except Exception:
        return
    finally:
        coroutine.close()
