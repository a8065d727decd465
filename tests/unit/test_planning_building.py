"""The building graph, all-pairs walking times, the visit OP and interest scores (no Django)."""

from __future__ import annotations

import numpy as np
import pytest

from museum.planning.building import (
    SAME_ROOM_SECONDS,
    ObjectRecord,
    PassageRecord,
    PlanningError,
    RoomRecord,
    build_graph,
    room_times,
    rooms_path,
    visit_problem,
)
from museum.planning.interest import FLOOR, MUST_SEE, group_prizes, interest_scores
from museum.planning.op import is_feasible
from museum.planning.planner import plan_visit, to_instance

ROOMS = [RoomRecord(code, 10, i * 10.0, 0.0) for i, code in enumerate("abcd")]
PASSAGES = [PassageRecord("a", "b", 30), PassageRecord("b", "c", 30), PassageRecord("c", "d", 30)]


def line_graph():
    return build_graph(ROOMS, PASSAGES)


def test_shortest_walking_times_between_rooms() -> None:
    times = room_times(line_graph())
    assert times.between("a", "d") == 90
    assert times.between("d", "a") == 90
    one_way = build_graph(ROOMS[:2], [PassageRecord("a", "b", 30, two_way=False)])
    assert np.isinf(room_times(one_way).between("b", "a"))


def test_rooms_path_walks_through_the_rooms_between_stops() -> None:
    assert rooms_path(line_graph(), ["a", "c", "c", "a"]) == ["a", "b", "c", "b", "a"]


def test_unknown_room_in_a_passage_is_refused() -> None:
    with pytest.raises(PlanningError) as error:
        build_graph(ROOMS[:1], [PassageRecord("a", "zz", 10)])
    assert error.value.code == "unknown_room"


def test_visit_problem_travel_is_walking_plus_dwell_of_the_destination() -> None:
    objects = [ObjectRecord(1, "b", 60, 1.0), ObjectRecord(2, "b", 120, 1.0)]
    problem = visit_problem(line_graph(), objects, minutes=10, entrance="a", exit="a")
    assert problem.budget == 600
    assert problem.node_rooms == ["a", "b", "b", "a"]
    route = [0, 1, 2, 3]
    # 30 s walk + 60 s + 10 s inside the room + 120 s + 30 s back.
    assert problem.route_seconds(route) == pytest.approx(30 + 60 + SAME_ROOM_SECONDS + 120 + 30)
    assert problem.walking_seconds(route) == pytest.approx(70)
    assert np.allclose(problem.matrix, problem.matrix.T)
    assert is_feasible(to_instance(problem), route)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"minutes": 0}, "budget"),
        ({"minutes": -5}, "budget"),
        ({"minutes": 10, "entrance": "zz"}, "unknown_room"),
    ],
)
def test_invalid_visits_are_refused(kwargs: dict, code: str) -> None:
    arguments = {"entrance": "a", "exit": "d"} | kwargs
    with pytest.raises(PlanningError) as error:
        visit_problem(line_graph(), [], **arguments)
    assert error.value.code == code


def test_disconnected_exit_is_refused() -> None:
    graph = build_graph([*ROOMS, RoomRecord("island")], PASSAGES)
    with pytest.raises(PlanningError) as error:
        visit_problem(graph, [], minutes=30, entrance="a", exit="island")
    assert error.value.code == "disconnected"


def test_interest_prefers_matching_objects_and_keeps_a_floor() -> None:
    texts = ["whale skull bone", "marble goddess", "brass saxophone"]
    vectors = np.eye(3, dtype=np.float32)
    interest = interest_scores(
        texts, vectors, query_vector=np.array([1.0, 0.2, 0.0]), query_terms=["whale"]
    )
    assert interest.prizes.argmax() == 0
    assert interest.prizes.min() >= FLOOR
    assert interest.shared_terms[0] == ["whale"]
    liked = interest_scores(texts, vectors, liked_index=2)
    assert liked.prizes[2] == MUST_SEE and liked.must_see[2]
    assert group_prizes([interest.prizes, interest.prizes]) == pytest.approx(2 * interest.prizes)


def test_planned_route_fits_the_budget_and_explains_its_stops() -> None:
    texts = ["whale bone", "goddess", "saxophone", "coin", "whale tooth"]
    interest = interest_scores(texts, None, query_terms=["whale"])
    rooms = "abcdd"
    objects = [ObjectRecord(i, rooms[i], 60, float(p)) for i, p in enumerate(interest.prizes)]
    plan = plan_visit(
        line_graph(), objects, minutes=6, entrance="a", exit="a", interest=interest,
        time_limit=0.05, use_policy=False,
    )  # fmt: skip
    assert plan.total_minutes <= 6
    ids = [stop.object_id for stop in plan.stops]
    assert 0 in ids  # the whale in the entrance room is worth it
    whale = next(stop for stop in plan.stops if stop.object_id == 0)
    assert whale.reason.code == "interest" and whale.reason.terms == ("whale",)
    assert plan.rooms_path[0] == "a" and plan.rooms_path[-1] == "a"
    arrivals = [stop.arrival_minute for stop in plan.stops]
    assert arrivals == sorted(arrivals)


def test_a_group_walks_one_route_with_summed_interest() -> None:
    objects = [ObjectRecord(i, "b", 60, 1.0) for i in range(3)]
    single = plan_visit(line_graph(), objects, minutes=10, entrance="a", exit="a",
                        time_limit=0.02, use_policy=False)  # fmt: skip
    group = plan_visit(line_graph(), objects, minutes=10, entrance="a", exit="a",
                       group_size=4, time_limit=0.02, use_policy=False)  # fmt: skip
    assert [s.object_id for s in group.stops] == [s.object_id for s in single.stops]
    assert group.interest == pytest.approx(4 * single.interest)
