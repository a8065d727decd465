"""The museum as a graph, and a visit as an orienteering problem (OP) over its objects.

Framework-free: plain records in, networkx graphs and numpy arrays out.

Nodes of the OP are the *objects* a visitor may stop at, plus the entrance (node 0) and the
exit (last node). Travel time between two objects is the shortest walking time between their
rooms (all pairs, Floyd–Warshall on the room graph), or `SAME_ROOM_SECONDS` inside one room,
plus the time spent looking at the destination (its dwell time). The budget is the visitor's
minutes × 60.

Dwell in a symmetric matrix: `matrix[i, j] = walk(i, j) + (dwell_i + dwell_j) / 2`. Along any
route from entrance to exit (whose dwell is 0) each visited object contributes half its dwell on
the way in and half on the way out, so the route's length is exactly walking + dwell, and
solvers that assume a symmetric matrix stay correct when passages are two-way.

Groups (Team OP note): a group moves together, so it is one route, not one per member; the
prize of an object is the sum of the members' interests (callers pass the summed prizes), and
the room it enters must fit the whole group (crowd.py counts `group_size` visitors).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

SAME_ROOM_SECONDS = 10.0  # stepping from one object to the next inside a room
MAX_CANDIDATES = 400  # objects kept in the OP; a visit sees a few dozen at most


@dataclass(frozen=True)
class RoomRecord:
    id: str
    capacity: int = 24
    x: float = 0.0
    y: float = 0.0


@dataclass(frozen=True)
class PassageRecord:
    a: str
    b: str
    seconds: float
    two_way: bool = True


@dataclass(frozen=True)
class ObjectRecord:
    id: int | str
    room: str
    dwell_seconds: float = 60.0
    interest: float = 0.0


class PlanningError(ValueError):
    """A visit that cannot be planned; `code` tells which rule it broke."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def build_graph(rooms: Iterable[RoomRecord], passages: Iterable[PassageRecord]) -> nx.DiGraph:
    """Rooms as nodes (with capacity and position), passages as weighted directed edges."""
    graph: nx.DiGraph = nx.DiGraph()
    for room in rooms:
        graph.add_node(room.id, capacity=room.capacity, x=room.x, y=room.y)
    for passage in passages:
        for a, b in ((passage.a, passage.b), (passage.b, passage.a))[: 2 if passage.two_way else 1]:
            if a not in graph or b not in graph:
                raise PlanningError("unknown_room", f"passage {a}->{b} names an unknown room")
            previous = graph.get_edge_data(a, b, {}).get("seconds", float("inf"))
            graph.add_edge(a, b, seconds=min(previous, float(passage.seconds)))
    return graph


def weighted_graph(graph: nx.DiGraph, room_factor: Mapping[str, float] | None) -> nx.DiGraph:
    """A copy whose edge `seconds` are scaled by the mean crowd factor of their two rooms."""
    if not room_factor:
        return graph
    scaled = graph.copy()
    for a, b, data in scaled.edges(data=True):
        factor = (room_factor.get(a, 1.0) + room_factor.get(b, 1.0)) / 2
        data["seconds"] = graph.edges[a, b]["seconds"] * factor
    return scaled


@dataclass(frozen=True)
class RoomTimes:
    """All-pairs shortest walking seconds between rooms (inf where unreachable)."""

    rooms: list[str]
    index: dict[str, int]
    seconds: np.ndarray

    def between(self, a: str, b: str) -> float:
        return float(self.seconds[self.index[a], self.index[b]])


def room_times(graph: nx.DiGraph) -> RoomTimes:
    rooms = list(graph.nodes)
    seconds = nx.floyd_warshall_numpy(graph, nodelist=rooms, weight="seconds")
    return RoomTimes(rooms, {room: i for i, room in enumerate(rooms)}, np.asarray(seconds))


def rooms_path(graph: nx.DiGraph, stops: Sequence[str]) -> list[str]:
    """The rooms walked through, in order, visiting `stops` (consecutive repeats merged)."""
    path: list[str] = []
    for a, b in itertools.pairwise(stops):
        leg = nx.shortest_path(graph, a, b, weight="seconds") if a != b else [a]
        path.extend(leg if not path or path[-1] != leg[0] else leg[1:])
    if not path and stops:
        path = [stops[0]]
    return path


@dataclass
class VisitProblem:
    """An OP instance over objects: node 0 is the entrance, the last node the exit."""

    matrix: np.ndarray  # seconds, symmetric dwell form (see the module docstring)
    prizes: np.ndarray
    budget: float  # seconds
    objects: list[ObjectRecord]  # nodes 1..n
    node_rooms: list[str]  # room of every node, entrance and exit included
    dwell: np.ndarray  # per node; 0 for entrance and exit
    walk: np.ndarray  # walking seconds between nodes (no dwell)
    coords: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))

    @property
    def start(self) -> int:
        return 0

    @property
    def end(self) -> int:
        return len(self.node_rooms) - 1

    def route_seconds(self, route: Sequence[int]) -> float:
        return float(sum(self.matrix[a, b] for a, b in itertools.pairwise(route)))

    def walking_seconds(self, route: Sequence[int]) -> float:
        return float(sum(self.walk[a, b] for a, b in itertools.pairwise(route)))

    def score(self, route: Sequence[int]) -> float:
        return float(sum(self.prizes[node] for node in set(route)))


def visit_problem(
    graph: nx.DiGraph,
    objects: Sequence[ObjectRecord],
    *,
    minutes: float,
    entrance: str,
    exit: str,
    times: RoomTimes | None = None,
    room_factor: Mapping[str, float] | None = None,
    max_candidates: int | None = MAX_CANDIDATES,
) -> VisitProblem:
    """The OP of one visit. `room_factor` (crowd.py) scales dwell in, and walking through,
    crowded rooms; pass `times` to reuse all-pairs times computed for the same factors.
    Large collections are cut to the most promising `max_candidates` objects (candidates())."""
    if minutes <= 0:
        raise PlanningError("budget", "the visit needs a positive number of minutes")
    for name, room in (("entrance", entrance), ("exit", exit)):
        if room not in graph:
            raise PlanningError("unknown_room", f"unknown {name} room {room!r}")
    if times is None:
        times = room_times(weighted_graph(graph, room_factor))
    if not np.isfinite(times.between(entrance, exit)):
        raise PlanningError("disconnected", "the exit cannot be reached from the entrance")
    factor = room_factor or {}
    reachable = [
        obj
        for obj in objects
        if obj.room in times.index
        and np.isfinite(times.between(entrance, obj.room))
        and np.isfinite(times.between(obj.room, exit))
    ]
    reachable = candidates(reachable, times, entrance, exit, minutes * 60.0, max_candidates)
    node_rooms = [entrance, *(obj.room for obj in reachable), exit]
    idx = np.array([times.index[room] for room in node_rooms])
    walk = times.seconds[np.ix_(idx, idx)].copy()
    same = idx[:, None] == idx[None, :]
    walk[same] = SAME_ROOM_SECONDS
    np.fill_diagonal(walk, 0.0)
    walk[0, -1] = walk[-1, 0] = 0.0 if entrance == exit else walk[0, -1]
    dwell = np.array(
        [0.0, *(obj.dwell_seconds * factor.get(obj.room, 1.0) for obj in reachable), 0.0]
    )
    matrix = walk + (dwell[:, None] + dwell[None, :]) / 2
    np.fill_diagonal(matrix, 0.0)
    matrix[~np.isfinite(matrix)] = 1e9  # one-way dead ends: never taken
    prizes = np.array([0.0, *(max(obj.interest, 0.0) for obj in reachable), 0.0])
    coords = np.array([[graph.nodes[room]["x"], graph.nodes[room]["y"]] for room in node_rooms])
    return VisitProblem(
        matrix=matrix,
        prizes=prizes,
        budget=float(minutes) * 60.0,
        objects=list(reachable),
        node_rooms=node_rooms,
        dwell=dwell,
        walk=np.where(np.isfinite(walk), walk, 1e9),
        coords=coords,
    )


def candidates(
    objects: list[ObjectRecord],
    times: RoomTimes,
    entrance: str,
    exit: str,
    budget: float,
    limit: int | None,
) -> list[ObjectRecord]:
    """Candidate list: at most `limit` objects (never fewer than 8 per dwell that fits the
    budget), half the best by prize and half the best by prize per second of detour + dwell.
    Objects keep their original order; the rest could not make a better route in practice."""
    if limit is None or len(objects) <= limit:
        return objects
    dwell = np.array([obj.dwell_seconds for obj in objects])
    limit = max(limit, int(8 * budget / max(float(np.median(dwell)), 1.0)))
    if len(objects) <= limit:
        return objects
    prize = np.array([obj.interest for obj in objects])
    detour = np.array(
        [times.between(entrance, o.room) + times.between(o.room, exit) for o in objects]
    ) - times.between(entrance, exit)
    ratio = prize / (dwell + np.maximum(detour, 0.0) + 1.0)
    keep = set(np.argsort(-prize, kind="stable")[: limit // 2].tolist())
    for index in np.argsort(-ratio, kind="stable").tolist():
        if len(keep) >= limit:
            break
        keep.add(index)
    return [objects[i] for i in sorted(keep)]


def default_entrance_exit(
    graph: nx.DiGraph, entrances: Sequence[str], exits: Sequence[str]
) -> tuple[str, str]:
    """The first marked entrance and exit, falling back to each other, then to the first room."""
    if not len(graph):
        raise PlanningError("no_floor_plan", "the museum has no floor plan")
    first = next(iter(graph.nodes))
    entrance = entrances[0] if entrances else exits[0] if exits else first
    exit_ = exits[0] if exits else entrance
    return entrance, exit_
