"""Crowd model: BPR factors, the occupancy board, crowd-aware planning and a small day."""

from __future__ import annotations

import numpy as np
import pytest

from museum.planning.building import ObjectRecord, PassageRecord, RoomRecord, build_graph
from museum.planning.crowd import CROWD_PRICING, CrowdPricing, OccupancyBoard, congestion_factor
from museum.planning.day import compare, format_table, simulate_day, summarise
from museum.planning.interest import MUST_SEE, Interest
from museum.planning.planner import greedy_route, plan_visit


def test_congestion_factor_grows_with_occupancy() -> None:
    assert congestion_factor(0, 20) == 1.0
    assert congestion_factor(10, 20) == pytest.approx(1.0625)
    assert congestion_factor(20, 20) == pytest.approx(2.0)
    assert congestion_factor(30, 20) > 3.0


def test_board_counts_present_and_incoming_reserved_visitors() -> None:
    board = OccupancyBoard()
    board.enter("a", 3)
    board.leave("a")
    board.reserve("b", start=100, end=400, count=2)  # incoming, half the horizon
    board.reserve("a", start=0, end=400)  # already there: counted by presence
    load = board.expected(now=50, horizon=600)
    assert load["a"] == 2
    assert load["b"] == pytest.approx(2 * 300 / 600)
    assert board.expected(now=500).get("b", 0) == 0  # finished reservations are dropped


def museum():
    # Two equivalent wings: both hold a copy of the popular object.
    rooms = [RoomRecord("hall", 50), RoomRecord("east", 4), RoomRecord("west", 4)]
    passages = [PassageRecord("hall", "east", 20), PassageRecord("hall", "west", 20)]
    objects = [ObjectRecord(0, "east", 120, 1.0), ObjectRecord(1, "west", 120, 0.95)]
    return build_graph(rooms, passages), objects


def test_crowd_aware_plan_avoids_a_full_room() -> None:
    graph, objects = museum()
    calm = plan_visit(graph, objects, minutes=4, entrance="hall", exit="hall",
                      time_limit=0.02, use_policy=False)  # fmt: skip
    assert [s.room for s in calm.stops] == ["east"]
    crowded = plan_visit(graph, objects, minutes=4, entrance="hall", exit="hall",
                         occupancy={"east": 6}, time_limit=0.02, use_policy=False)  # fmt: skip
    assert crowded.crowd_aware
    assert [s.room for s in crowded.stops] == ["west"]


def test_crowd_pricing_lowers_prizes_of_busy_rooms_only() -> None:
    capacity = {"quiet": 10.0, "half": 10.0, "full": 10.0}
    weights = CROWD_PRICING.prize_weights({"half": 5, "full": 10}, capacity)
    assert weights["quiet"] == 1.0
    assert 1.0 > weights["half"] > weights["full"] > 0.0
    expected_full = congestion_factor(10 * CROWD_PRICING.prize_aversion, 10) ** -2.0
    assert weights["full"] == pytest.approx(expected_full)
    assert CrowdPricing(prize_power=0.0).prize_weights({"full": 10}, capacity) == {}
    # Time is priced at the load as it is (aversion 1): a full room looks twice as slow.
    assert CROWD_PRICING.time_factors({"full": 10}, capacity)["full"] == pytest.approx(2.0)


def test_crowd_aware_plan_reports_the_objects_own_interest() -> None:
    graph, objects = museum()
    plan = plan_visit(graph, objects, minutes=4, entrance="hall", exit="hall",
                      occupancy={"east": 3}, time_limit=0.02, use_policy=False)  # fmt: skip
    assert [s.room for s in plan.stops] == ["west"]
    # Chosen with a crowd-priced prize, reported with its own.
    assert plan.stops[0].prize == pytest.approx(0.95)
    assert plan.interest == pytest.approx(0.95)


def test_a_must_see_stays_on_the_plan_however_crowded_its_room() -> None:
    graph, objects = museum()
    interest = Interest(
        prizes=np.array([MUST_SEE, 0.95]),
        similarity=np.zeros(2),
        shared_terms=[[], []],
        must_see=np.array([True, False]),
    )
    liked = [ObjectRecord(0, "east", 120, MUST_SEE), objects[1]]
    # Six minutes: time for one of the two wings only (the busy one looks twice as slow).
    plan = plan_visit(graph, liked, minutes=6, entrance="hall", exit="hall", interest=interest,
                      occupancy={"east": 3}, time_limit=0.02, use_policy=False)  # fmt: skip
    assert [s.object_id for s in plan.stops] == [0]
    # Without the must-see mark the same crowd pushes it out in favour of the quiet room's.
    plain = plan_visit(graph, objects, minutes=6, entrance="hall", exit="hall",
                       occupancy={"east": 3}, time_limit=0.02, use_policy=False)  # fmt: skip
    assert [s.object_id for s in plain.stops] == [1]


def test_day_simulation_crowd_aware_queues_less() -> None:
    graph, objects = museum()
    kwargs = {"visitors": 120, "hours": 1.0, "entrance": "hall", "exit": "hall",
              "minutes_choices": (5,), "taste_noise": 0.05, "seed": 3}  # fmt: skip
    selfish = simulate_day(graph, objects, greedy_route, routing="selfish", **kwargs)
    assert len(selfish) == 120
    result = compare(graph, objects, greedy_route, **kwargs)
    assert result["aware_queue_saved"] > 0.3
    assert result["aware_interest_lost"] < 0.05
    assert "aware: queue saved" in format_table(result)


def test_replanning_visitors_see_each_object_once_and_keep_to_their_time() -> None:
    graph, objects = museum()
    kwargs = {"visitors": 80, "hours": 1.0, "entrance": "hall", "exit": "hall",
              "minutes_choices": (6,), "taste_noise": 0.3, "seed": 5}  # fmt: skip
    replanned = simulate_day(graph, objects, greedy_route, routing="replan", **kwargs)
    assert len(replanned) == 80
    # Two objects: nobody collects more than both once, however often they re-plan.
    assert max(r.stops_seen for r in replanned) <= len(objects)
    assert all(r.interest <= r.planned_interest * 3 + 1e-9 for r in replanned)
    # Same seed, same arrivals whatever the routing.
    aware = simulate_day(graph, objects, greedy_route, routing="aware", **kwargs)
    assert sorted(r.arrival for r in aware) == sorted(r.arrival for r in replanned)


def test_visitors_whose_time_runs_out_at_a_full_door_are_counted_as_giving_up() -> None:
    graph, objects = museum()
    # Everyone wants the east wing (4 places) on a short visit: the door queue outlasts many.
    kwargs = {"visitors": 120, "hours": 0.25, "entrance": "hall", "exit": "hall",
              "minutes_choices": (5,), "taste_noise": 0.0, "seed": 1}  # fmt: skip
    results = simulate_day(graph, objects, greedy_route, routing="selfish", **kwargs)
    gave_up = [r for r in results if r.gave_up]
    assert gave_up, "nobody gave up in a queue of 120 for 4 places"
    assert all(r.overran and r.stops_seen == 0 for r in gave_up)
    assert all(not r.gave_up for r in results if r.queue_seconds == 0)
    assert summarise("selfish", results).gave_up_share == len(gave_up) / len(results)


def test_an_unknown_routing_is_refused() -> None:
    graph, objects = museum()
    with pytest.raises(ValueError, match="unknown routing"):
        simulate_day(graph, objects, greedy_route, routing="teleport", entrance="hall", exit="hall")
