"""Live re-routing (issue #21): the day simulation's invariants under every routing, and the
learned policy's choices: always unseen, always leaving time to look and reach the exit."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from museum.planning.building import SAME_ROOM_SECONDS, room_times
from museum.planning.crowd import congestion_factor
from museum.planning.day import Decision, random_museum, simulate_day
from museum.planning.live import LIVE_DAY, NextStopPolicy, initial_weights, load_weights
from museum.planning.planner import greedy_route

VISITORS = 120
DAY = {"visitors": VISITORS, "hours": 1.0, "entrance": "r0", "exit": "r0", "seed": 11,
       **LIVE_DAY}  # fmt: skip


@pytest.fixture(scope="module")
def museum():
    graph, objects = random_museum(9, 16, 60, seed=3, side=3)
    return graph, objects, room_times(graph)


@pytest.mark.parametrize("routing", ["selfish", "aware", "replan", "learned"])
def test_day_invariants(museum, routing: str) -> None:
    graph, objects, times = museum
    chooser = NextStopPolicy(objects, times, load_weights()) if routing == "learned" else None
    trace: list = []
    results = simulate_day(graph, objects, greedy_route, routing=routing, chooser=chooser,
                           trace=trace, **DAY)  # fmt: skip
    # Conservation: everyone who arrived left, once.
    assert sorted(r.index for r in results) == list(range(VISITORS))
    assert all(r.queue_seconds >= 0 and r.walking_seconds >= 0 for r in results)
    assert all(r.stops_seen <= len(objects) for r in results)
    where: dict[int, str | None] = defaultdict(lambda: None)
    inside: dict[str, int] = defaultdict(int)
    for _, visitor, kind, room, group in trace:
        if kind == "enter":
            assert where[visitor] is None, "a visitor in two rooms at once"
            where[visitor] = room
            inside[room] += group
            assert inside[room] <= graph.nodes[room]["capacity"], "a room over its capacity"
        else:
            assert where[visitor] == room, "a visitor left a room it was not in"
            where[visitor] = None
            inside[room] -= group
    assert not any(where.values()) and not any(inside.values()), "someone never left"
    times_in_trace = [t for t, *_ in trace]
    assert times_in_trace == sorted(times_in_trace)


def test_same_seed_same_visitors_whatever_the_routing(museum) -> None:
    graph, objects, times = museum
    days = [simulate_day(graph, objects, greedy_route, routing=r, chooser=c, **DAY)
            for r, c in (("aware", None), ("learned", NextStopPolicy(objects, times)))]  # fmt: skip
    a, b = ({r.index: (r.arrival, r.group, r.minutes) for r in day} for day in days)
    assert a == b


@pytest.mark.parametrize("weights", ["committed", "untrained"])
def test_every_learned_choice_is_feasible(museum, weights: str) -> None:
    """At every decision the chosen object is unseen and there is time to walk there, look at it
    under the crowd then and still reach the exit before the visitor's time is up."""
    graph, objects, times = museum
    chosen = initial_weights() if weights == "untrained" else load_weights()
    policy = NextStopPolicy(objects, times, chosen, sample=True, rng=np.random.default_rng(1))
    checked = []

    def checking(decision: Decision):
        choice = policy(decision)
        if choice is None:
            return None
        assert choice.id in decision.prizes and decision.prizes[choice.id] > 0
        here = decision.location
        walk = SAME_ROOM_SECONDS if choice.room == here else times.between(here, choice.room)
        crowd = decision.crowd
        joining = 0 if choice.room == here else decision.group
        people = crowd.inside(choice.room) + crowd.heading.get(choice.room, 0) + joining
        looking = choice.dwell_seconds * congestion_factor(people, crowd.capacity[choice.room])
        back = times.between(choice.room, decision.exit)
        assert walk + looking + back <= decision.deadline - decision.now + 1e-6
        checked.append(choice.id)
        return choice

    results = simulate_day(graph, objects, greedy_route, routing="learned", chooser=checking,
                           **DAY)  # fmt: skip
    # Every stop seen was chosen (and checked); a visitor whose time ran out queueing saw none.
    assert len(checked) >= sum(r.stops_seen for r in results) > VISITORS


def test_a_chooser_picking_a_seen_object_is_refused(museum) -> None:
    graph, objects, _ = museum

    def stubborn(decision: Decision):
        return objects[0]

    with pytest.raises(ValueError, match="already seen"):
        simulate_day(graph, objects, greedy_route, routing="learned", chooser=stubborn, **DAY)


def test_the_learned_routing_needs_a_chooser(museum) -> None:
    graph, objects, _ = museum
    with pytest.raises(ValueError, match="needs a chooser"):
        simulate_day(graph, objects, greedy_route, routing="learned", **DAY)


def test_the_trainers_return_charges_the_wait_weight_per_minute_waited() -> None:
    """live_train.rollout: a visitor's return is interest - wait weight x minutes waited, with the
    weight the run was given (--wait-weight), on the same day whatever the weight."""
    from museum.planning import live_train

    task = (load_weights(), 1_000_003, 60, 0.5, False)
    light, heavy = live_train.rollout((*task, 0.5)), live_train.rollout((*task, 2.0))
    assert light["queue"] == heavy["queue"] > 0, "a day without queues cannot tell the weight"
    # Summed over visitors: sum(return) = visitors x interest - weight x total minutes waited.
    for day, weight in ((light, 0.5), (heavy, 2.0)):
        expected = 60 * day["interest"] - weight * day["queue"]
        assert day["returns"].sum() == pytest.approx(expected, rel=1e-9, abs=1e-6)
