"""Presence and tour consumers through Channels' communicator (in-memory layer, real consumers)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from museum.models import Floor, Room
from museum.routing import websocket_urlpatterns

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

APP = URLRouter(websocket_urlpatterns)
POSE = {"type": "pose", "p": [1.0, 1.6, 2.0], "q": [0.0, 0.0, 0.0, 1.0]}


@pytest.fixture
def educator(django_user_model):
    """The guide: what makes a guide is leading the session, not a group (transactional DB)."""
    return django_user_model.objects.create_user("guide", "guide@example.org", None)


@pytest.fixture
def room() -> Room:
    floor = Floor.objects.create(name="Ground")
    return Room.objects.create(floor=floor, code="g1", name="Gallery 1")


async def connect(path: str, user: Any = None, address: str | None = None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(APP, path)
    communicator.scope["user"] = user or AnonymousUser()
    if address is not None:  # who a visitor is without an account or session (tours)
        communicator.scope["client"] = (address, 50000)
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    return communicator


async def receive(communicator: WebsocketCommunicator, timeout: float = 5.0) -> dict:
    return json.loads(await communicator.receive_from(timeout=timeout))


async def receive_until(communicator: WebsocketCommunicator, kind: str, predicate=None) -> dict:
    for _ in range(60):
        frame = await receive(communicator)
        if frame["type"] == kind and (predicate is None or predicate(frame)):
            return frame
    raise AssertionError(f"no {kind} frame")


async def test_joiner_gets_welcome_and_full_snapshot_then_sees_poses(room):
    first = await connect(f"/ws/rooms/{room.pk}/")
    welcome = await receive(first)
    assert welcome["type"] == "welcome" and welcome["mode"] == "active"
    assert (await receive(first))["type"] == "snapshot"
    await first.send_to(text_data=json.dumps(POSE | {"t": 42}))

    second = await connect(f"/ws/rooms/{room.pk}/")
    assert (await receive(second))["type"] == "welcome"
    snapshot = await receive_until(second, "snapshot", lambda f: f["members"])
    (member,) = snapshot["members"]
    assert member["id"] == welcome["id"]
    assert member["p"] == [1.0, 1.6, 2.0] and member["t"] == 42
    assert member["role"] == "visitor" and member["name"].startswith("Visitor")

    # Leavers disappear at once: a `leave` frame, not the next tick.
    await first.disconnect()
    leave = await receive_until(second, "leave")
    assert leave["id"] == welcome["id"]
    await second.disconnect()


async def test_room_cap_turns_late_joiners_into_listeners(room, settings):
    settings.REALTIME_ROOM_CAP = 2
    sockets = [await connect(f"/ws/rooms/{room.pk}/") for _ in range(3)]
    modes = [(await receive(socket))["mode"] for socket in sockets]
    assert modes == ["active", "active", "listener"]
    listener = sockets[2]
    await listener.send_to(text_data=json.dumps(POSE))
    error = await receive_until(listener, "error")
    assert error["code"] == "listener"
    # Listeners still receive the room's snapshots, and are counted in them.
    await sockets[0].send_to(text_data=json.dumps(POSE))
    snapshot = await receive_until(listener, "snapshot", lambda f: f["members"])
    assert snapshot["listeners"] == 1 and len(snapshot["members"]) == 1
    for socket in sockets:
        await socket.disconnect()


async def test_unknown_room_closes_with_4004():
    communicator = WebsocketCommunicator(APP, "/ws/rooms/999999/")
    communicator.scope["user"] = AnonymousUser()
    await communicator.connect()
    closed = await communicator.receive_output(timeout=2)
    assert closed == {"type": "websocket.close", "code": 4004}


async def test_hostile_frames_get_error_frames_and_the_socket_survives(room, settings):
    settings.REALTIME_MAX_FRAME_BYTES = 1024
    socket = await connect(f"/ws/rooms/{room.pk}/")
    await receive(socket)
    for bad, code in [
        ("{nope", "bad_json"),
        (json.dumps({"type": "fly"}), "unknown_type"),
        (json.dumps({"type": "pose", "p": "here", "q": [0, 0, 0, 1]}), "bad_value"),
        (json.dumps({"type": "hello", "name": "x" * 2000}), "too_large"),
    ]:
        await socket.send_to(text_data=bad)
        assert (await receive_until(socket, "error"))["code"] == code
    await socket.send_to(bytes_data=b"\x00")
    assert (await receive_until(socket, "error"))["code"] == "binary_not_supported"
    await socket.send_to(text_data=json.dumps({"type": "ping", "t": 7}))
    assert (await receive_until(socket, "pong"))["t"] == 7
    await socket.disconnect()


async def test_a_flood_is_rate_limited_then_closed(room, settings):
    settings.REALTIME_RATE = 5.0
    settings.REALTIME_BURST = 5.0
    settings.REALTIME_MAX_STRIKES = 20
    socket = await connect(f"/ws/rooms/{room.pk}/")
    await receive(socket)
    for _ in range(40):
        await socket.send_to(text_data=json.dumps({"type": "ping"}))
    frames = []
    while True:
        output = await socket.receive_output(timeout=2)
        if output["type"] == "websocket.close":
            break
        frames.append(json.loads(output["text"]))
    pongs = [f for f in frames if f["type"] == "pong"]
    errors = [f for f in frames if f["type"] == "error"]
    assert 5 <= len(pongs) <= 7  # the burst, plus what refilled meanwhile
    assert errors and {e["code"] for e in errors} == {"rate_limited"}
    assert output["code"] == 4008


async def test_a_client_that_stops_reading_does_not_stall_the_room(room):
    """A send that blocks (paused transport) must not delay snapshots to others."""
    blocked = asyncio.Event()

    async def stuck_app(scope, receive, send):
        async def slow_send(message):
            if message["type"] == "websocket.send":
                await blocked.wait()  # never set: this client never drains
            await send(message)

        await APP(scope, receive, slow_send)

    stuck = WebsocketCommunicator(stuck_app, f"/ws/rooms/{room.pk}/")
    stuck.scope["user"] = AnonymousUser()
    await stuck.connect()
    healthy = await connect(f"/ws/rooms/{room.pk}/")
    await receive(healthy)
    seqs = set()
    for step in range(30):
        # Keep moving so that every tick has news (an idle room only sends once a second).
        await healthy.send_to(text_data=json.dumps(POSE | {"p": [step / 10, 1.6, 0]}))
        frame = await receive(healthy, timeout=1.5)
        if frame["type"] == "snapshot":
            seqs.add(frame["seq"])
        if len(seqs) >= 3:
            break
    assert len(seqs) >= 3
    await healthy.disconnect()
    await stuck.disconnect()


@sync_to_async
def live_tour(educator_user):
    from exhibits.models import PublicationStatus
    from museum.models import Tour, TourStop
    from museum.tours import services as tour_services
    from tests.unit.factories import make_artifact

    tour = Tour.objects.create(title="Highlights", educator=educator_user)
    for order in range(3):
        artifact = make_artifact(title=f"Object {order}", status=PublicationStatus.PUBLISHED)
        TourStop.objects.create(
            tour=tour,
            order=order,
            artifact=artifact,
            narration=f"Narration {order}",
            camera_position=[0, 1, order + 2],
            camera_target=[0, 0.5, 0],
        )
    return tour_services.start_live_tour(tour=tour, guide=educator_user)


async def test_only_the_guide_moves_the_tour_and_followers_follow(educator):
    session = await live_tour(educator)
    path = f"/ws/tours/{session.code}/"
    guide = await connect(path, educator)
    assert (await receive(guide))["role"] == "guide"
    follower = await connect(path)
    welcome = await receive(follower)
    assert welcome["role"] == "follower"
    state = await receive_until(follower, "tour")
    assert state["stop_index"] == 0 and state["stop"]["narration"] == "Narration 0"

    await follower.send_to(text_data=json.dumps({"type": "goto", "stop": 2}))
    assert (await receive_until(follower, "error"))["code"] == "forbidden"

    await guide.send_to(text_data=json.dumps({"type": "goto", "stop": 2}))
    moved = await receive_until(follower, "tour")
    assert moved["stop_index"] == 2 and moved["stop"]["camera"]["position"] == [0, 1, 4]

    # A late joiner lands on the current stop.
    late = await connect(path)
    await receive(late)
    assert (await receive_until(late, "tour"))["stop_index"] == 2

    await guide.send_to(text_data=json.dumps({"type": "goto", "stop": 9}))
    assert (await receive_until(guide, "error"))["code"] == "bad_value"
    for socket in (guide, follower, late):
        await socket.disconnect()


async def test_hands_questions_and_lagging_followers(educator):
    session = await live_tour(educator)
    path = f"/ws/tours/{session.code}/"
    guide = await connect(path, educator)
    await receive(guide)
    follower, other = (
        await connect(path, address="10.0.0.1"),
        await connect(path, address="10.0.0.2"),
    )
    follower_id = (await receive(follower))["id"]
    await receive(other)

    await follower.send_to(text_data=json.dumps({"type": "hand", "raised": True}))
    hands = await receive_until(guide, "hands", lambda f: f["queue"])
    assert hands["queue"][0]["member"] == follower_id

    await follower.send_to(text_data=json.dumps({"type": "ask", "text": "How old is it?"}))
    # A question travels as a delta: the one question, not the whole list.
    question = (await receive_until(guide, "question"))["item"]
    assert question["text"] == "How old is it?" and question["status"] == "open"
    assert question["member"] == follower_id and "asker" not in question
    own = (await receive_until(follower, "question"))["item"]
    assert own["id"] == question["id"] and own["mine"] is True and "member" not in own

    await guide.send_to(
        text_data=json.dumps({"type": "answer", "question": question["id"], "text": "3000 years"})
    )
    # Another follower never saw the open question, only its answer.
    answered = (await receive_until(other, "question"))["item"]
    assert answered["id"] == question["id"] and answered["answer"] == "3000 years"
    assert answered["mine"] is False

    await follower.send_to(text_data=json.dumps({"type": "progress", "stop": 0, "mode": "roam"}))
    await follower.send_to(text_data=json.dumps(POSE))
    snapshot = await receive_until(
        guide, "snapshot", lambda f: any(m["id"] == follower_id for m in f["members"])
    )
    entry = next(m for m in snapshot["members"] if m["id"] == follower_id)
    assert entry["mode"] == "roam" and entry["stop"] == 0
    for socket in (guide, follower, other):
        await socket.disconnect()


async def test_ended_tour_refuses_control_and_new_sockets_get_the_end(educator):
    session = await live_tour(educator)
    path = f"/ws/tours/{session.code}/"
    guide = await connect(path, educator)
    await receive(guide)
    await guide.send_to(text_data=json.dumps({"type": "end"}))
    ended = await receive_until(guide, "tour", lambda f: f["status"] == "ended")
    assert ended["status"] == "ended"
    await guide.disconnect()
    late = await connect(path)
    assert (await receive(late))["status"] == "ended"
    closed = await late.receive_output(timeout=2)
    assert closed["type"] == "websocket.close"


async def test_anonymous_followers_get_names_unique_in_the_tour(educator):
    """Issue #22 item 13: two anonymous followers were both "Visitor 1" (the number restarted
    with the process's room). Names come from the session now: unique in it, kept on reconnect."""
    session = await live_tour(educator)
    path = f"/ws/tours/{session.code}/"
    first = await connect(path, address="10.0.0.1")
    first_name = (await receive(first))["name"]
    await first.disconnect()  # the room empties and this process forgets it
    second = await connect(path, address="10.0.0.2")
    second_name = (await receive(second))["name"]
    again = await connect(path, address="10.0.0.1")
    again_name = (await receive(again))["name"]
    assert first_name.startswith("Visitor ") and second_name.startswith("Visitor ")
    assert first_name != second_name
    assert again_name == first_name, "the same person keeps their name when they reconnect"
    guide = await connect(path, educator)
    assert (await receive(guide))["name"] == "guide"
    for socket in (second, again, guide):
        await socket.disconnect()


async def test_anonymous_gallery_visitors_get_numbers_unique_across_processes(room):
    """Issue #22: each process numbered a room's visitors from 1 (two processes, two "Visitor
    1"). A room emptied and opened again is what another process is: a fresh in-process room.
    The number comes from the shared cache now (Redis when scaled)."""
    from museum.realtime.presence_consumer import visitor_name

    path = f"/ws/rooms/{room.pk}/"
    first = await connect(path)
    first_name = (await receive(first))["name"]
    await first.disconnect()  # the room empties and this process forgets it
    await asyncio.sleep(0.05)
    second = await connect(path)
    second_name = (await receive(second))["name"]
    assert first_name.startswith("Visitor ") and second_name.startswith("Visitor ")
    assert first_name != second_name
    await second.disconnect()
    # Per room, counting up: another room's count is its own.
    other = [int((await sync_to_async(visitor_name)(room.pk + 1000)).split()[1]) for _ in range(3)]
    assert other == [other[0], other[0] + 1, other[0] + 2]
    assert int(second_name.split()[1]) == int(first_name.split()[1]) + 1


async def test_presence_feeds_the_planners_crowd_board(room):
    from museum.planning.services import BOARD

    key = str(room.pk)
    before = BOARD.present().get(key, 0)
    sockets = [await connect(f"/ws/rooms/{room.pk}/") for _ in range(3)]
    for socket in sockets:
        await receive(socket)
        await socket.send_to(text_data=json.dumps(POSE))  # counted from their first pose
        await socket.send_to(text_data=json.dumps({"type": "ping"}))
        await receive_until(socket, "pong")
    assert BOARD.present()[key] == before + 3
    for socket in sockets:
        await socket.disconnect()
    await asyncio.sleep(0.05)
    assert BOARD.present()[key] == before
