"""The in-process buffer of counter increments, and the arithmetic of dwell histograms.

Framework-free. Collection adds increments here (a dict update under a lock: cheap enough for
the websocket loop); services.flush_counts() takes them and writes `F("value") + n` in one
transaction, so the hot path never waits for the database and no per-visitor row ever exists.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import Counter
from collections.abc import Mapping
from datetime import date

# Upper edges of the dwell bins in seconds; bin i holds [EDGES[i-1], EDGES[i]), the last bin
# everything from the last edge up to the clamp.
DWELL_EDGES: tuple[int, ...] = (5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1800, 3600)

Cell = tuple[date, str, str, int]  # day, metric, key, bucket


def dwell_bucket(seconds: float) -> int:
    """The histogram bin of a dwell time (seconds >= 0)."""
    return bisect.bisect_right(DWELL_EDGES, seconds)


def bin_bounds(bucket: int, *, top: float) -> tuple[float, float]:
    low = 0.0 if bucket == 0 else float(DWELL_EDGES[bucket - 1])
    high = float(DWELL_EDGES[bucket]) if bucket < len(DWELL_EDGES) else max(top, low)
    return low, high


def histogram_median(counts: Mapping[int, int], *, top: float) -> float | None:
    """The median dwell from binned counts, interpolated inside its bin; None when empty."""
    total = sum(n for n in counts.values() if n > 0)
    if total <= 0:
        return None
    half = total / 2
    seen = 0
    for bucket in sorted(counts):
        n = counts[bucket]
        if n <= 0:
            continue
        if seen + n >= half:
            low, high = bin_bounds(bucket, top=top)
            return low + (high - low) * (half - seen) / n
        seen += n
    return None  # unreachable: the loop reaches half


class Tally:
    """Thread-safe increments waiting for the next flush."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cells: Counter[Cell] = Counter()
        self._since = time.monotonic()

    def add(self, day: date, metric: str, key: str, bucket: int = 0, n: int = 1) -> None:
        with self._lock:
            self._cells[(day, metric, key, bucket)] += n

    def take(self) -> dict[Cell, int]:
        """Everything buffered so far, emptied from the buffer."""
        with self._lock:
            cells, self._cells = self._cells, Counter()
            self._since = time.monotonic()
        return {cell: n for cell, n in cells.items() if n}

    def put_back(self, cells: Mapping[Cell, int]) -> None:
        """Return increments a failed flush could not write (they are retried next time)."""
        with self._lock:
            self._cells.update(cells)

    def due(self, *, seconds: float, max_cells: int) -> bool:
        with self._lock:
            if not self._cells:
                return False
            return len(self._cells) >= max_cells or time.monotonic() - self._since >= seconds

    def __len__(self) -> int:
        with self._lock:
            return len(self._cells)
