"""The dashboard's and the CSV's figures for a date range, suppressed.

Every count below MOUSEION_ANALYTICS_MIN_COUNT becomes None (shown "< k"), and so does every
figure derived from too few: a dwell average or median over fewer than k visits, a completion
rate whose numerator, denominator or complement is below k.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Sum

from museum.analytics.metrics import Metric
from museum.analytics.models import VisitCount
from museum.analytics.tally import histogram_median

TOP_OBJECTS = 20
TOP_PATHS = 15


def min_count() -> int:
    return max(1, int(getattr(settings, "MOUSEION_ANALYTICS_MIN_COUNT", 5)))


def kept(value: int, k: int) -> int | None:
    """A count, or None when it is below k (zero stays zero: nobody to protect)."""
    return value if value == 0 or value >= k else None


@dataclass
class Report:
    start: date
    end: date
    k: int
    rooms: list[dict[str, Any]] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)
    objects_hidden: int = 0
    paths: list[dict[str, Any]] = field(default_factory=list)
    matrix: dict[str, Any] = field(default_factory=dict)
    tours: list[dict[str, Any]] = field(default_factory=list)
    devices: list[dict[str, Any]] = field(default_factory=list)
    days: list[dict[str, Any]] = field(default_factory=list)


def _sums(start: date, end: date, metrics: list[str]) -> dict[tuple[str, str, int], int]:
    rows = (
        VisitCount.objects.filter(day__gte=start, day__lte=end, metric__in=metrics)
        .values("metric", "key", "bucket")
        .annotate(total=Sum("value"))
    )
    return {(r["metric"], r["key"], r["bucket"]): int(r["total"]) for r in rows}


def _dwell_stats(
    sums: dict[tuple[str, str, int], int], key: str, visits: int, hist: str, total: str, k: int
) -> tuple[float | None, float | None]:
    """(average, median) in seconds, None when fewer than k visits."""
    if visits < k:
        return None, None
    histogram = {b: n for (m, kk, b), n in sums.items() if m == hist and kk == key}
    top = float(getattr(settings, "MOUSEION_ANALYTICS_MAX_DWELL_SECONDS", 3600))
    median = histogram_median(histogram, top=top)
    average = sums.get((total, key, 0), 0) / visits
    return round(average, 1), None if median is None else round(median, 1)


def _by_key(sums: dict[tuple[str, str, int], int], metric: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for (m, key, _b), n in sums.items():
        if m == metric:
            out[key] += n
    return out


def build_report(*, start: date, end: date) -> Report:
    """All the figures of the dashboard for [start, end], suppression applied."""
    from exhibits.models import Artifact
    from museum.models import Room, Tour

    k = min_count()
    report = Report(start=start, end=end, k=k)
    sums = _sums(start, end, [m.value for m in Metric])

    rooms = {r.pk: r for r in Room.objects.order_by("code", "pk")}
    visits = _by_key(sums, Metric.ROOM_VISIT)
    for pk, room in rooms.items():
        n = visits.get(str(pk), 0)
        average, median = _dwell_stats(
            sums, str(pk), n, Metric.ROOM_DWELL, Metric.ROOM_DWELL_SECONDS, k
        )
        label = f"{room.code} · {room.name}" if room.code else room.name
        report.rooms.append(
            {"id": pk, "label": label, "visits": kept(n, k), "average": average, "median": median}
        )

    views = _by_key(sums, Metric.ARTIFACT_VIEW)
    ids = [int(key) for key in views if key.isdigit()]
    titles = dict(Artifact.objects.filter(pk__in=ids).values_list("pk", "title"))
    ranked = sorted(((n, key) for key, n in views.items()), key=lambda t: (-t[0], t[1]))
    for n, key in ranked:
        if n < k or not key.isdigit() or int(key) not in titles:
            report.objects_hidden += 1
            continue
        if len(report.objects) >= TOP_OBJECTS:
            continue
        average, median = _dwell_stats(
            sums, key, n, Metric.ARTIFACT_DWELL, Metric.ARTIFACT_DWELL_SECONDS, k
        )
        report.objects.append(
            {"id": int(key), "label": titles[int(key)], "views": n, "average": average,
             "median": median}
        )  # fmt: skip

    paths = _by_key(sums, Metric.ROOM_PATH)
    cells: dict[tuple[int, int], int | None] = {}
    for key, n in paths.items():
        src, _sep, dst = key.partition(">")
        if src.isdigit() and dst.isdigit() and int(src) in rooms and int(dst) in rooms:
            cells[(int(src), int(dst))] = kept(n, k)
    ranked_paths = sorted(
        ((n, a, b) for (a, b), n in cells.items() if n is not None), key=lambda t: -t[0]
    )
    report.paths = [
        {"from": rooms[a].code or rooms[a].name, "to": rooms[b].code or rooms[b].name, "count": n}
        for n, a, b in ranked_paths[:TOP_PATHS]
    ]
    used = sorted({a for a, _ in cells} | {b for _, b in cells}, key=list(rooms).index)
    biggest = max([n for n in cells.values() if n is not None] or [1])
    names = [rooms[pk].code or rooms[pk].name for pk in used]
    report.matrix = {"rooms": names, "cells": []}
    for a, name in zip(used, names, strict=True):
        line = []
        for b in used:
            value = cells.get((a, b), 0)
            heat = 0 if not value else 1 + min(3, int(4 * value / (biggest + 1)))
            line.append({"value": value, "hidden": value is None, "heat": heat})
        report.matrix["cells"].append({"name": name, "cells": line})

    followers = _by_key(sums, Metric.TOUR_FOLLOWERS)
    last = _by_key(sums, Metric.TOUR_LAST_STOP)
    ids = [int(key) for key in followers if key.isdigit()]
    tour_titles = dict(Tour.objects.filter(pk__in=ids).values_list("pk", "title"))
    for key, n in sorted(followers.items(), key=lambda t: -t[1]):
        if not key.isdigit() or int(key) not in tour_titles:
            continue
        done = last.get(key, 0)
        shown_done = kept(done, k)
        if n - done and n - done < k:
            shown_done = None  # its complement would name fewer than k followers
        share = {b: sums.get((Metric.TOUR_SHARE, key, b), 0) for b in range(5)}
        rate = None
        if n >= k and shown_done is not None:
            rate = round(100 * done / n)
        report.tours.append(
            {"label": tour_titles[int(key)], "followers": kept(n, k), "last_stop": shown_done,
             "rate": rate, "share": {b: kept(v, k) for b, v in share.items()}}
        )  # fmt: skip

    for key, n in sorted(_by_key(sums, Metric.DEVICE).items()):
        kind, _sep, mode = key.partition("/")
        report.devices.append({"device": kind, "mode": mode, "count": kept(n, k)})

    per_day: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry in (
        VisitCount.objects.filter(
            day__gte=start,
            day__lte=end,
            metric__in=[Metric.ROOM_VISIT, Metric.ARTIFACT_VIEW],
        )
        .values("day", "metric")
        .annotate(total=Sum("value"))
    ):
        per_day[entry["day"]][entry["metric"]] += int(entry["total"])
    day = start
    while day <= end:
        counts = per_day.get(day, {})
        report.days.append(
            {"day": day.isoformat(),
             "visits": kept(counts.get(Metric.ROOM_VISIT, 0), k),
             "views": kept(counts.get(Metric.ARTIFACT_VIEW, 0), k)}
        )  # fmt: skip
        day += timedelta(days=1)
    return report
