"""Token buckets: the rate limits of websocket frames, tour requests and the HTTP flood guard.
Framework-free."""

from __future__ import annotations

import time


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
    PRUNE_EVERY = 1.0  # seconds: with many active keys, pruning on every take would cost O(keys)

    def __init__(self) -> None:
        self.buckets: dict[str, TokenBucket] = {}
        self.next_prune = 0.0

    def take(self, key: str, *, rate: float, burst: float, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        if len(self.buckets) > self.PRUNE_ABOVE and now >= self.next_prune:
            self.next_prune = now + self.PRUNE_EVERY
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
