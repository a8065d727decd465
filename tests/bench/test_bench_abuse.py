"""Benchmark: the museum under abuse (issue #17), on loopback, bounded in count and time.

One museum as `make run` starts it (uvicorn and a Celery worker on the single profile, the demo
seeded: the `live_museum` fixture). For each scenario in tests/bench/abuse_load/attacks.py (a
search flood and a plan flood from one address, 1,000 idle websockets from one address, a join
storm of 300 addresses into one room, 100 followers toggling hands), a normal visitor's p50/p99
latency of a page view, of pose→seen in a room, and of the guide's `goto` reaching a follower is
measured twice in the same run: just before, without the abuse (the baseline), and during it.
It prints one table with both, the p99 ratio, and what the server served and refused.

Figures are reported, not asserted; it fails only when a measurement cannot be trusted (a probe
with no samples, e.g. the normal visitor itself refused).
MOUSEION_BENCH_ABUSE_SECONDS: measured seconds per phase (default 10).
MOUSEION_BENCH_ABUSE_ONLY: comma-separated scenario names (substrings) to run (default all)."""

from __future__ import annotations

import asyncio
import json
import logging
import os

import pytest

from tests.bench.abuse_load import attacks
from tests.bench.abuse_load.probes import Samples, Target, measure
from tests.conftest import LiveMuseum

SECONDS = float(os.environ.get("MOUSEION_BENCH_ABUSE_SECONDS", "10"))
ONLY = [s.strip() for s in os.environ.get("MOUSEION_BENCH_ABUSE_ONLY", "").split(",") if s.strip()]

# Runs in `manage.py shell` on the live museum: a live session of the demo tour led by the demo
# educator, a session cookie for them (as if they had logged in), and the rooms. One JSON line.
SEED = """
import json
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from museum.models import Room, Tour
from museum.tours.services import start_live_tour

guide = get_user_model().objects.get(username="educator")
tour = Tour.objects.filter(stops__isnull=False).distinct().first()
live = start_live_tour(tour=tour, guide=guide)
session = SessionStore()
session[SESSION_KEY] = str(guide.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = guide.get_session_auth_hash()
session.create()
print(json.dumps({
    "tour": live.code, "stops": tour.stops.count(),
    "rooms": list(Room.objects.order_by("pk").values_list("pk", flat=True)),
    "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
}))
"""


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def row(scenario: str, base: dict[str, Samples], abused: dict[str, Samples], report: dict) -> str:
    cells = [scenario]
    for probe in ("page", "pose", "goto"):
        b99, a99 = base[probe].p(0.99), abused[probe].p(0.99)
        ratio = f"{a99 / b99:.2f}x" if a99 and b99 else "-"
        before = f"{fmt(base[probe].p(0.5))}/{fmt(b99)}"
        cells.append(f"{before} -> {fmt(abused[probe].p(0.5))}/{fmt(a99)} ({ratio})")
    served_refused = ", ".join(f"{k}: {v}" for k, v in sorted(report.items()))
    cells.append(served_refused)
    return " | ".join(cells)


@pytest.fixture(autouse=True)
def _quiet_http_log() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)


@pytest.fixture(scope="module")
def target(live_museum: LiveMuseum) -> Target:
    seeded = json.loads(live_museum.manage("shell", "-c", SEED).stdout.strip().splitlines()[-1])
    rooms = [f"/ws/rooms/{pk}/" for pk in seeded["rooms"]]
    assert rooms, "the demo floor plan has no rooms"
    return Target(
        http_url=live_museum.url,
        ws_url=live_museum.url.replace("http://", "ws://"),
        room_path=rooms[0],
        other_room_paths=rooms[1:],
        tour_path=f"/ws/tours/{seeded['tour']}/",
        guide_cookie=seeded["cookie"],
        stops=seeded["stops"],
    )


def test_abuse_table(target: Target) -> None:
    lines = [
        "scenario | page ms p50/p99 base -> abused (p99 ratio) | pose->seen ms | guide goto ms "
        "| served and refused",
    ]
    untrusted = []
    for name in attacks.SCENARIOS:
        if ONLY and not any(part in name for part in ONLY):
            continue
        base, _ = asyncio.run(measure(target, SECONDS))
        abused, report = asyncio.run(measure(target, SECONDS, name))
        lines.append(row(name, base, abused, report))
        print(lines[-1], flush=True)
        for phase, samples in (("baseline", base), ("abused", abused)):
            for probe, s in samples.items():
                if not s.ms:
                    why = f"no samples ({s.failures} failed)"
                    untrusted.append(f"{name}: {phase} {probe} has {why}")
                elif s.failures:
                    lines.append(f"  note: {phase} {probe}: {s.failures} failed requests or moves")
    print("\n" + "\n".join(lines), flush=True)
    assert not untrusted, "\n".join(untrusted)
