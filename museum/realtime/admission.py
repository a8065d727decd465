"""An exact room cap across ASGI processes: admission is one atomic Redis script.

Each process records, per room, how many active members it holds and when it last said so (on
Redis's clock). Admitting a joiner sums the fresh records of every process and, below the cap,
counts the joiner in, all in one script, so two processes admitting at the same instant cannot both
take the last place. A process that stops refreshing (crashed) stops counting after `TTL_MS`.

The same scripts keep the per-address connection cap (connections.py) across processes, with a
longer lifetime (`ADDRESS_TTL_MS`): an address's record is refreshed every few seconds, not every
tick.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

TTL_MS = 3000
ADDRESS_TTL_MS = 30_000

_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)"

ADMIT = (
    _NOW
    + """
local ttl, cap, me = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local total, mine = 0, 0
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local count, stamp = string.match(entries[i + 1], '(%d+):(%d+)')
  if now - tonumber(stamp) <= ttl then
    total = total + tonumber(count)
    if entries[i] == me then mine = tonumber(count) end
  end
end
if total >= cap then return 0 end
redis.call('HSET', KEYS[1], me, (mine + 1) .. ':' .. now)
redis.call('PEXPIRE', KEYS[1], ttl * 20)
return 1
"""
)

REPORT = (
    _NOW
    + """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. now)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 20)
return 1
"""
)


class RedisAdmission:
    """Room admission and per-process active counts kept in Redis."""

    def __init__(self, url: str, origin: str) -> None:
        import redis.asyncio as redis

        self.client = redis.from_url(url)
        self.origin = origin
        self.admit_script = self.client.register_script(ADMIT)
        self.report_script = self.client.register_script(REPORT)

    @staticmethod
    def key(room_key: str) -> str:
        return f"mouseion:presence:{room_key}"

    @staticmethod
    def address_key(address: str) -> str:
        return f"mouseion:ws-address:{address}"

    async def admit(self, room_key: str, cap: int) -> bool | None:
        """True: an active place is taken for the joiner; False: full; None: Redis unreachable."""
        return await self._admit(self.key(room_key), cap, TTL_MS)

    async def report(self, room_key: str, active: int) -> None:
        """This process's active members in the room now (also keeps its record fresh)."""
        await self._report({self.key(room_key): active}, TTL_MS)

    async def admit_address(self, address: str, cap: int) -> bool | None:
        """Count one more connection from `address` on this process unless all processes
        together hold `cap` already (None: Redis unreachable)."""
        return await self._admit(self.address_key(address), cap, ADDRESS_TTL_MS)

    async def report_addresses(self, counts: dict[str, int]) -> None:
        """This process's connections per address now, in one round trip."""
        await self._report(
            {self.address_key(address): count for address, count in counts.items()},
            ADDRESS_TTL_MS,
        )

    async def _admit(self, key: str, cap: int, ttl_ms: int) -> bool | None:
        try:
            admitted = await self.admit_script(keys=[key], args=[ttl_ms, cap, self.origin])
        except Exception:
            logger.warning("admission through Redis failed for %s", key, exc_info=True)
            return None
        return bool(admitted)

    async def _report(self, counts: dict[str, int], ttl_ms: int) -> None:
        if not counts:
            return
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for key, count in counts.items():
                    await self.report_script(
                        keys=[key], args=[self.origin, count, ttl_ms], client=pipe
                    )
                await pipe.execute()
        except Exception:
            logger.debug("could not report %d counts", len(counts), exc_info=True)


_admission: dict[str, Any] = {}


def admission_for(url: str, origin: str) -> RedisAdmission:
    """One client per process (and per Redis URL)."""
    if url not in _admission:
        _admission[url] = RedisAdmission(url, origin)
    return _admission[url]
