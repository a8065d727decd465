"""The live next stop (Django glue of live.py): where a walking visitor should go now.

From where the visitor stands, the time left and what they have seen, with the crowd as the
occupancy board has it now (present visitors on every process, plus the stops recommended
recently: each recommendation is reserved on the board, so visitors asking a second apart are not
all sent to the same quiet room). The stop comes from the live routing in settings
(`MOUSEION_LIVE_ROUTING`): "learned" (live.py's policy, trained in the simulated day) or
"aware" (the first stop of a crowd-aware plan from here).
"""

from __future__ import annotations

import functools
import time
from typing import Any

import numpy as np
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from museum.planning import services
from museum.planning.building import ObjectRecord, PlanningError, default_entrance_exit, room_times
from museum.planning.crowd import CROWD_PRICING, congestion_factor
from museum.planning.day import Crowd, Decision
from museum.planning.live import (
    PLAN_PRICING,
    SERVED_TEMPERATURE,
    NextStopPolicy,
    load_weights,
)
from museum.planning.planner import plan_visit


def live_routing() -> str:
    """The served live routing: settings.MOUSEION_LIVE_ROUTING, "learned" or "aware" (the
    settings refuse any other value)."""
    return str(settings.MOUSEION_LIVE_ROUTING)


@functools.cache
def _weights() -> dict[str, Any]:
    return load_weights()


def next_stop(
    *,
    room: str,
    minutes_left: float,
    seen: list[int] | None = None,
    interests: str = "",
    themes: list[str] | None = None,
    exit: str | None = None,
    group_size: int = 1,
) -> dict[str, Any]:
    """The next stop as JSON-ready data: {stop (or None: time to leave), text, why, routing,
    crowd}. Raises services.VisitPlanError for bad input."""
    if minutes_left is None or minutes_left <= 0:
        return _leave(_("Your time is up: head for the exit."))
    if group_size < 1:
        raise services.VisitPlanError(
            "group_size", "group_size", _("A group has at least one person.")
        )
    plan = services.load_floor_plan()
    if not plan.rooms:
        raise services.VisitPlanError(
            "no_floor_plan", "non_field_errors", _("The museum has no floor plan yet.")
        )
    here_room = services._room_by_code(plan.rooms, room, "room")
    assert here_room is not None  # room is required by the API
    end_room = services._room_by_code(plan.rooms, exit, "exit")
    graph = services.floor_graph(plan)
    try:
        _start, default_end = default_entrance_exit(
            graph,
            [str(r.pk) for r in plan.rooms if r.is_entrance],
            [str(r.pk) for r in plan.rooms if r.is_exit],
        )
    except PlanningError:
        return _no_route()
    here, end = str(here_room.pk), str(end_room.pk) if end_room else default_end
    themes = [t for t in (themes or []) if t.strip()]
    interest = services.visitor_interest(plan.items, interests, themes, None)
    already = set(seen or [])
    # Seen objects stay in the list (their reasons are read by index) with no prize left.
    objects = [
        ObjectRecord(
            i,
            str(item.room_id),
            services.DWELL_SECONDS,
            0.0 if item.artifact_id in already else float(interest.prizes[i]),
        )
        for i, item in enumerate(plan.items)
    ]
    load = services.crowd_now()
    routing = live_routing()
    # The policy reads the arrival plan it was trained with (live.PLAN_PRICING).
    pricing = PLAN_PRICING if routing == "learned" else CROWD_PRICING
    occupancy = {r: n for r, n in load.items() if n > 0} or None
    try:
        aware = plan_visit(
            graph,
            objects,
            minutes=minutes_left,
            entrance=here,
            exit=end,
            interest=interest,
            group_size=group_size,
            occupancy=occupancy,
            pricing=pricing,
            time_limit=0.05,
        )
    except PlanningError:
        # The floor plan has no way on from this room (no passage, no exit reachable): not the
        # visitor's mistake, so an answer with no stop rather than a refusal.
        return _no_route()
    planned = [int(stop.object_id) for stop in aware.stops]
    chosen: ObjectRecord | None = None
    if routing == "learned":
        capacity = {str(r.pk): max(r.capacity, 1) for r in plan.rooms}
        crowd = Crowd(
            capacity,
            inside=lambda r: round(load.get(r, 0.0)),
            waiting=lambda r: 0,  # a live museum does not see door queues; the board's load does
            heading={},
        )
        decision = Decision(
            0,
            0.0,
            minutes_left * 60,
            here,
            end,
            group_size,
            {o.id: o.interest for o in objects if o.interest > 0},
            planned,
            crowd,
        )
        policy = NextStopPolicy(
            objects,
            room_times(graph),
            _weights(),
            sample=SERVED_TEMPERATURE > 0,
            temperature=SERVED_TEMPERATURE or 1.0,
            rng=np.random.default_rng(),
        )
        chosen = policy(decision)
    elif planned:
        chosen = objects[planned[0]]
    if chosen is None:
        return _leave(_("Nothing more fits in your time: head for the exit."), routing)
    index = int(chosen.id)
    item = plan.items[index]
    stop_room = next(r for r in plan.rooms if str(r.pk) == chosen.room)
    inside = round(load.get(chosen.room, 0.0))
    why = _why(planned, index, aware, stop_room.name, inside, stop_room.capacity)
    # Reserve the recommendation on the board for its likely window (walk, then look).
    walk = room_times(graph).between(here, chosen.room)
    now = time.time()
    services.BOARD.reserve(chosen.room, now + walk, now + walk + chosen.dwell_seconds, group_size)
    title = item.artifact.title
    return {
        "stop": {
            "artifact": {
                "id": item.artifact_id,
                "title": title,
                "url": reverse("artifact-detail", args=[item.artifact_id]),
            },
            "room": {"code": stop_room.code, "name": stop_room.name},
        },
        "text": _("Next stop: %(title)s, %(room)s") % {"title": title, "room": stop_room.name},
        "why": why,
        "routing": routing,
        "crowd": {
            "inside": inside,
            "capacity": stop_room.capacity,
            "factor": round(congestion_factor(inside, stop_room.capacity), 2),
        },
    }


def _why(planned: list[int], index: int, aware: Any, room: str, inside: int, cap: int) -> str:
    """Why this stop: quiet enough and on the best route, or chosen over a busier first stop."""
    crowd = _("%(room)s has %(inside)s of %(capacity)s places taken.") % {
        "room": room,
        "inside": inside,
        "capacity": cap,
    }
    if planned and planned[0] == index:
        reason = services.reason_text(aware.stops[0].reason)
        return f"{reason} {crowd}"
    return f"{_('Quieter now than the other rooms worth your time.')} {crowd}"


def _no_route() -> dict[str, Any]:
    return _leave(_("No next stop can be suggested from this room."))


def _leave(text: str, routing: str | None = None) -> dict[str, Any]:
    return {"stop": None, "text": text, "why": "", "routing": routing or live_routing(),
            "crowd": None}  # fmt: skip
