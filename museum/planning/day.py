"""A museum day in simulation (simpy): how routing choices play out when everyone's plans interact.

Framework-free. Poisson arrivals over opening hours; each visitor values the objects by their
shared popularity times a personal log-normal taste, has 30-90 minutes, and walks a route. Rooms
admit `capacity` visitors and others wait at the door; crowded rooms slow looking (crowd.py's BPR
factor). A visitor whose time runs out (even while queueing) skips the remaining stops and heads
for the exit. Routing:

- `selfish`: plan once on arrival as if the museum were empty;
- `aware`: plan once on arrival on the board (present visitors and other routes' reservations);
- `replan`: like `aware`, then plan again after every stop from where the visitor stands, with
  the time left, the objects not yet seen and the board as it is then;
- `learned`: like `aware` on arrival, then a `chooser` (live.py's policy, trained by RL in this
  simulation) picks every next stop from the live crowd, the time left and what is left to see.

Re-planned routes do not reserve again (their first plan's reservations stay until they expire):
the board has no per-visitor cancellation, and reserving every re-plan would count one visitor
many times.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx
import numpy as np
import simpy

from museum.planning.building import (
    SAME_ROOM_SECONDS,
    ObjectRecord,
    PassageRecord,
    RoomRecord,
    RoomTimes,
    VisitProblem,
    build_graph,
    room_times,
    visit_problem,
    weighted_graph,
)
from museum.planning.crowd import (
    CROWD_PRICING,
    CrowdPricing,
    OccupancyBoard,
    congestion_factor,
)

Routing = Literal["selfish", "aware", "replan", "learned"]
ROUTINGS: tuple[Routing, ...] = ("selfish", "aware", "replan", "learned")
Solver = Callable[[VisitProblem], Sequence[int]]
CROWD_REFRESH_SECONDS = 30.0


@dataclass
class VisitorResult:
    arrival: float
    routing: str
    queue_seconds: float  # waiting at full doors + crowding beyond the nominal dwell
    walking_seconds: float
    interest: float
    planned_interest: float
    stops_seen: int
    overran: bool
    index: int = 0  # arrival order
    group: int = 1
    minutes: float = 0.0
    # Gave up at a full door when their time ran out (`overran` also counts plan-following
    # visitors whose planned stops were left at the deadline).
    gave_up: bool = False


@dataclass(frozen=True)
class Crowd:
    """The museum as a live re-routing client sees it: per room, visitors inside, waiting at
    the door, and on their way there (next stops already handed out)."""

    capacity: Mapping[str, int]
    inside: Callable[[str], int]
    waiting: Callable[[str], int]
    heading: Mapping[str, int]


@dataclass(frozen=True)
class Decision:
    """One visitor's next-stop question: where they stand, the time left, what is left to see
    (prizes of the unseen objects), their arrival plan's remaining stops, and the crowd."""

    visitor: int
    now: float
    deadline: float
    location: str
    exit: str
    group: int
    prizes: Mapping[int | str, float]
    planned: Sequence[int | str]
    crowd: Crowd


Chooser = Callable[[Decision], "ObjectRecord | None"]


@dataclass
class DaySummary:
    label: str
    visitors: int
    queue_minutes: float  # mean per visitor
    walking_minutes: float
    interest: float  # mean collected per visitor
    overran_share: float
    total_queue_minutes: float = 0.0
    p95_wait_minutes: float = 0.0
    gave_up_share: float = 0.0


def summarise(label: str, results: Sequence[VisitorResult]) -> DaySummary:
    n = max(len(results), 1)
    queues = np.array([r.queue_seconds for r in results] or [0.0]) / 60
    return DaySummary(
        label=label,
        visitors=len(results),
        queue_minutes=float(queues.sum()) / n,
        walking_minutes=sum(r.walking_seconds for r in results) / n / 60,
        interest=sum(r.interest for r in results) / n,
        overran_share=sum(r.overran for r in results) / n,
        total_queue_minutes=float(queues.sum()),
        p95_wait_minutes=float(np.percentile(queues, 95)),
        gave_up_share=sum(r.gave_up for r in results) / n,
    )


def simulate_day(
    graph: nx.DiGraph,
    objects: Sequence[ObjectRecord],
    solve: Solver,
    *,
    routing: Routing,
    visitors: int = 600,
    hours: float = 8.0,
    entrance: str,
    exit: str,
    minutes_choices: Sequence[float] = (30, 45, 60, 90),
    taste_noise: float = 0.5,
    dwell_noise: float = 0.0,
    group_sizes: Sequence[int] = (1,),
    chooser: Chooser | None = None,
    seed: int = 0,
    trace: list[tuple[float, int, str, str, int]] | None = None,
    pricing: CrowdPricing = CROWD_PRICING,
) -> list[VisitorResult]:
    """One day; the same seed gives the same arrivals, tastes, time, group and dwell draws to
    every visitor whatever the routing (each visitor draws from its own seeded generator).

    `dwell_noise`: log-normal spread of actual looking times around the nominal ones;
    `group_sizes`: drawn per party (a party moves together, takes that many places in a room and
    collects its prizes once); `chooser` (routing "learned"): picks each next stop live;
    `trace`, when given, receives (time, visitor, "enter" or "leave", room, party size);
    `pricing`: how crowd-aware plans price the board's expected load (crowd.CrowdPricing).
    """
    if routing not in ROUTINGS:
        raise ValueError(f"unknown routing {routing!r}; one of {', '.join(ROUTINGS)}")
    if routing == "learned" and chooser is None:
        raise ValueError("the learned routing needs a chooser")
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    capacity = {room: max(int(graph.nodes[room]["capacity"]), 1) for room in graph.nodes}
    doors = {room: simpy.Container(env, capacity=cap, init=cap) for room, cap in capacity.items()}
    heading: dict[str, int] = dict.fromkeys(capacity, 0)
    crowd = Crowd(
        capacity,
        inside=lambda room: int(capacity[room] - doors[room].level),
        waiting=lambda room: int(sum(get.amount for get in doors[room].get_queue)),
        heading=heading,
    )
    board = OccupancyBoard()
    base_times = room_times(graph)
    popularity = np.array([obj.interest for obj in objects], dtype=np.float64)
    by_id = {o.id: o for o in objects}
    aware = routing != "selfish"
    results: list[VisitorResult] = []

    def plan(
        prizes: Mapping[int | str, float], minutes: float, start: str
    ) -> tuple[VisitProblem, list[int]]:
        times: RoomTimes = base_times
        factor = None
        weights: dict[str, float] = {}
        if aware:
            factor, times, weights = crowd_times()
        people = [
            ObjectRecord(o.id, o.room, o.dwell_seconds, prizes[o.id] * weights.get(o.room, 1.0))
            for o in objects
            if o.id in prizes
        ]
        problem = visit_problem(
            graph, people, minutes=minutes, entrance=start, exit=exit, times=times,
            room_factor=factor,
        )  # fmt: skip
        return problem, list(solve(problem))

    crowd_cache: dict[int, tuple[dict[str, float], RoomTimes, dict[str, float]]] = {}

    def crowd_times() -> tuple[dict[str, float], RoomTimes, dict[str, float]]:
        """Room factors, walking times and prize weights on the board as it is now (priced by
        `pricing`), computed at most once per CROWD_REFRESH_SECONDS of simulated time
        (all-pairs times per plan made re-planning days take minutes; a 30 s old board is what
        a live client would see anyway)."""
        window = int(env.now // CROWD_REFRESH_SECONDS)
        if window not in crowd_cache:
            crowd_cache.clear()
            load = board.expected(env.now)
            factor = pricing.time_factors(load, capacity)
            times = room_times(weighted_graph(graph, factor))
            crowd_cache[window] = (factor, times, pricing.prize_weights(load, capacity))
        return crowd_cache[window]

    def reserve(problem: VisitProblem, route: Sequence[int], count: int) -> None:
        clock = env.now
        for a, b in itertools.pairwise(route):
            start = clock + problem.walk[a, b]
            clock = start + problem.dwell[b]
            if problem.dwell[b] > 0:
                board.reserve(problem.node_rooms[b], start, clock, count)

    def visitor(index: int, arrival: float) -> Generator[Any, Any, None]:
        own = np.random.default_rng([seed, index])
        taste = own.lognormal(0.0, taste_noise, size=len(objects))
        minutes = float(own.choice(minutes_choices))
        group = int(own.choice(group_sizes))
        jitter = own.lognormal(-(dwell_noise**2) / 2, dwell_noise, size=len(objects))
        prizes = {o.id: float(p) for o, p in zip(objects, popularity * taste, strict=True)}
        problem, route = plan(prizes, minutes, entrance)
        pending = [problem.objects[node - 1].id for node in route[1:-1]]
        planned = sum(prizes[i] for i in pending)  # own prizes, not the crowd-priced ones
        if aware:
            reserve(problem, route, group)
        deadline = env.now + minutes * 60
        queue = walking = interest = 0.0
        seen = 0
        location, holding, overran, gave_up = entrance, None, False, False
        while True:
            target = None
            if env.now < deadline and routing == "learned":
                assert chooser is not None  # checked above
                decision = Decision(
                    index, env.now, deadline, location, exit, group, prizes, pending, crowd
                )
                target = chooser(decision)
                if target is not None and target.id not in prizes:
                    raise ValueError(f"the chooser picked {target.id!r}, already seen")
            elif pending:
                overran = overran or env.now >= deadline
                target = None if env.now >= deadline else by_id[pending[0]]
            if target is not None and target.id in pending:
                pending.remove(target.id)
            room = exit if target is None else target.room
            if target is None or room != holding:
                if holding is not None:
                    doors[holding].put(min(group, capacity[holding]))
                    board.leave(holding, group)
                    if trace is not None:
                        trace.append((env.now, index, "leave", holding, group))
                    holding = None
                heading[room] += group
                step = base_times.between(location, room) if location != room else 0.0
                yield env.timeout(step)
                heading[room] -= group
                walking += step
                location = room
                if target is None:
                    break
                waited_from = env.now
                slot = doors[room].get(min(group, capacity[room]))
                # A visitor whose time runs out in the queue gives up (reneges).
                yield slot | env.timeout(max(deadline - env.now, 0.0))
                queue += env.now - waited_from
                if not slot.triggered:
                    slot.cancel()
                    overran = gave_up = True
                    continue
                holding = room
                board.enter(room, group)
                if trace is not None:
                    trace.append((env.now, index, "enter", room, group))
            else:
                yield env.timeout(SAME_ROOM_SECONDS)
                walking += SAME_ROOM_SECONDS
            nominal = target.dwell_seconds * jitter[target_index[target.id]]
            actual = nominal * congestion_factor(crowd.inside(room), capacity[room])
            yield env.timeout(actual)
            queue += actual - nominal
            interest += prizes.pop(target.id)
            seen += 1
            left = (deadline - env.now) / 60
            if routing == "replan" and left > 0:
                problem, route = plan(prizes, left, room)
                pending = [problem.objects[node - 1].id for node in route[1:-1]]
        result = VisitorResult(arrival, routing, queue, walking, interest, planned, seen, overran)
        result.index, result.group, result.minutes = index, group, minutes
        result.gave_up = gave_up
        results.append(result)

    target_index = {o.id: i for i, o in enumerate(objects)}

    def arrivals() -> Generator[Any, Any, None]:
        rate = visitors / (hours * 3600.0)
        for index in range(visitors):
            yield env.timeout(float(rng.exponential(1.0 / rate)))
            env.process(visitor(index, env.now))

    env.process(arrivals())
    env.run()
    return results


def compare(
    graph: nx.DiGraph,
    objects: Sequence[ObjectRecord],
    solve: Solver,
    *,
    routings: Sequence[Routing] = ("selfish", "aware"),
    **kwargs: Any,
) -> dict[str, Any]:
    """The routings on the same arrivals and tastes (same seed); savings against selfish."""
    days = {
        r: summarise(r, simulate_day(graph, objects, solve, routing=r, **kwargs)) for r in routings
    }
    comparison: dict[str, Any] = {"days": days}
    selfish = days.get("selfish")
    for label, day in days.items():
        if selfish is None or label == "selfish":
            continue
        saved = 1.0 - day.queue_minutes / selfish.queue_minutes if selfish.queue_minutes else 0.0
        lost = 1.0 - day.interest / selfish.interest if selfish.interest else 0.0
        comparison[f"{label}_queue_saved"] = saved
        comparison[f"{label}_interest_lost"] = lost
    return comparison


def format_table(comparison: Mapping[str, Any]) -> str:
    lines = [f"{'routing':<8} {'visitors':>8} {'queue min':>9} {'p95 wait':>8} {'walk min':>8} "
             f"{'interest':>8} {'overran':>7}"]  # fmt: skip
    for row in comparison["days"].values():
        lines.append(
            f"{row.label:<8} {row.visitors:>8} {row.queue_minutes:>9.2f} "
            f"{row.p95_wait_minutes:>8.2f} {row.walking_minutes:>8.2f} {row.interest:>8.2f} "
            f"{row.overran_share:>7.1%}"
        )
    for label in comparison["days"]:
        if f"{label}_queue_saved" in comparison:
            lines.append(
                f"{label}: queue saved {comparison[f'{label}_queue_saved']:.1%}, interest lost "
                f"{comparison[f'{label}_interest_lost']:.1%} (against selfish)"
            )
    return "\n".join(lines)


def random_museum(
    rooms: int, passages: int, objects: int, *, seed: int = 0, side: int = 11
) -> tuple[nx.DiGraph, list[ObjectRecord]]:
    """Rooms on a grid (10 m apart) joined to their neighbours, plus random shortcuts; objects
    scattered over rooms with Zipf-like popularity (a few stars) and 60-150 s dwell."""
    rng = np.random.default_rng(seed)
    cells = [(i % side, i // side) for i in range(rooms)]
    records = [
        RoomRecord(f"r{i}", int(rng.integers(12, 30)), 10.0 * x, 10.0 * y)
        for i, (x, y) in enumerate(cells)
    ]
    edges: set[tuple[int, int]] = set()
    where = {cell: i for i, cell in enumerate(cells)}
    for i, (x, y) in enumerate(cells):
        for neighbour in ((x + 1, y), (x, y + 1)):
            if neighbour in where:
                edges.add((i, where[neighbour]))
    while len(edges) < passages:
        a, b = sorted(rng.choice(rooms, size=2, replace=False).tolist())
        if abs(cells[a][0] - cells[b][0]) + abs(cells[a][1] - cells[b][1]) <= 3:
            edges.add((a, b))
    links = []
    for a, b in sorted(edges):
        metres = 10.0 * (abs(cells[a][0] - cells[b][0]) + abs(cells[a][1] - cells[b][1]))
        links.append(PassageRecord(f"r{a}", f"r{b}", metres / 1.2 + 5.0))
    popularity = 1.0 / (1.0 + rng.permutation(objects)) ** 0.6
    items = [
        ObjectRecord(k, f"r{int(rng.integers(rooms))}", float(rng.uniform(60, 150)), float(p))
        for k, p in enumerate(popularity / popularity.max())
    ]
    return build_graph(records, links), items
