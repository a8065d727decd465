"""`manage.py simulate_day`: one JSON line per day, the same arrivals for every routing."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

SMALL = ["--visitors", "40", "--hours", "1", "--rooms", "9", "--objects", "30", "--seed", "4"]


def simulate(*args: str) -> dict:
    out = io.StringIO()
    call_command("simulate_day", *SMALL, *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_each_routing_prints_its_day_as_one_json_line() -> None:
    routings = ("selfish", "aware", "replan", "learned")
    days = {routing: simulate("--routing", routing) for routing in routings}
    for routing, day in days.items():
        assert day["routing"] == routing and day["visitors"] == 40 and day["seed"] == 4
        assert day["queue_minutes"] >= 0 and day["p95_wait_minutes"] >= 0
        assert day["interest_per_visitor"] > 0
        assert 0 <= day["gave_up_share"] <= day["overran_share"] <= 1
        assert day["queue_minutes"] == pytest.approx(day["queue_minutes_per_visitor"] * 40, abs=0.1)
    # A seeded day is reproducible, the learned routing's too.
    for routing in ("aware", "learned"):
        assert simulate("--routing", routing) | {"seconds": 0} == days[routing] | {"seconds": 0}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--visitors", "0"], "--visitors must be at least 1"),
        (["--hours", "30"], "--hours must be between 0 and 24"),
        (["--routing", "teleport"], "invalid choice"),
    ],
)
def test_bad_input_is_refused_clearly(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("simulate_day", *args, stdout=io.StringIO())
