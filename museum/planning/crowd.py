"""Crowd awareness: occupancy -> slower rooms, an in-memory occupancy board, and a day
simulation (simpy) comparing selfish routing with crowd-aware recommendations.

Framework-free.

Delay model (BPR, the traffic-assignment curve): a room at occupancy x = visitors / capacity
makes entering it and looking at its objects take `1 + ALPHA * x ** BETA` times longer (×1.06 at
half capacity, ×2 when full, ×3 at 120 %). The planner multiplies dwell in a room, and walking
through it, by that factor (building.visit_problem's `room_factor`).

`OccupancyBoard` is per process and in memory. The presence consumers (museum/realtime) feed it
through museum.planning.services: `enter()` at a socket's first pose, `leave()` when it leaves or
its poses stop. The board also keeps *reservations*: the windows during which recommended
routes expect to be in each room, so that visitors who plan a minute apart do not all get sent to
the same quiet room (the herding a board of present counts alone would cause).
"""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import simpy

from museum.planning.building import (
    SAME_ROOM_SECONDS,
    ObjectRecord,
    RoomTimes,
    VisitProblem,
    room_times,
    visit_problem,
    weighted_graph,
)

ALPHA = 1.0
BETA = 4.0
HORIZON_SECONDS = 30 * 60.0


def congestion_factor(occupancy: float, capacity: float) -> float:
    """BPR time multiplier of a room: 1 when empty, 1 + ALPHA when full, growing past it."""
    if capacity <= 0:
        return 1.0 + ALPHA
    return 1.0 + ALPHA * (max(occupancy, 0.0) / capacity) ** BETA


def room_factors(occupancy: Mapping[str, float], capacity: Mapping[str, float]) -> dict[str, float]:
    return {
        room: congestion_factor(occupancy.get(room, 0.0), cap) for room, cap in capacity.items()
    }


class OccupancyBoard:
    """Visitors present per room (fed by presence) plus reservations of recommended routes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._present: dict[str, int] = defaultdict(int)
        self._reservations: dict[str, list[tuple[float, float, int]]] = defaultdict(list)

    def set(self, room: str, count: int) -> None:
        with self._lock:
            self._present[room] = max(int(count), 0)

    def enter(self, room: str, count: int = 1) -> None:
        with self._lock:
            self._present[room] += count

    def leave(self, room: str, count: int = 1) -> None:
        with self._lock:
            self._present[room] = max(self._present[room] - count, 0)

    def present(self) -> dict[str, int]:
        with self._lock:
            return dict(self._present)

    def reserve(self, room: str, start: float, end: float, count: int = 1) -> None:
        """A recommended route expects `count` visitors in `room` from `start` to `end` (s)."""
        with self._lock:
            self._reservations[room].append((start, end, count))

    def expected(self, now: float, horizon: float = HORIZON_SECONDS) -> dict[str, float]:
        """Present visitors plus the mean number of *incoming* reserved ones over the horizon."""
        with self._lock:
            load: dict[str, float] = {room: float(n) for room, n in self._present.items()}
            for room, windows in self._reservations.items():
                kept = [w for w in windows if w[1] > now]
                self._reservations[room] = kept
                incoming = sum(
                    count * max(0.0, min(end, now + horizon) - start) / horizon
                    for start, end, count in kept
                    if start > now
                )
                load[room] = load.get(room, 0.0) + incoming
            return load


Solver = Callable[[VisitProblem], Sequence[int]]


@dataclass
class VisitorResult:
    arrival: float
    crowd_aware: bool
    queue_seconds: float  # waiting at full doors + crowding beyond the nominal dwell
    walking_seconds: float
    interest: float
    planned_interest: float
    stops_seen: int
    overran: bool


@dataclass
class DaySummary:
    label: str
    visitors: int
    queue_minutes: float  # mean per visitor
    walking_minutes: float
    interest: float  # mean collected per visitor
    overran_share: float


def summarise(label: str, results: Sequence[VisitorResult]) -> DaySummary:
    n = max(len(results), 1)
    return DaySummary(
        label=label,
        visitors=len(results),
        queue_minutes=sum(r.queue_seconds for r in results) / n / 60,
        walking_minutes=sum(r.walking_seconds for r in results) / n / 60,
        interest=sum(r.interest for r in results) / n,
        overran_share=sum(r.overran for r in results) / n,
    )


def simulate_day(
    graph: nx.DiGraph,
    objects: Sequence[ObjectRecord],
    solve: Solver,
    *,
    crowd_aware: bool,
    visitors: int = 600,
    hours: float = 8.0,
    entrance: str,
    exit: str,
    minutes_choices: Sequence[float] = (30, 45, 60, 90),
    taste_noise: float = 0.5,
    seed: int = 0,
) -> list[VisitorResult]:
    """One day: Poisson arrivals, each visitor planned on arrival and walked through simpy.

    Interests: every visitor values an object by its shared `interest` (popularity) times a
    personal log-normal taste. Rooms admit `capacity` visitors; others wait at the door. A
    visitor whose time is up (even while queueing) skips the remaining stops and heads for
    the exit. Crowd-aware
    plans see the board (present + reserved) as room factors; selfish plans see empty rooms.
    """
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    capacity = {room: int(graph.nodes[room]["capacity"]) for room in graph.nodes}
    doors = {room: simpy.Resource(env, capacity=max(cap, 1)) for room, cap in capacity.items()}
    board = OccupancyBoard()
    base_times = room_times(graph)
    popularity = np.array([obj.interest for obj in objects], dtype=np.float64)
    results: list[VisitorResult] = []

    def plan(prizes: np.ndarray, minutes: float) -> tuple[VisitProblem, list[int]]:
        people = [ObjectRecord(o.id, o.room, o.dwell_seconds, float(p)) for o, p in zip(
            objects, prizes, strict=True)]  # fmt: skip
        times: RoomTimes = base_times
        factor = None
        if crowd_aware:
            factor = room_factors(board.expected(env.now), capacity)
            times = room_times(weighted_graph(graph, factor))
        problem = visit_problem(
            graph, people, minutes=minutes, entrance=entrance, exit=exit, times=times,
            room_factor=factor,
        )  # fmt: skip
        return problem, list(solve(problem))

    def visitor(arrival: float) -> Generator[Any, Any, None]:
        taste = rng.lognormal(0.0, taste_noise, size=len(objects))
        minutes = float(rng.choice(minutes_choices))
        problem, route = plan(popularity * taste, minutes)
        if crowd_aware:
            clock = env.now
            for a, b in itertools.pairwise(route):
                start = clock + problem.walk[a, b]
                clock = start + problem.dwell[b]
                if problem.dwell[b] > 0:
                    board.reserve(problem.node_rooms[b], start, clock)
        deadline = env.now + minutes * 60
        queue = walking = interest = 0.0
        seen = 0
        location, holding, slot, overran = entrance, None, None, False
        stops = route[1:]
        for position, node in enumerate(stops):
            is_exit = position == len(stops) - 1
            if not is_exit and env.now >= deadline:
                overran = True
                continue
            room = problem.node_rooms[node]
            if is_exit or room != holding:
                if slot is not None:
                    assert holding is not None  # set with slot
                    doors[holding].release(slot)
                    board.leave(holding)
                    holding = slot = None
                step = base_times.between(location, room) if location != room else 0.0
                yield env.timeout(step)
                walking += step
                location = room
                if is_exit:
                    break
                waited_from = env.now
                slot = doors[room].request()
                # A visitor whose time runs out in the queue gives up (reneges).
                yield slot | env.timeout(max(deadline - env.now, 0.0))
                if not slot.triggered:
                    slot.cancel()
                    slot = None
                    queue += env.now - waited_from
                    overran = True
                    continue
                holding = room
                board.enter(room)
                queue += env.now - waited_from
            else:
                yield env.timeout(SAME_ROOM_SECONDS)
                walking += SAME_ROOM_SECONDS
            nominal = problem.objects[node - 1].dwell_seconds
            actual = nominal * congestion_factor(doors[room].count, capacity[room])
            yield env.timeout(actual)
            queue += actual - nominal
            interest += problem.prizes[node]
            seen += 1
        if slot is not None:
            assert holding is not None  # set with slot
            doors[holding].release(slot)
            board.leave(holding)
        planned = problem.score(route)
        results.append(
            VisitorResult(arrival, crowd_aware, queue, walking, interest, planned, seen, overran)
        )

    def arrivals() -> Generator[Any, Any, None]:
        rate = visitors / (hours * 3600.0)
        for _ in range(visitors):
            yield env.timeout(float(rng.exponential(1.0 / rate)))
            env.process(visitor(env.now))

    env.process(arrivals())
    env.run()
    return results


def compare(
    graph: nx.DiGraph,
    objects: Sequence[ObjectRecord],
    solve: Solver,
    **kwargs: Any,
) -> dict[str, DaySummary | float]:
    """Selfish vs crowd-aware on the same arrivals and tastes (same seed)."""
    selfish = summarise("selfish", simulate_day(graph, objects, solve, crowd_aware=False, **kwargs))
    aware = summarise(
        "crowd-aware", simulate_day(graph, objects, solve, crowd_aware=True, **kwargs)
    )
    saved = 1.0 - aware.queue_minutes / selfish.queue_minutes if selfish.queue_minutes else 0.0
    lost = 1.0 - aware.interest / selfish.interest if selfish.interest else 0.0
    return {"selfish": selfish, "crowd_aware": aware, "queue_saved": saved, "interest_lost": lost}


def format_table(comparison: Mapping[str, DaySummary | float]) -> str:
    rows = [comparison["selfish"], comparison["crowd_aware"]]
    lines = [f"{'routing':<12} {'visitors':>8} {'queue min':>9} {'walk min':>8} {'interest':>8} "
             f"{'overran':>7}"]  # fmt: skip
    for row in rows:
        assert isinstance(row, DaySummary)
        lines.append(
            f"{row.label:<12} {row.visitors:>8} {row.queue_minutes:>9.2f} "
            f"{row.walking_minutes:>8.2f} {row.interest:>8.2f} {row.overran_share:>7.1%}"
        )
    lines.append(
        f"queue saved {comparison['queue_saved']:.1%}, interest lost "
        f"{comparison['interest_lost']:.1%}"
    )
    return "\n".join(lines)


__all__ = [
    "OccupancyBoard",
    "compare",
    "congestion_factor",
    "format_table",
    "room_factors",
    "simulate_day",
]
