"""`ws/tours/<code>/`: a live guided tour. Poses as in rooms; tour events through the channel layer.

Tour state changes (stop, hands, questions) are written by museum.tours.services and published once
to the session's group. Each ASGI process subscribes one `TourHub` per live session it has members
in and fans the event out to its own connections, so an event costs one channel-layer message per
process, not one per follower. A question travels as a delta (`question`: the one that changed).

Database work runs on two small executors of this module rather than on asgiref's one shared thread
(database_sync_to_async), so followers' hands and questions, and joins, queue behind each other but
never in front of a guide's `goto`. Each executor has one thread: events of one kind are published
in the order they were written (a `hands` event carries the whole queue; a later one must not be
overtaken by an older one). `hand` and `ask` are also rate-limited per connection and per person.

Live voice (`rtc`, `listen`, `talk`; the guide's `floor`) is the hub's `TourVoice` (voice.py): its
rules, relay and media-server bridge; signalling frames take from a bucket of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from channels.db import DatabaseSyncToAsync
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils.crypto import salted_hmac

from museum.analytics import live_tours
from museum.common.buckets import KeyedBuckets, TokenBucket
from museum.realtime.consumers import (
    CLOSE_NOT_FOUND,
    RealtimeConsumer,
    display_name,
)
from museum.realtime.crossprocess import PROCESS_ID, Subscription
from museum.realtime.rooms import Member, Room
from museum.realtime.schema import (
    FOLLOWER_ONLY,
    GUIDE_ONLY,
    TOUR_MESSAGES,
    FrameError,
    parse_frame,
    server_frame,
)
from museum.realtime.voice import SIGNALS, VOICE_EVENTS, VOICE_FRAMES, TourVoice, VoiceConfig
from museum.tours import floor as tour_floor
from museum.tours import services as tour_services

logger = logging.getLogger(__name__)

T = TypeVar("T")

# One thread each (see the module's docstring); Django opens a connection per thread.
GUIDE_DB = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tour-guide-db")
FOLLOWER_DB = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tour-follower-db")
REQUESTS = frozenset({"hand", "ask"})
# Hands and questions per person, across their connections: reconnecting does not refill them.
PERSON_REQUESTS = KeyedBuckets()


def on_executor(executor: ThreadPoolExecutor, function: Callable[..., T]) -> Any:
    """`function` as a coroutine function run on `executor`, closing stale database connections
    around it as database_sync_to_async does."""
    return DatabaseSyncToAsync(function, thread_sensitive=False, executor=executor)


def group_name(code: str) -> str:
    return f"tour.{code}"


def person_of(scope: Mapping[str, Any], address: str | None) -> str:
    """Who a socket belongs to across reconnections: the account, else the browser session, else
    the address. A keyed hash, so the session key is never stored or sent."""
    user = scope.get("user")
    session_key = getattr(scope.get("session"), "session_key", None)
    if user is not None and getattr(user, "is_authenticated", False):
        raw = f"user:{user.pk}"
    elif session_key:
        raw = f"session:{session_key}"
    else:
        raw = f"address:{address}"
    return salted_hmac("museum.realtime.tour.person", raw).hexdigest()[:32]


def visible_question(item: dict[str, Any], member: Member, person: str) -> dict[str, Any] | None:
    """What `member` may see of a question: guides see every one, a follower answered ones and
    their own (marked `mine`); None when hidden. The asker's person never leaves the server."""
    shown = {key: value for key, value in item.items() if key != "asker"}
    if member.role == "guide":
        return shown
    mine = item["asker"] == person
    if item["status"] != "answered" and not mine:
        return None
    shown.pop("member", None)
    return shown | {"mine": mine}


def questions_frame(items: list[dict[str, Any]], member: Member, person: str) -> str:
    visible = [shown for item in items if (shown := visible_question(item, member, person))]
    return server_frame("questions", items=visible)


class TourHub:
    """One process's subscription to a session's events, fanned out to its local connections."""

    def __init__(self, code: str, room: Room) -> None:
        self.code = code
        self.room = room
        self.subscription = Subscription(get_channel_layer(), group_name(code), self.dispatch)
        self.persons: dict[str, str] = {}  # member id -> person (person_of)
        self.voice = TourVoice(code=code, room=room, config=voice_config(), publish=self.publish)

    async def publish(self, **event: Any) -> None:
        await publish(self.code, **event)

    async def start(self) -> None:
        await self.subscription.start()
        await self.voice.start()

    async def stop(self) -> None:
        await self.subscription.stop()

    def dispatch(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind in VOICE_EVENTS:
            self.voice.dispatch(event)
            if kind == "floor" and event["hands"] is not None:  # the holder's hand was lowered
                self.room.broadcast(server_frame("hands", queue=event["hands"]))
        elif kind == "tour":
            self.room.broadcast(server_frame("tour", **event["state"]))
            live_tours.shown(self.code, event["state"])  # visit analytics: stops followers saw
            if event["state"]["status"] != "live":
                self.voice.ended()
            # A pointer on the model of the stop just left would land on the next one's.
            for member in list(self.room.members.values()):
                if member.entry is not None and member.entry.get("ptr"):
                    self.room.set_fields(member, ptr=None)
        elif kind == "hands":
            self.room.broadcast(server_frame("hands", queue=event["queue"]))
        elif kind == "question":
            item = event["item"]
            for member in list(self.room.members.values()):
                shown = visible_question(item, member, self.persons.get(member.id, ""))
                if shown is not None:
                    member.deliver(server_frame("question", item=shown))


_hubs: dict[str, TourHub] = {}


def voice_config() -> VoiceConfig:
    return VoiceConfig(
        mode=settings.MOUSEION_VOICE,
        p2p_max_listeners=settings.MOUSEION_VOICE_P2P_MAX_LISTENERS,
        janus_url=settings.MOUSEION_JANUS_URL,
        origin=PROCESS_ID,
        ice_servers=settings.MOUSEION_ICE_SERVERS,
    )


async def publish(code: str, **event: Any) -> None:
    layer = get_channel_layer()
    assert layer is not None  # CHANNEL_LAYERS is always configured
    await layer.group_send(group_name(code), {"type": "tour.event", **event})


class TourConsumer(RealtimeConsumer):
    """Followers and guides of one live session."""

    messages = TOUR_MESSAGES
    pointer_roles = frozenset({"guide"})
    pointer_space = "model"  # the current stop's model (the tour stage)
    hub: TourHub
    person: str  # person_of(): who this socket is across reconnections
    requests: TokenBucket  # this connection's hands and questions
    signals: TokenBucket  # this connection's WebRTC signalling (rtc, listen)

    async def connect(self) -> None:
        code = self.scope["url_route"]["kwargs"]["code"].upper()
        user = self.scope.get("user")
        self.person = person_of(self.scope, self.address)
        info = await on_executor(FOLLOWER_DB, self.joining)(code, user)
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
        name = display_name(user) or info.get("visitor_name") or room.next_visitor_name()
        self.hub = hub
        self.requests = TokenBucket(
            settings.REALTIME_TOUR_REQUEST_RATE, settings.REALTIME_TOUR_REQUEST_BURST
        )
        self.signals = TokenBucket(settings.REALTIME_RTC_RATE, settings.REALTIME_RTC_BURST)
        if not await self.join_room(room, name=name, role=role, always_active=role == "guide"):
            return
        member = self.member
        assert member is not None
        hub.persons[member.id] = self.person
        member.deliver(server_frame("tour", **info["state"]))
        if role == "follower":
            live_tours.joined(self.code, member.id, info["state"], self.scope)
        member.deliver(server_frame("hands", queue=info["hands"]))
        member.deliver(questions_frame(info["questions"], member, self.person))
        room.send_snapshot_to(member)
        await hub.voice.joined(member, floor=info["floor"])

    def joining(self, code: str, user: Any) -> dict[str, Any] | None:
        """join_info, and an anonymous follower's name, unique in the live session (one trip to
        the follower executor)."""
        info = tour_services.join_info(code, user)
        if info is not None:
            info["floor"] = tour_floor.floor_of(info["code"])
        if (
            info is not None
            and info["state"]["status"] == "live"
            and not info["is_guide"]
            and display_name(user) is None
        ):
            info["visitor_name"] = tour_services.visitor_name(code=info["code"], person=self.person)
        return info

    async def disconnect(self, code: int) -> None:
        member = self.member
        await super().disconnect(code)
        hub_of_member = getattr(self, "hub", None)
        if hub_of_member is not None and member is not None:
            hub_of_member.persons.pop(member.id, None)
            live_tours.left(hub_of_member.code, member.id)
            await self.leave_voice(hub_of_member, member)
        room_code = getattr(self, "code", None)
        hub = _hubs.get(room_code) if room_code else None
        if hub is not None and room_code and hub.room is self.room and not hub.room.members:
            del _hubs[room_code]
            await hub.stop()

    async def leave_voice(self, hub: TourHub, member: Member) -> None:
        """A floor holder who leaves gives the floor back (every process hears it)."""
        if hub.voice.floor == member.id and await on_executor(
            FOLLOWER_DB, tour_floor.release_floor
        )(code=self.code, member_id=member.id):
            await publish(self.code, kind="floor", floor=None, hands=None)
        await hub.voice.left(member)

    def check_frame(self, text: str | None, data: bytes | None) -> tuple[str, dict[str, Any]]:
        """As RealtimeConsumer.check_frame, but WebRTC signalling takes from its own bucket (a
        browser sends a burst of candidates when a call starts), so the frame is parsed first.
        Both receive paths (queued and direct) check frames here."""
        kind, fields = parse_frame(
            text, data, max_bytes=self.max_frame_bytes, messages=self.messages
        )
        bucket = self.signals if kind in SIGNALS else self.bucket
        if not bucket.take():
            raise FrameError("rate_limited", "Too many messages; slow down.", kind)
        return kind, fields

    async def handle(self, kind: str, fields: dict[str, Any]) -> None:
        member = self.member
        assert member is not None and self.room is not None
        if kind in VOICE_FRAMES:
            await self.hub.voice.handle(member, kind, fields)
            return
        if kind in GUIDE_ONLY and member.role != "guide":
            raise FrameError("forbidden", "Only the tour's guide can do that.", kind)
        if kind == "floor":
            self.hub.voice.check_floor_target(fields["member"])
        if kind in FOLLOWER_ONLY and member.role == "guide":
            raise FrameError("forbidden", "Guides lead; followers send that.", kind)
        if kind == "progress":
            self.room.set_fields(member, stop=fields["stop"], mode=fields["mode"])
            live_tours.roamed(self.code, member.id, fields["stop"])
            return
        if kind not in GUIDE_ONLY and kind not in FOLLOWER_ONLY:
            await super().handle(kind, fields)
            return
        if kind in REQUESTS and not (self.requests.take() and self.take_person_request()):
            raise FrameError("rate_limited", "Too many hands and questions; wait a moment.", kind)
        executor = GUIDE_DB if kind in GUIDE_ONLY else FOLLOWER_DB
        try:
            event = await on_executor(executor, self.apply)(kind, fields)
        except tour_services.TourError as error:
            raise FrameError(error.code, error.message, kind) from None
        await publish(self.code, **event)

    def take_person_request(self) -> bool:
        return PERSON_REQUESTS.take(
            self.person,
            rate=settings.REALTIME_TOUR_REQUEST_RATE,
            burst=settings.REALTIME_TOUR_REQUEST_BURST,
        )

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
            item = tour_services.answer_question(
                code=code, user=user, question_id=fields["question"], text=fields["text"]
            )
            return {"kind": "question", "item": item}
        if kind == "dismiss":
            item = tour_services.dismiss_question(
                code=code, user=user, question_id=fields["question"]
            )
            return {"kind": "question", "item": item}
        if kind == "floor":
            return tour_floor.give_floor(code=code, user=user, member_id=fields["member"])
        if kind == "lower_hand":
            queue = tour_services.lower_hand(code=code, user=user, member_id=fields["member"])
            return {"kind": "hands", "queue": queue}
        if kind == "hand":
            queue = tour_services.set_hand(
                code=code, member_id=member.id, name=member.name, raised=fields["raised"]
            )
            return {"kind": "hands", "queue": queue}
        if kind == "ask":
            item = tour_services.ask_question(
                code=code, member_id=member.id, asker=self.person, name=member.name,
                text=fields["text"],
            )  # fmt: skip
            return {"kind": "question", "item": item}
        raise FrameError("unknown_type", f"Unknown message type {kind!r}.")
