"""Collection: what presence, the artifact page's beacon and live tours add to the counters.

Every function here only adds to the in-process buffer (tally.Tally) and, when a flush is due,
writes the buffer in the background (consumers) or at once (a request thread). Nothing that
names a person is read beyond the moment of counting: no address, session, user or user agent
is kept (the device class is decided from the headers and the headers dropped).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from museum.analytics.metrics import Metric
from museum.analytics.tally import Tally, dwell_bucket

log = logging.getLogger(__name__)

TALLY = Tally()
MAX_BUFFERED_CELLS = 2000
# One thread writes flushes started from the websocket loop, never asgiref's shared thread.
_FLUSHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analytics-flush")
_pending = False


def enabled() -> bool:
    return bool(getattr(settings, "MOUSEION_ANALYTICS", True))


def opted_out(headers: Mapping[str, str]) -> bool:
    """Global Privacy Control (Sec-GPC: 1) or Do Not Track (DNT: 1): not counted at all.
    `headers` maps lower-case names to values."""
    return headers.get("sec-gpc", "").strip() == "1" or headers.get("dnt", "").strip() == "1"


def scope_headers(scope: Mapping[str, object]) -> dict[str, str]:
    """The few headers counting looks at, from an ASGI scope (others are not decoded)."""
    wanted = {b"sec-gpc", b"dnt", b"user-agent", b"sec-ch-ua-mobile"}
    found: dict[str, str] = {}
    raw = scope.get("headers") or []
    assert isinstance(raw, Iterable)
    for name, value in raw:
        if name in wanted:
            found[name.decode("latin-1")] = value.decode("latin-1")
    return found


def max_dwell() -> float:
    return float(getattr(settings, "MOUSEION_ANALYTICS_MAX_DWELL_SECONDS", 3600))


def clamp_dwell(seconds: float) -> float:
    return min(max(0.0, float(seconds)), max_dwell())


_day: tuple[float, date] = (0.0, date.min)  # (monotonic expiry, the museum's day)


def _today() -> date:
    """The museum's local date, re-read every few seconds: timezone.localdate() costs ~20 us
    (asgiref's Local), several times per counted event."""
    global _day
    now = time.monotonic()
    if now >= _day[0]:
        _day = (now + 5.0, timezone.localdate())
    return _day[1]


def _add(metric: str, key: str, bucket: int = 0, n: int = 1) -> None:
    TALLY.add(_today(), metric, key, bucket, n)


def _dwell(count_metric: str, hist: str, total: str, key: str, seconds: float) -> None:
    seconds = clamp_dwell(seconds)
    _add(count_metric, key)
    _add(hist, key, dwell_bucket(seconds))
    _add(total, key, 0, round(seconds))


def room_visit(*, room: int, seconds: float, came_from: int | None) -> None:
    """A presence socket that sent poses left `room` after `seconds`; `came_from` is the room
    the same page was in just before (linked by the page itself, never stored)."""
    if not enabled():
        return
    _dwell(Metric.ROOM_VISIT, Metric.ROOM_DWELL, Metric.ROOM_DWELL_SECONDS, str(room), seconds)
    if came_from is not None and came_from != room:
        _add(Metric.ROOM_PATH, f"{came_from}>{room}")


def artifact_view(*, artifact: int, seconds: float) -> None:
    if enabled():
        _dwell(
            Metric.ARTIFACT_VIEW,
            Metric.ARTIFACT_DWELL,
            Metric.ARTIFACT_DWELL_SECONDS,
            str(artifact),
            seconds,
        )


def device(*, device_class: str, mode: str) -> None:
    if enabled():
        _add(Metric.DEVICE, f"{device_class}/{mode}")


def tour_follower(*, code: str, share: float, reached_last: bool) -> None:
    """A follower left a live tour having been there for `share` of its stops. The key is the
    session's code until the flush resolves it to the authored tour."""
    if not enabled():
        return
    key = f"live:{code}"
    _add(Metric.TOUR_FOLLOWERS, key)
    _add(Metric.TOUR_SHARE, key, min(4, max(0, int(share * 4))))
    if reached_last:
        _add(Metric.TOUR_LAST_STOP, key)


def _settings_due() -> bool:
    seconds = float(getattr(settings, "MOUSEION_ANALYTICS_FLUSH_SECONDS", 30.0))
    return TALLY.due(seconds=seconds, max_cells=MAX_BUFFERED_CELLS)


def flush_if_due() -> None:
    """From a request thread: write the buffer now when it is due."""
    if _settings_due():
        _flush_logged()


def flush_soon() -> None:
    """From the event loop: write the buffer on the flush thread when it is due (one at a time)."""
    global _pending
    if _pending or not _settings_due():
        return
    _pending = True
    _FLUSHER.submit(_flush_in_thread)


def _flush_in_thread() -> None:
    global _pending
    try:
        close_old_connections()
        _flush_logged()
    finally:
        close_old_connections()
        _pending = False


def _flush_logged() -> None:
    from museum.analytics.services import flush_counts

    try:
        flush_counts()
    except Exception:  # a locked or unreachable database: the increments were put back
        log.warning("visit analytics: flush failed; retried later", exc_info=True)
