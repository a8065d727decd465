"""`ws/tours/<code>/`: a live guided tour. Poses as in rooms; tour events through the channel layer.

Tour state changes (stop, hands, questions) are written by museum.tours.services and published once
to the session's group. Each ASGI process subscribes one `TourHub` per live session it has members
in and fans the event out to its own connections, so an event costs one channel-layer message per
process, not one per follower.
"""

from __future__ import annotations

import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from museum.realtime.consumers import (
    CLOSE_NOT_FOUND,
    RealtimeConsumer,
    display_name,
)
from museum.realtime.crossprocess import Subscription
from museum.realtime.rooms import Member, Room
from museum.realtime.schema import (
    FOLLOWER_ONLY,
    GUIDE_ONLY,
    TOUR_MESSAGES,
    FrameError,
    server_frame,
)
from museum.tours import services as tour_services

logger = logging.getLogger(__name__)


def group_name(code: str) -> str:
    return f"tour.{code}"


def questions_frame(items: list[dict[str, Any]], member: Member) -> str:
    """Guides see every question; a follower sees answered ones and their own."""
    if member.role == "guide":
        visible = items
    else:
        visible = [
            {key: value for key, value in item.items() if key != "member"}
            | {"mine": item["member"] == member.id}
            for item in items
            if item["status"] == "answered" or item["member"] == member.id
        ]
    return server_frame("questions", items=visible)


class TourHub:
    """One process's subscription to a session's events, fanned out to its local connections."""

    def __init__(self, code: str, room: Room) -> None:
        self.code = code
        self.room = room
        self.subscription = Subscription(get_channel_layer(), group_name(code), self.dispatch)

    async def start(self) -> None:
        await self.subscription.start()

    async def stop(self) -> None:
        await self.subscription.stop()

    def dispatch(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "tour":
            self.room.broadcast(server_frame("tour", **event["state"]))
        elif kind == "hands":
            self.room.broadcast(server_frame("hands", queue=event["queue"]))
        elif kind == "questions":
            for member in list(self.room.members.values()):
                member.deliver(questions_frame(event["items"], member))


_hubs: dict[str, TourHub] = {}


async def publish(code: str, **event: Any) -> None:
    layer = get_channel_layer()
    assert layer is not None  # CHANNEL_LAYERS is always configured
    await layer.group_send(group_name(code), {"type": "tour.event", **event})


class TourConsumer(RealtimeConsumer):
    """Followers and guides of one live session."""

    messages = TOUR_MESSAGES

    async def connect(self) -> None:
        code = self.scope["url_route"]["kwargs"]["code"].upper()
        user = self.scope.get("user")
        info = await database_sync_to_async(tour_services.join_info)(code, user)
        await self.accept()
        if info is None:
            self.closed = True
            await self.close(CLOSE_NOT_FOUND)
            return
        self.code = info["code"]
        if info["state"]["status"] != "live":
            await self.send(server_frame("tour", **info["state"]))
            self.closed = True
            await self.close(1000)
            return
        room = await self.open_room(f"tour:{self.code}", cap=settings.REALTIME_TOUR_CAP)
        hub = _hubs.get(self.code)
        if hub is None or hub.room is not room:
            # Registered before its subscription completes so that concurrent joiners share it;
            # they read the current state from the database anyway.
            hub = _hubs[self.code] = TourHub(self.code, room)
            await hub.start()
        role = "guide" if info["is_guide"] else "follower"
        # The auth middleware has already loaded the user: reading its name needs no query.
        name = display_name(user) or room.next_visitor_name()
        await self.join_room(room, name=name, role=role, always_active=role == "guide")
        member = self.member
        assert member is not None
        member.deliver(server_frame("tour", **info["state"]))
        member.deliver(server_frame("hands", queue=info["hands"]))
        member.deliver(questions_frame(info["questions"], member))
        room.send_snapshot_to(member)

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        room_code = getattr(self, "code", None)
        hub = _hubs.get(room_code) if room_code else None
        if hub is not None and room_code and hub.room is self.room and not hub.room.members:
            del _hubs[room_code]
            await hub.stop()

    async def handle(self, kind: str, fields: dict[str, Any]) -> None:
        member = self.member
        assert member is not None and self.room is not None
        if kind in GUIDE_ONLY and member.role != "guide":
            raise FrameError("forbidden", "Only the tour's guide can do that.", kind)
        if kind in FOLLOWER_ONLY and member.role == "guide":
            raise FrameError("forbidden", "Guides lead; followers send that.", kind)
        if kind == "progress":
            self.room.set_fields(member, stop=fields["stop"], mode=fields["mode"])
            return
        if kind not in GUIDE_ONLY and kind not in FOLLOWER_ONLY:
            await super().handle(kind, fields)
            return
        try:
            event = await database_sync_to_async(self.apply)(kind, fields)
        except tour_services.TourError as error:
            raise FrameError(error.code, error.message, kind) from None
        await publish(self.code, **event)

    def apply(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Run the tour service for one control frame; return the event to publish."""
        user = self.scope.get("user")
        member = self.member
        assert member is not None
        code = self.code
        if kind == "goto":
            return {
                "kind": "tour",
                "state": tour_services.go_to_stop(code=code, user=user, index=fields["stop"]),
            }
        if kind == "end":
            return {"kind": "tour", "state": tour_services.end_live_tour(code=code, user=user)}
        if kind == "answer":
            items = tour_services.answer_question(
                code=code, user=user, question_id=fields["question"], text=fields["text"]
            )
            return {"kind": "questions", "items": items}
        if kind == "dismiss":
            items = tour_services.dismiss_question(
                code=code, user=user, question_id=fields["question"]
            )
            return {"kind": "questions", "items": items}
        if kind == "lower_hand":
            queue = tour_services.lower_hand(code=code, user=user, member_id=fields["member"])
            return {"kind": "hands", "queue": queue}
        if kind == "hand":
            queue = tour_services.set_hand(
                code=code, member_id=member.id, name=member.name, raised=fields["raised"]
            )
            return {"kind": "hands", "queue": queue}
        if kind == "ask":
            items = tour_services.ask_question(
                code=code, member_id=member.id, name=member.name, text=fields["text"]
            )
            return {"kind": "questions", "items": items}
        raise FrameError("unknown_type", f"Unknown message type {kind!r}.")
