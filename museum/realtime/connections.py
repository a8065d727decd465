"""Websocket connections per client address: a cap, counted per process and, with Redis, across
processes.

Single profile: one ASGI process, so the in-process count is the whole count. Scaled profile:
admission is the same atomic Redis script as the room cap (admission.py): each process records
how many connections it holds per address, and a new one is let in only while the fresh records
of all processes sum to less than the cap. Records are refreshed every `REFRESH_SECONDS` and
expire after `ADDRESS_TTL_MS`, so a crashed process's connections stop counting. When Redis does
not answer, the process falls back to its own count (the cap then holds per process).

Framework-free: the consumers pass the address (museum.common.addresses) and the cap from
settings.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from museum.common.addresses import client_address, scope_address

__all__ = ["AddressGate", "address_gate", "client_address", "scope_address"]

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 10.0


class AddressGate:
    """This process's connections per address, and the cross-process admission when linked."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        # RedisAdmission (admission.py) on the scaled profile; None: count in this process only.
        self.admission: Any = None
        self.refresher: asyncio.Task[None] | None = None
        self.outbox: set[asyncio.Task[None]] = set()

    def held(self, address: str) -> int:
        return self.counts.get(address, 0)

    async def take(self, address: str, cap: int) -> bool:
        """Count a new connection from `address`; False (nothing counted) when it would exceed
        `cap`."""
        if self.held(address) >= cap:
            return False
        # Counted before the await, so concurrent handshakes on this process see each other.
        self.counts[address] = self.held(address) + 1
        if self.admission is not None:
            self._start_refresher()
            admitted = await self.admission.admit_address(address, cap)
            if admitted is False:
                self._drop(address)
                return False
        return True

    def release(self, address: str) -> None:
        """A connection from `address` ended (call exactly once per successful `take`)."""
        self._drop(address)
        if self.admission is not None:
            task = asyncio.get_running_loop().create_task(
                self.admission.report_addresses({address: self.held(address)})
            )
            self.outbox.add(task)
            task.add_done_callback(self.outbox.discard)

    def _drop(self, address: str) -> None:
        left = self.held(address) - 1
        if left > 0:
            self.counts[address] = left
        else:
            self.counts.pop(address, None)

    def _start_refresher(self) -> None:
        if self.refresher is None or self.refresher.done():
            self.refresher = asyncio.get_running_loop().create_task(self._refresh_forever())

    async def _refresh_forever(self) -> None:
        """Keep this process's records fresh in Redis while it holds any connection."""
        while self.counts:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                await self.admission.report_addresses(dict(self.counts))
            except Exception:  # never end the refresher on one failure
                logger.debug("could not refresh address counts", exc_info=True)


_gate = AddressGate()


def address_gate() -> AddressGate:
    """The process's gate (one per process, like the rooms)."""
    return _gate
