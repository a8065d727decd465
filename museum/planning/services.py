"""Django glue of visit planning: read the floor plan and the placed artifacts, score them for
the visitor, call the framework-free planner (museum/planning) and word its explanations.

Objects are the published artifacts whose ExhibitionItem has a room. Rooms are graph nodes by
primary key; the API names them by code (codes are unique per floor: with several floors the
first match wins). Crowds come from `BOARD`, this process's OccupancyBoard, which the presence
consumers (museum/realtime) keep up to date as visitors enter and leave gallery rooms; on the
scaled profile the other processes' boards are added through Redis (shared_board.py).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from exhibits.curation import embedding_store
from exhibits.curation.embeddings import artifact_text, default_encoder
from exhibits.models import Artifact, ExhibitionItem, PublicationStatus
from museum.analytics.planner import dwell_weight, observed_dwell
from museum.building.services import public_rooms
from museum.models import Passage, Room
from museum.planning.building import (
    ObjectRecord,
    PassageRecord,
    PlanningError,
    RoomRecord,
    build_graph,
    default_entrance_exit,
)
from museum.planning.crowd import OccupancyBoard
from museum.planning.doorways import DOOR_WIDTH, Door, RoomBox, passage_doors, route_points
from museum.planning.interest import Interest, interest_scores, with_observed_dwell
from museum.planning.interest import terms as interest_terms
from museum.planning.planner import Plan, Reason, plan_visit
from museum.planning.shared_board import SharedBoard

BOARD = OccupancyBoard()


@functools.cache
def shared_board() -> SharedBoard | None:
    """The board shared with the other processes through Redis (scaled profile), or None."""
    linked = settings.REALTIME_CROSS_PROCESS and settings.REDIS_URL
    return SharedBoard(BOARD, settings.REDIS_URL) if linked else None


def crowd_now() -> dict[str, float]:
    """Visitors per room as a plan should see them: every process's, where they are shared."""
    shared = shared_board()
    return shared.expected(time.time()) if shared is not None else BOARD.expected(time.time())


DWELL_SECONDS = 90.0  # looking at one object, reading its label
MAX_MINUTES = 12 * 60


def visitor_entered(*, room: str) -> None:
    """A presence socket in `room` started sending poses (museum.realtime): the crowd board counts
    it until `visitor_left` (it left, or its poses stopped), so idle sockets do not count."""
    BOARD.enter(room)
    if (shared := shared_board()) is not None:
        shared.changed()


def visitor_left(*, room: str) -> None:
    BOARD.leave(room)
    if (shared := shared_board()) is not None:
        shared.changed()


class VisitPlanError(Exception):
    """A request that cannot be planned: `code` for clients, `field` the input at fault."""

    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.message = message


@dataclass
class FloorPlan:
    rooms: list[Room]
    passages: list[Passage]
    items: list[ExhibitionItem]


def load_floor_plan() -> FloorPlan:
    rooms = list(public_rooms().select_related("floor").order_by("floor__level", "pk"))
    room_ids = [room.pk for room in rooms]
    passages = list(Passage.objects.filter(from_room__in=room_ids, to_room__in=room_ids))
    items = list(
        ExhibitionItem.objects.filter(
            room__in=room_ids,
            artifact__status=PublicationStatus.PUBLISHED,
            exhibition__status=PublicationStatus.PUBLISHED,
        )
        .select_related("artifact", "room")
        .order_by("room_id", "order", "pk")
    )
    return FloorPlan(rooms, passages, items)


def floor_plan_data(plan: FloorPlan | None = None) -> dict[str, Any]:
    """Rooms (code, name, rectangle, entrance/exit) and passages (codes) for drawing."""
    plan = plan or load_floor_plan()
    by_pk = {room.pk: room for room in plan.rooms}
    return {
        "rooms": [
            {
                "code": room.code,
                "name": room.name,
                "x": room.x_m,
                "y": room.y_m,
                "width": room.width_m,
                "depth": room.depth_m,
                "entrance": room.is_entrance,
                "exit": room.is_exit,
            }
            for room in plan.rooms
        ],
        "passages": [
            {
                "from": by_pk[p.from_room_id].code,
                "to": by_pk[p.to_room_id].code,
                "doors": [{"at": list(door.at), "wall": door.wall} for door in doors],
            }
            for p, doors in zip(plan.passages, _passage_doors(plan).values(), strict=True)
        ],
        "doorWidth": DOOR_WIDTH,
    }


def _passage_doors(plan: FloorPlan) -> dict[tuple[str, str], tuple[Door, Door]]:
    """(from code, to code) -> the doors of each passage, in the order of plan.passages."""
    by_pk = {room.pk: room for room in plan.rooms}
    boxes = {room.pk: _box(room) for room in plan.rooms}
    return {
        (by_pk[p.from_room_id].code, by_pk[p.to_room_id].code): passage_doors(
            boxes[p.from_room_id], boxes[p.to_room_id]
        )
        for p in plan.passages
    }


def _box(room: Room) -> RoomBox:
    return RoomBox(room.x_m, room.y_m, room.width_m, room.depth_m)


def route_through_doors(plan: FloorPlan, rooms_path: list[str]) -> list[list[float]]:
    """The planned route as plan points, through the passages' doorways (doorways.py)."""
    boxes = {room.code: _box(room) for room in plan.rooms}
    points = route_points(boxes, rooms_path, _passage_doors(plan))
    return [[round(x, 3), round(y, 3)] for x, y in points]


def _room_by_code(rooms: list[Room], code: str | None, field: str) -> Room | None:
    if not code:
        return None
    for room in rooms:
        if room.code == code:
            return room
    raise VisitPlanError(
        "unknown_room", field, _("There is no room %(code)s on the floor plan.") % {"code": code}
    )


def closeness_text(similarity: float) -> str:
    """A similarity in visitor words (cosine of MiniLM-like sentence embeddings)."""
    if similarity >= 0.5:
        return _("Closely related to your interests.")
    if similarity >= 0.3:
        return _("Related to your interests.")
    return _("Loosely related to your interests.")


def reason_text(reason: Reason) -> str:
    if reason.code == "must_see":
        return _("You chose this object: it is a must-see.")
    if reason.code == "interest" and reason.terms:
        return _("Matches your interests: %(terms)s. %(closeness)s") % {
            "terms": ", ".join(reason.terms),
            "closeness": closeness_text(reason.similarity),
        }
    if reason.code == "interest":
        return closeness_text(reason.similarity)
    return _("On the way, and there is time for it.")


def arrival_text(minute: float, room: str) -> str:
    """When a stop comes, in whole minutes: "Music gallery, after about 4 minutes"."""
    whole = round(minute)
    if whole < 1:
        return _("%(room)s, in the first minute") % {"room": room}
    return ngettext(
        "%(room)s, after about %(minutes)s minute",
        "%(room)s, after about %(minutes)s minutes",
        whole,
    ) % {"room": room, "minutes": whole}


def plan_words(data: dict[str, Any], interests: list[str]) -> dict[str, str]:
    """What the plan page says about a plan, with correct plurals: how many stops, the time,
    and how many of the visitor's interests (words) the stops cover."""
    count = len(data["stops"])
    wanted = sorted(set().union(*(interest_terms(text) for text in interests)))
    found = {term for stop in data["stops"] for term in stop["reason"]["terms"]}
    covered = sum(1 for term in wanted if term in found)
    time = ngettext(
        "%(total)s of your %(budget)s minute, %(walking)s of them walking.",
        "%(total)s of your %(budget)s minutes, %(walking)s of them walking.",
        round(data["budget_minutes"]),
    ) % {
        "total": round(data["total_minutes"]),
        "budget": round(data["budget_minutes"]),
        "walking": round(data["walking_minutes"]),
    }
    coverage = (
        ngettext(
            "Covers %(covered)s of your %(count)s interest.",
            "Covers %(covered)s of your %(count)s interests.",
            len(wanted),
        )
        % {"covered": covered, "count": len(wanted)}
        if wanted
        else ""
    )
    return {
        "status": ngettext(
            "Your route has %(count)s stop.", "Your route has %(count)s stops.", count
        )
        % {"count": count},
        "summary": f"{time} {coverage}".strip(),
    }


def _query_vectors(
    artifacts: list[Artifact], query: str
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Object embeddings and the query's, from one encoder (TF-IDF: encoded together)."""
    if not artifacts:
        return None, None
    encoder = default_encoder()
    if not query.strip():
        return None, None
    if embedding_store.is_cacheable(encoder):
        vectors = embedding_store.embeddings_for(artifacts, encoder)
        return vectors, encoder.encode([query])[0]
    encoded = encoder.encode([artifact_text(a) for a in artifacts] + [query])
    return encoded[:-1], encoded[-1]


def floor_graph(plan: FloorPlan) -> nx.DiGraph:
    """The planner's graph of the floor plan: rooms by primary key, passages with seconds."""
    return build_graph(
        [RoomRecord(str(r.pk), r.capacity, r.x_m, r.y_m) for r in plan.rooms],
        [
            PassageRecord(str(p.from_room_id), str(p.to_room_id), p.walking_seconds, p.two_way)
            for p in plan.passages
        ],
    )


def visitor_interest(
    items: list[ExhibitionItem], interests: str, themes: list[str], liked_artifact: int | None
) -> Interest:
    """Each placed object's interest for this visitor (text, themes, a liked object, and what
    visitors actually dwell on)."""
    artifacts = [item.artifact for item in items]
    liked_index = None
    if liked_artifact is not None:
        liked_index = next((i for i, a in enumerate(artifacts) if a.pk == liked_artifact), None)
        if liked_index is None:
            raise VisitPlanError(
                "unknown_artifact",
                "liked_artifact",
                _("That object is not on display in the museum."),
            )
    query = " ".join([interests, *themes]).strip()
    vectors, query_vector = _query_vectors(artifacts, query)
    interest = interest_scores(
        [artifact_text(a) for a in artifacts],
        vectors,
        query_vector=query_vector,
        query_terms=[interests, *themes],
        liked_index=liked_index,
    )
    # What visitors actually dwell on (visit analytics), shrunk towards neutral; {} when off.
    observed = observed_dwell([a.pk for a in artifacts])
    return with_observed_dwell(interest, observed, weight=dwell_weight())


def plan_for_visitor(
    *,
    interests: str = "",
    themes: list[str] | None = None,
    liked_artifact: int | None = None,
    minutes: float,
    entrance: str | None = None,
    exit: str | None = None,
    group_size: int = 1,
) -> dict[str, Any]:
    """Plan a visit and return it as JSON-ready data (raises VisitPlanError)."""
    if minutes is None or minutes <= 0:
        raise VisitPlanError("budget", "minutes", _("The visit needs more than 0 minutes."))
    if minutes > MAX_MINUTES:
        raise VisitPlanError(
            "budget", "minutes", _("A visit lasts at most %(n)d minutes.") % {"n": MAX_MINUTES}
        )
    if group_size < 1:
        raise VisitPlanError("group_size", "group_size", _("A group has at least one person."))
    plan = load_floor_plan()
    if not plan.rooms:
        raise VisitPlanError(
            "no_floor_plan", "non_field_errors", _("The museum has no floor plan yet.")
        )
    start_room = _room_by_code(plan.rooms, entrance, "entrance")
    end_room = _room_by_code(plan.rooms, exit, "exit")
    graph = floor_graph(plan)
    default_start, default_end = default_entrance_exit(
        graph,
        [str(r.pk) for r in plan.rooms if r.is_entrance],
        [str(r.pk) for r in plan.rooms if r.is_exit],
    )
    start = str(start_room.pk) if start_room else default_start
    end = str(end_room.pk) if end_room else default_end

    items = plan.items
    themes = [t for t in (themes or []) if t.strip()]
    interest = visitor_interest(items, interests, themes, liked_artifact)
    objects = [
        ObjectRecord(i, str(item.room_id), DWELL_SECONDS, float(interest.prizes[i]))
        for i, item in enumerate(items)
    ]
    present = crowd_now()
    # Priced by crowd.CROWD_PRICING, as aware plans are in the simulated day.
    occupancy = {room: float(n) for room, n in present.items() if n > 0} or None
    try:
        result = plan_visit(
            graph,
            objects,
            minutes=minutes,
            entrance=start,
            exit=end,
            interest=interest,
            group_size=group_size,
            occupancy=occupancy,
            use_policy=getattr(settings, "MOUSEION_PLAN_WITH_POLICY", False),
        )
    except PlanningError as exc:
        raise _wrap(exc) from exc
    data = plan_data(result, items, {str(r.pk): r for r in plan.rooms}, group_size)
    data["route"] = route_through_doors(plan, data["rooms_path"])
    data["words"] = plan_words(data, [interests, *themes])
    return data


def _wrap(exc: PlanningError) -> VisitPlanError:
    if exc.code == "disconnected":
        return VisitPlanError(
            "disconnected", "exit", _("The exit cannot be reached from the entrance.")
        )
    if exc.code == "budget":
        return VisitPlanError("budget", "minutes", _("The visit needs more than 0 minutes."))
    if exc.code == "no_floor_plan":
        return VisitPlanError(
            "no_floor_plan", "non_field_errors", _("The museum has no floor plan yet.")
        )
    return VisitPlanError(exc.code, "non_field_errors", str(exc))


def plan_data(
    result: Plan, items: list[ExhibitionItem], rooms: dict[str, Room], group_size: int
) -> dict[str, Any]:
    stops = []
    for stop in result.stops:
        item = items[int(stop.object_id)]
        room = rooms[stop.room]
        stops.append(
            {
                "number": stop.number,
                "artifact": {
                    "id": item.artifact_id,
                    "title": item.artifact.title,
                    "url": reverse("artifact-detail", args=[item.artifact_id]),
                },
                "room": {"code": room.code, "name": room.name},
                "arrival_minute": stop.arrival_minute,
                "arrival_text": arrival_text(stop.arrival_minute, room.name),
                "dwell_minutes": stop.dwell_minutes,
                "reason": {
                    "code": stop.reason.code,
                    "text": reason_text(stop.reason),
                    "terms": list(stop.reason.terms),
                    "similarity": round(stop.reason.similarity, 3),
                },
            }
        )
    return {
        "stops": stops,
        "total_minutes": result.total_minutes,
        "walking_minutes": result.walking_minutes,
        "budget_minutes": result.budget_minutes,
        "interest": result.interest,
        "rooms_path": [rooms[r].code for r in result.rooms_path],
        "entrance": rooms[result.entrance].code,
        "exit": rooms[result.exit].code,
        "group_size": group_size,
        "crowd_aware": result.crowd_aware,
        "solver": result.solver,
    }
