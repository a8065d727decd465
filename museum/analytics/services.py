"""Writing the buffered counters, and the one read the planner makes of them."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from museum.analytics.metrics import Metric
from museum.analytics.models import VisitCount
from museum.analytics.tally import Cell


def _resolve_live_keys(cells: dict[Cell, int]) -> dict[Cell, int]:
    """Live tour cells are buffered under the session's code; count them under its tour."""
    from museum.models import LiveTour

    codes = {key[5:] for (_, _, key, _) in cells if key.startswith("live:")}
    if not codes:
        return cells
    tours = dict(LiveTour.objects.filter(code__in=codes).values_list("code", "tour_id"))
    resolved: dict[Cell, int] = {}
    for (day, metric, key, bucket), n in cells.items():
        if key.startswith("live:"):
            tour = tours.get(key[5:])
            if tour is None:
                continue  # the session was deleted meanwhile
            key = str(tour)
        cell = (day, metric, key, bucket)
        resolved[cell] = resolved.get(cell, 0) + n
    return resolved


def _increment(day: date, metric: str, key: str, bucket: int, n: int) -> None:
    cell = VisitCount.objects.filter(day=day, metric=metric, key=key, bucket=bucket)
    if cell.update(value=F("value") + n):
        return
    try:
        with transaction.atomic():  # a savepoint: another process may create the cell first
            VisitCount.objects.create(day=day, metric=metric, key=key, bucket=bucket, value=n)
    except IntegrityError:
        cell.update(value=F("value") + n)


def flush_counts() -> int:
    """Write every buffered increment in one transaction; returns how many cells changed. On
    failure the increments go back to the buffer, so nothing is lost or counted twice."""
    from museum.analytics.collect import TALLY

    cells = TALLY.take()
    if not cells:
        return 0
    try:
        with transaction.atomic():
            resolved = _resolve_live_keys(cells)
            for (day, metric, key, bucket), n in sorted(resolved.items()):
                _increment(day, metric, key, bucket, n)
    except Exception:
        TALLY.put_back(cells)
        raise
    return len(resolved)


def dwell_by_artifact(*, days: int, min_count: int) -> dict[int, tuple[int, float]]:
    """Object id -> (views, total dwell seconds) over the last `days` days, for objects seen at
    least `min_count` times (fewer are never used: the suppression rule holds here too)."""
    since = timezone.localdate() - timedelta(days=days)
    rows = (
        VisitCount.objects.filter(
            day__gte=since,
            metric__in=[Metric.ARTIFACT_VIEW, Metric.ARTIFACT_DWELL_SECONDS],
        )
        .values("metric", "key")
        .annotate(total=Sum("value"))
    )
    views: dict[int, int] = {}
    seconds: dict[int, float] = {}
    for row in rows:
        try:
            artifact = int(row["key"])
        except ValueError:
            continue
        if row["metric"] == Metric.ARTIFACT_VIEW:
            views[artifact] = int(row["total"])
        else:
            seconds[artifact] = float(row["total"])
    return {a: (n, seconds.get(a, 0.0)) for a, n in views.items() if n >= min_count}
