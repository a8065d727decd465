"""The planner's crowd board across processes (scaled profile): every process's visitors count.

Each ASGI process keeps its own `OccupancyBoard` of the visitors posing on its sockets. With Redis,
a process that holds anyone publishes its counts once a second into one hash (a field per process,
stamped with Redis's clock), and a plan reads the other processes' fresh fields and adds them to
its own board, so a crowd-aware route sees the whole museum, not a share of it. A process that
stops publishing (crashed) stops counting after `TTL_MS`. Without Redis, or when it does not answer,
the board is this process's alone, as on the single-machine profile.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
import time

from museum.planning.crowd import OccupancyBoard

logger = logging.getLogger(__name__)

KEY = "mouseion:occupancy"
PUBLISH_SECONDS = 1.0
TTL_MS = 5000
# Plans in a burst share one read of the others' counts.
READ_CACHE_SECONDS = 0.5

# One field per process: the host and pid say which, the token tells a restarted pid apart.
PROCESS_ID = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"

_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)"

PUBLISH = (
    _NOW
    + """
if ARGV[2] == '{}' then redis.call('HDEL', KEYS[1], ARGV[1]) return 1 end
redis.call('HSET', KEYS[1], ARGV[1], now .. '|' .. ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 4)
return 1
"""
)

# The fresh fields of every process but the caller's; stale ones are removed on the way.
READ_OTHERS = (
    _NOW
    + """
local out = {}
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local stamp, counts = string.match(entries[i + 1], '^(%d+)|(.*)$')
  if stamp == nil or now - tonumber(stamp) > tonumber(ARGV[2]) then
    redis.call('HDEL', KEYS[1], entries[i])
  elseif entries[i] ~= ARGV[1] then
    table.insert(out, counts)
  end
end
return out
"""
)


class SharedBoard:
    """This process's board, published to Redis, and the other processes' counts read back."""

    def __init__(self, board: OccupancyBoard, url: str, *, origin: str = PROCESS_ID) -> None:
        import redis
        import redis.asyncio as aioredis

        self.board = board
        self.origin = origin
        self.reader = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.writer = aioredis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.read_others_script = self.reader.register_script(READ_OTHERS)
        self.publish_script = self.writer.register_script(PUBLISH)
        self.publisher: asyncio.Task[None] | None = None
        self.cached: tuple[float, dict[str, int]] = (0.0, {})

    def changed(self) -> None:
        """The board changed (called on the event loop by presence): publish from now on."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not in an event loop (a management command): nothing to share
            return
        if self.publisher is None or self.publisher.done():
            self.publisher = loop.create_task(self._publish_while_anyone())

    async def _publish_while_anyone(self) -> None:
        """Publish every PUBLISH_SECONDS while this process counts anyone; the last, empty
        publication removes the field."""
        while True:
            counts = {room: n for room, n in self.board.present().items() if n > 0}
            await self.publish(counts)
            if not counts:
                return
            await asyncio.sleep(PUBLISH_SECONDS)

    async def publish(self, counts: dict[str, int]) -> None:
        try:
            await self.publish_script(
                keys=[KEY], args=[self.origin, json.dumps(counts, sort_keys=True), TTL_MS]
            )
        except Exception:  # Redis away: peers drop our field after TTL_MS; next second retries
            logger.warning("could not publish the crowd board", exc_info=True)

    def others(self) -> dict[str, int]:
        """Visitors per room on the other processes (empty when Redis does not answer)."""
        at, counts = self.cached
        if time.monotonic() - at < READ_CACHE_SECONDS:
            return counts
        try:
            fields = self.read_others_script(keys=[KEY], args=[self.origin, TTL_MS])
        except Exception:
            logger.warning("could not read the shared crowd board; planning with this process's")
            fields = []
        counts = {}
        for raw in fields:
            for room, n in json.loads(raw).items():
                counts[room] = counts.get(room, 0) + int(n)
        self.cached = (time.monotonic(), counts)
        return counts

    def expected(self, now: float) -> dict[str, float]:
        """This process's board (present and reserved) plus the other processes' visitors."""
        load = self.board.expected(now)
        for room, n in self.others().items():
            load[room] = load.get(room, 0.0) + n
        return load
