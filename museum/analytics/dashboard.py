"""The curators' dashboard (`/admin/analytics/`) and its CSV (`/admin/analytics.csv`).

Curators (the `museum.view_visitcount` permission) and superusers only; anyone else signed in
gets 403, a visitor the admin's login page. Figures come from report.build_report, suppressed.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from museum.analytics.report import Report, build_report

DEFAULT_DAYS = 30
MAX_DAYS = 366
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")


def may_see(user: Any) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and (user.is_superuser or user.has_perm("museum.view_visitcount"))
    )


def _guard(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), "admin:login")
    if not may_see(request.user):
        raise PermissionDenied
    return None


def date_range(params: Any) -> tuple[date, date, str | None]:
    """(start, end, error) from ?start=YYYY-MM-DD&end=...; the last 30 days by default."""
    today = timezone.localdate()
    start, end = today - timedelta(days=DEFAULT_DAYS - 1), today
    try:
        if params.get("start"):
            start = date.fromisoformat(params["start"])
        if params.get("end"):
            end = date.fromisoformat(params["end"])
    except ValueError:
        return today - timedelta(days=DEFAULT_DAYS - 1), today, _("Dates are YYYY-MM-DD.")
    if end < start:
        return start, start, _("The end comes before the start: showing one day.")
    if (end - start).days >= MAX_DAYS:
        return end - timedelta(days=MAX_DAYS - 1), end, _("At most a year is shown at once.")
    return start, end, None


def _less(k: int) -> str:
    return f"< {k}"


def chart_data(report: Report) -> dict[str, Any]:
    """What js/pages/analytics-dashboard.js draws: suppressed values are null (not drawn)."""
    return {
        "k": report.k,
        "rooms": {
            "labels": [r["label"] for r in report.rooms],
            "visits": [r["visits"] for r in report.rooms],
            "average": [r["average"] for r in report.rooms],
            "median": [r["median"] for r in report.rooms],
        },
        "objects": {
            "labels": [o["label"] for o in report.objects],
            "views": [o["views"] for o in report.objects],
            "average": [o["average"] for o in report.objects],
            "median": [o["median"] for o in report.objects],
        },
        "paths": {
            "labels": [f"{p['from']} → {p['to']}" for p in report.paths],
            "counts": [p["count"] for p in report.paths],
        },
        "tours": {
            "labels": [t["label"] for t in report.tours],
            "followers": [t["followers"] for t in report.tours],
            "last_stop": [t["last_stop"] for t in report.tours],
        },
        "devices": {
            "labels": [f"{d['device']} · {d['mode']}" for d in report.devices],
            "counts": [d["count"] for d in report.devices],
        },
        "days": {
            "labels": [d["day"] for d in report.days],
            "visits": [d["visits"] for d in report.days],
            "views": [d["views"] for d in report.days],
        },
        "strings": {
            "visits": _("Room visits"),
            "views": _("Object views"),
            "average": _("Average dwell (s)"),
            "median": _("Median dwell (s)"),
            "paths": _("Walks from room to room"),
            "followers": _("Followers"),
            "lastStop": _("Reached the last stop"),
            "devices": _("Page views"),
        },
    }


def analytics_dashboard(request: HttpRequest) -> HttpResponse:
    refused = _guard(request)
    if refused is not None:
        return refused
    start, end, error = date_range(request.GET)
    report = build_report(start=start, end=end)
    context = {
        **admin.site.each_context(request),
        "title": _("Visit analytics"),
        "report": report,
        "less": _less(report.k),
        "range_error": error,
        "charts": chart_data(report),
        "csv_query": f"start={start.isoformat()}&end={end.isoformat()}",
    }
    return render(request, "admin/analytics/dashboard.html", context)


def neutralised(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS_FIRST) else text


def csv_rows(report: Report) -> list[list[Any]]:
    def shown(value: Any) -> Any:
        return _less(report.k) if value is None else value

    rows: list[list[Any]] = [["section", "name", "measure", "value"]]
    for r in report.rooms:
        rows.append(["room", r["label"], "visits", shown(r["visits"])])
        rows.append(["room", r["label"], "average_dwell_s", shown(r["average"])])
        rows.append(["room", r["label"], "median_dwell_s", shown(r["median"])])
    for o in report.objects:
        rows.append(["object", o["label"], "views", o["views"]])
        rows.append(["object", o["label"], "average_dwell_s", shown(o["average"])])
        rows.append(["object", o["label"], "median_dwell_s", shown(o["median"])])
    for p in report.paths:
        rows.append(["path", f"{p['from']} > {p['to']}", "walks", p["count"]])
    for t in report.tours:
        rows.append(["tour", t["label"], "followers", shown(t["followers"])])
        rows.append(["tour", t["label"], "reached_last_stop", shown(t["last_stop"])])
        for quarter, n in t["share"].items():  # followers by the share of stops they were at
            low = 25 * quarter
            label = "all_stops" if quarter == 4 else f"stops_{low}_to_{low + 25}pc"
            rows.append(["tour", t["label"], f"followers_{label}", shown(n)])
    for d in report.devices:
        rows.append(["device", f"{d['device']}/{d['mode']}", "page_views", shown(d["count"])])
    for d in report.days:
        rows.append(["day", d["day"], "room_visits", shown(d["visits"])])
        rows.append(["day", d["day"], "object_views", shown(d["views"])])
    return rows


def analytics_csv(request: HttpRequest) -> HttpResponse:
    refused = _guard(request)
    if refused is not None:
        return refused
    start, end, _error = date_range(request.GET)
    report = build_report(start=start, end=end)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"mouseion-visits-{start.isoformat()}-{end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    for row in csv_rows(report):
        writer.writerow([neutralised(cell) for cell in row])
    return response
