"""The planner's interest model fed by observed dwell: plans move towards objects visitors
linger at, and nothing changes without data (or with the prior turned off)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest
from django.core.cache import cache

from museum.analytics import collect
from museum.analytics.services import flush_counts
from museum.models import Floor, Passage, Room
from museum.planning.interest import dwell_factors, interest_scores, with_observed_dwell
from museum.planning.services import plan_for_visitor
from tests.unit.factories import make_artifact, make_exhibition


def test_no_observation_changes_nothing():
    interest = interest_scores(["a bronze horse", "a painted lady"], query_terms=["bronze"])
    same = with_observed_dwell(interest, {}, weight=0.5)
    assert np.array_equal(same.prizes, interest.prizes)
    assert np.array_equal(dwell_factors(3, {}, weight=0.5), np.ones(3))


def test_well_dwelt_objects_gain_and_few_observations_barely_move():
    many = {0: (400, 400 * 120.0), 1: (400, 400 * 30.0), 2: (400, 400 * 60.0)}
    factors = dwell_factors(4, many, weight=0.5)
    assert factors[0] > factors[2] > factors[1]
    assert factors[3] == 1.0  # never observed: neutral
    few = {0: (5, 5 * 120.0), 1: (400, 400 * 30.0), 2: (400, 400 * 60.0)}
    shrunk = dwell_factors(4, few, weight=0.5)
    assert 1.0 < shrunk[0] < factors[0]  # 5 views pull less than 400
    assert np.allclose(dwell_factors(3, many, weight=0.0), 1.0)


def test_must_see_objects_keep_their_prize():
    interest = interest_scores(["a", "b"], liked_index=1)
    blended = with_observed_dwell(interest, {0: (100, 100.0), 1: (100, 1.0)}, weight=1.0)
    assert blended.prizes[1] == interest.prizes[1]


@pytest.fixture
def two_rooms(settings) -> Iterator[dict]:
    """hall (entrance and exit) -> east or west: time for one side only; one object in each."""
    settings.MOUSEION_ANALYTICS = True
    settings.MOUSEION_ANALYTICS_FLUSH_SECONDS = 3600.0
    collect.TALLY.take()
    cache.clear()
    floor = Floor.objects.create(name="Ground", level=0)
    hall = Room.objects.create(floor=floor, code="hall", name="Hall", x_m=10, y_m=20,
                               is_entrance=True, is_exit=True)  # fmt: skip
    east = Room.objects.create(floor=floor, code="east", name="East", x_m=20, y_m=10)
    west = Room.objects.create(floor=floor, code="west", name="West", x_m=0, y_m=10)
    Passage.objects.create(from_room=hall, to_room=east, walking_seconds=30)
    Passage.objects.create(from_room=hall, to_room=west, walking_seconds=30)
    vase = make_artifact(title="Vase")
    bowl = make_artifact(title="Bowl")
    exhibition = make_exhibition(vase, bowl)
    for item, room in zip(exhibition.items.order_by("order"), [east, west], strict=True):
        item.room = room
        item.save(update_fields=["room"])
    yield {"vase": vase, "bowl": bowl}
    collect.TALLY.take()


def looked_at(client, artifact, seconds: float, times: int) -> None:
    """Visitors' beacons through the real view (then written to the counters)."""
    for _ in range(times):
        body = json.dumps({"artifact": artifact.pk, "dwell": seconds})
        response = client.post("/analytics/beacon", body, content_type="application/json")
        assert response.status_code == 204
    flush_counts()


def stops(plan: dict) -> list[str]:
    return [stop["artifact"]["title"] for stop in plan["stops"]]


@pytest.mark.django_db
def test_plans_move_towards_the_objects_visitors_dwell_on(client, two_rooms, settings):
    before = stops(plan_for_visitor(minutes=3))
    assert len(before) == 1  # time for one side only
    chosen, other = (
        (two_rooms["vase"], two_rooms["bowl"])
        if before == ["Vase"]
        else (two_rooms["bowl"], two_rooms["vase"])
    )
    looked_at(client, chosen, 10, times=15)
    looked_at(client, other, 240, times=15)
    assert stops(plan_for_visitor(minutes=3)) == [other.title]
    settings.MOUSEION_PLAN_DWELL_PRIOR = False
    assert stops(plan_for_visitor(minutes=3)) == before


@pytest.mark.django_db
def test_counts_below_the_threshold_do_not_steer_plans(client, two_rooms):
    before = stops(plan_for_visitor(minutes=3))
    loser = two_rooms["bowl"] if before == ["Vase"] else two_rooms["vase"]
    looked_at(client, loser, 3000, times=4)  # fewer than MOUSEION_ANALYTICS_MIN_COUNT
    assert stops(plan_for_visitor(minutes=3)) == before
