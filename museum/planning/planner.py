"""Plan a visit: building + interest + crowd -> an OP instance -> the heuristic -> a Plan.

Framework-free. Explanations are structured (a reason code plus its evidence) so that the
Django glue can word them in the visitor's language.

With `use_policy=True` the learned policy's best multi-start routes (fast_policy, a few ms)
start the heuristic instead of the greedy construction (policy+search, #21). It is off by
default: see the model card for where it wins and where it does not. The result is always the
best feasible route.
"""

from __future__ import annotations

import dataclasses
import importlib
import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from museum.planning import heuristic
from museum.planning.building import (
    ObjectRecord,
    PlanningError,
    VisitProblem,
    room_times,
    rooms_path,
    visit_problem,
    weighted_graph,
)
from museum.planning.crowd import CROWD_PRICING, CrowdPricing
from museum.planning.interest import FLOOR, Interest
from museum.planning.op import OPInstance, is_feasible, route_length, route_score

TIME_LIMIT = 0.15  # seconds of local search per plan (the page answers well under a second)
INTEREST_MATCH = FLOOR + 0.2  # prize above which a stop is "a match", not "on the way"
POLICY_STARTS = 16  # forced first nodes of the policy's greedy multi-start decoding
POLICY_SEEDS = 2  # its best routes that start the search


@dataclass(frozen=True)
class Reason:
    code: str  # "must_see" | "interest" | "on_the_way"
    terms: tuple[str, ...] = ()
    similarity: float = 0.0


@dataclass(frozen=True)
class Stop:
    number: int
    object_id: int | str
    room: str
    arrival_minute: float
    dwell_minutes: float
    prize: float
    reason: Reason


@dataclass
class Plan:
    stops: list[Stop]
    total_minutes: float
    walking_minutes: float
    interest: float
    rooms_path: list[str]
    entrance: str
    exit: str
    budget_minutes: float
    solver: str
    solve_seconds: float
    crowd_aware: bool = False
    notes: list[str] = field(default_factory=list)


def to_instance(problem: VisitProblem) -> OPInstance:
    """The solvers' instance (no coordinates: distances are walking + dwell, not Euclidean)."""
    return OPInstance(
        dist=problem.matrix,
        prizes=problem.prizes,
        budget=problem.budget,
        start=problem.start,
        end=problem.end,
    )


def policy_routes(instance: OPInstance, coords: np.ndarray | None = None) -> list[list[int]]:
    """The learned policy's best routes (fast_policy.policy_routes), or [] when it or its
    checkpoint is unavailable or fails: the policy only seeds the search, never decides."""
    try:
        fast_policy = importlib.import_module("museum.planning.fast_policy")
        routes = fast_policy.policy_routes(
            instance, starts=POLICY_STARTS, coords=coords, top_k=POLICY_SEEDS
        )
    except Exception:
        return []
    return [[int(v) for v in r] for r in routes or [] if is_feasible(instance, r)]


def repair(instance: OPInstance, route: Sequence[int]) -> list[int]:
    """Drop stops, cheapest prize per second saved first, until the route fits the budget."""
    route = [int(v) for v in route]
    dist, prizes = instance.dist, instance.prizes
    length = float(sum(dist[a, b] for a, b in itertools.pairwise(route)))
    while length > instance.budget + 1e-9 and len(route) > 2:
        inner = np.arange(1, len(route) - 1)
        prev, node, nxt = (np.array(route)[inner + k] for k in (-1, 0, 1))
        saved = dist[prev, node] + dist[node, nxt] - dist[prev, nxt]
        worst = int(np.argmin(prizes[node] / np.maximum(saved, 1e-9)))
        length -= float(saved[worst])
        del route[int(inner[worst])]
    return route


def greedy_route(problem: VisitProblem) -> list[int]:
    """Baseline: best prize-per-extra-time insertion, no improvement (bench and simulation)."""
    instance = to_instance(problem)
    return repair(instance, heuristic.greedy(instance).route)


def solve_problem(
    problem: VisitProblem,
    *,
    time_limit: float = TIME_LIMIT,
    seed: int = 0,
    use_policy: bool = False,
) -> tuple[list[int], str, float]:
    """The best feasible route among the greedy construction and the heuristic seeded with it
    (and with the policy's samples): its node indices, the solver's name and the wall time."""
    instance = to_instance(problem)
    t0 = time.perf_counter()
    start = repair(instance, heuristic.greedy(instance).route)
    coords = problem.coords if len(problem.coords) == instance.n else None
    seeds = policy_routes(instance, coords) if use_policy else []
    remaining = max(time_limit - (time.perf_counter() - t0), 0.0)
    # With the policy's routes the search starts from them alone (policy+search).
    solution = heuristic.solve(
        instance,
        time_limit=remaining,
        seed=seed,
        initial_routes=seeds or [start],
        seeds_to_improve=max(len(seeds), 8),
        from_empty=not seeds,
    )
    name = "ils+policy" if seeds else "ils"
    candidates = [(solution.route, name), (start, "greedy")]
    feasible = [(r, n) for r, n in candidates if is_feasible(instance, r)]
    route, name = max(
        feasible or [([instance.start, instance.end], "none")],
        key=lambda c: (route_score(instance, c[0]), -route_length(instance, c[0])),
    )
    return list(route), name, time.perf_counter() - t0


def explain(problem: VisitProblem, node: int, interest: Interest | None, index: int) -> Reason:
    """Why a node is on the route: a must-see, an interest match, or simply on the way."""
    if interest is None or index < 0:
        return Reason("interest" if problem.prizes[node] > INTEREST_MATCH else "on_the_way")
    similarity = float(interest.similarity[index])
    shared = tuple(interest.shared_terms[index]) if interest.shared_terms else ()
    if interest.must_see.size and interest.must_see[index]:
        return Reason("must_see", shared, similarity)
    if shared or interest.prizes[index] > INTEREST_MATCH:
        return Reason("interest", shared, similarity)
    return Reason("on_the_way", (), similarity)


def plan_visit(
    graph: nx.DiGraph,
    objects: Sequence[ObjectRecord],
    *,
    minutes: float,
    entrance: str,
    exit: str,
    interest: Interest | None = None,
    group_size: int = 1,
    occupancy: Mapping[str, float] | None = None,
    pricing: CrowdPricing = CROWD_PRICING,
    time_limit: float = TIME_LIMIT,
    seed: int = 0,
    use_policy: bool = False,
) -> Plan:
    """Plan one visit. `objects[i].interest` is the prize of object i (one visitor's); `interest`
    (same order) explains it. A group of `group_size` walks one route (Team OP as a single
    route): prizes are summed over members and the group counts that many people in a room.
    `occupancy`: the visitors expected per room, priced by `pricing` (crowd.py); the plan
    reports the objects' own prizes, not the crowd-priced ones it was chosen with."""
    if group_size < 1:
        raise PlanningError("group_size", "a group has at least one person")
    factor = None
    weights: dict[str, float] = {}
    if occupancy:
        capacity = {room: float(graph.nodes[room]["capacity"]) for room in graph.nodes}
        load = {room: occupancy.get(room, 0.0) + group_size for room in graph.nodes}
        factor = pricing.time_factors(load, capacity)
        weights = pricing.prize_weights(load, capacity)
    times = room_times(weighted_graph(graph, factor))
    # A must-see (the visitor's own choice) keeps its prize however crowded its room.
    must_see = interest.must_see if interest is not None else np.zeros(0, dtype=bool)
    summed = [
        ObjectRecord(
            o.id,
            o.room,
            o.dwell_seconds,
            float(o.interest)
            * group_size
            * (1.0 if i < must_see.size and must_see[i] else weights.get(o.room, 1.0)),
        )
        for i, o in enumerate(objects)
    ]
    problem = visit_problem(
        graph,
        summed,
        minutes=minutes,
        entrance=entrance,
        exit=exit,
        times=times,
        room_factor=factor,
    )
    route, solver, seconds = solve_problem(
        problem, time_limit=time_limit, seed=seed, use_policy=use_policy
    )
    if weights:
        own = {o.id: max(float(o.interest), 0.0) * group_size for o in objects}
        prizes = np.array([0.0, *(own[obj.id] for obj in problem.objects), 0.0])
        problem = dataclasses.replace(problem, prizes=prizes)
    return build_plan(graph, problem, route, interest, objects, solver, seconds, factor is not None)


def build_plan(
    graph: nx.DiGraph,
    problem: VisitProblem,
    route: Sequence[int],
    interest: Interest | None,
    objects: Sequence[ObjectRecord],
    solver: str,
    seconds: float,
    crowd_aware: bool,
) -> Plan:
    """Stops with arrival minutes and reasons, totals and the rooms walked through."""
    position = {obj.id: i for i, obj in enumerate(objects)}
    stops: list[Stop] = []
    clock = walking = 0.0
    for a, b in itertools.pairwise(route):
        walking += float(problem.walk[a, b])
        clock += float(problem.walk[a, b])
        if b == problem.end:
            break
        obj = problem.objects[b - 1]
        stops.append(
            Stop(
                number=len(stops) + 1,
                object_id=obj.id,
                room=obj.room,
                arrival_minute=round(clock / 60, 1),
                dwell_minutes=round(float(problem.dwell[b]) / 60, 1),
                prize=float(problem.prizes[b]),
                reason=explain(problem, b, interest, position.get(obj.id, -1)),
            )
        )
        clock += float(problem.dwell[b])
    waypoints = [problem.node_rooms[node] for node in route]
    return Plan(
        stops=stops,
        total_minutes=round(clock / 60, 1),
        walking_minutes=round(walking / 60, 1),
        interest=round(float(np.sum(problem.prizes[list(set(route))])), 3),
        rooms_path=rooms_path(graph, waypoints),
        entrance=problem.node_rooms[0],
        exit=problem.node_rooms[-1],
        budget_minutes=problem.budget / 60,
        solver=solver,
        solve_seconds=seconds,
        crowd_aware=crowd_aware,
    )
