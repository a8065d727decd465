"""Websocket abuse limits (#17): connections per address, listeners per room, joins batched into
the next snapshot, tour hands and questions throttled and kept off the guide's way, and a crowd
board fed only by sockets that send poses. Real consumers through Channels' communicator."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from museum.models import Floor, Room, TourQuestion
from museum.realtime.connections import address_gate, client_address, scope_address
from museum.tours import services as tour_services
from tests.unit.test_realtime_consumers import APP, POSE, live_tour, receive, receive_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def gallery(db) -> Room:
    floor = Floor.objects.create(name="Ground")
    return Room.objects.create(floor=floor, code="g1", name="Gallery 1")


@pytest.fixture
def guide_user(django_user_model):
    return django_user_model.objects.create_user("guide", "guide@example.org", None)


async def open_socket(
    path: str, *, address: str = "10.0.0.1", user: Any = None, headers: list | None = None
) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(APP, path, headers=headers or [])
    communicator.scope["user"] = user or AnonymousUser()
    communicator.scope["client"] = (address, 50000)
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    return communicator


async def closed_with(communicator: WebsocketCommunicator) -> dict:
    """The close message that follows an accepted-then-refused connection."""
    while True:
        output = await communicator.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return output


# connections per address


async def test_the_address_is_the_peer_unless_proxies_are_counted():
    assert client_address("10.0.0.1", "6.6.6.6", num_proxies=0) == "10.0.0.1"
    assert client_address("127.0.0.1", "6.6.6.6, 10.0.0.9", num_proxies=1) == "10.0.0.9"
    assert client_address("127.0.0.1", "6.6.6.6, 10.0.0.9, 10.1.1.1", num_proxies=2) == "10.0.0.9"
    assert client_address("127.0.0.1", None, num_proxies=1) == "127.0.0.1"
    assert client_address(None, None, num_proxies=0) == "unknown"
    scope = {"client": ("127.0.0.1", 1), "headers": [(b"x-forwarded-for", b"1.2.3.4, 10.0.0.9")]}
    assert scope_address(scope, num_proxies=1) == "10.0.0.9"


async def test_connections_past_the_cap_of_one_address_are_refused_with_4029(
    gallery, guide_user, settings
):
    settings.REALTIME_MAX_CONNECTIONS_PER_ADDRESS = 3
    path = f"/ws/rooms/{gallery.pk}/"
    sockets = [await open_socket(path) for _ in range(3)]
    for socket in sockets:
        assert (await receive(socket))["type"] == "welcome"
    refused = await open_socket(path)
    closed = await closed_with(refused)
    assert closed["code"] == 4029 and "Too many connections" in closed["reason"]
    # The tour route counts against the same address.
    session = await live_tour(guide_user)
    refused_tour = await open_socket(f"/ws/tours/{session.code}/")
    assert (await closed_with(refused_tour))["code"] == 4029
    # Another visitor (address) is not refused, and a freed place is taken again.
    neighbour = await open_socket(path, address="10.0.0.2")
    assert (await receive(neighbour))["type"] == "welcome"
    await sockets[0].disconnect()
    await asyncio.sleep(0.05)
    again = await open_socket(path)
    assert (await receive(again))["type"] == "welcome"
    for socket in (*sockets[1:], neighbour, again):
        await socket.disconnect()
    await asyncio.sleep(0.05)
    assert address_gate().held("10.0.0.1") == 0 and address_gate().held("10.0.0.2") == 0


async def test_behind_a_proxy_the_forwarded_address_is_counted_and_spoofing_does_not_help(
    gallery, settings
):
    settings.REALTIME_MAX_CONNECTIONS_PER_ADDRESS = 2
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    path = f"/ws/rooms/{gallery.pk}/"

    def via_proxy(claimed: str, seen: str) -> list:
        # What nginx forwards: the client's own claim, then the address nginx saw.
        return [(b"x-forwarded-for", f"{claimed}, {seen}".encode())]

    sockets = [
        await open_socket(path, address="127.0.0.1", headers=via_proxy(f"6.6.6.{n}", "10.0.0.9"))
        for n in range(2)
    ]
    for socket in sockets:
        assert (await receive(socket))["type"] == "welcome"
    spoofer = await open_socket(path, address="127.0.0.1", headers=via_proxy("1.1.1.1", "10.0.0.9"))
    assert (await closed_with(spoofer))["code"] == 4029
    # The proxy's own address is shared by every visitor: it is not what is counted.
    other = await open_socket(path, address="127.0.0.1", headers=via_proxy("x", "10.0.0.10"))
    assert (await receive(other))["type"] == "welcome"
    for socket in (*sockets, other):
        await socket.disconnect()


# listeners per room


async def test_listeners_past_the_listener_cap_are_refused_with_4013(gallery, settings):
    settings.REALTIME_ROOM_CAP = 1
    settings.REALTIME_MAX_LISTENERS = 2
    path = f"/ws/rooms/{gallery.pk}/"
    sockets = [await open_socket(path, address=f"10.0.1.{n}") for n in range(3)]
    modes = [(await receive(socket))["mode"] for socket in sockets]
    assert modes == ["active", "listener", "listener"]
    full = await open_socket(path, address="10.0.1.9")
    closed = await closed_with(full)
    assert closed["code"] == 4013 and "full" in closed["reason"]
    # A listener leaves: the next visitor listens again.
    await sockets[2].disconnect()
    await asyncio.sleep(0.05)
    late = await open_socket(path, address="10.0.1.10")
    assert (await receive(late))["mode"] == "listener"
    for socket in (*sockets[:2], late):
        await socket.disconnect()


# joins


async def test_a_join_storm_is_one_snapshot_per_tick_not_a_frame_per_join(gallery, settings):
    settings.REALTIME_ROOM_CAP = 50
    path = f"/ws/rooms/{gallery.pk}/"
    first = await open_socket(path, address="10.0.2.1")
    await receive(first)  # welcome
    started = time.monotonic()
    joiners = [await open_socket(path, address=f"10.0.3.{n}") for n in range(30)]
    ids = set()
    for joiner in joiners:
        welcome = await receive(joiner)
        ids.add(welcome["id"])
        assert (await receive(joiner))["type"] == "snapshot"  # at once, the last tick's state
    await asyncio.sleep(0.25)  # the tick after the last join
    elapsed = time.monotonic() - started
    frames = []
    while not await first.receive_nothing(timeout=0.01):
        frames.append(json.loads(await first.receive_from()))
    assert not [frame for frame in frames if frame["type"] == "join"]
    # One snapshot per tick at most (10 Hz), not one frame per join.
    assert len(frames) <= elapsed * settings.REALTIME_TICK_HZ + 3 < 30
    joined = {entry["id"] for frame in frames for entry in frame.get("joined", [])}
    assert ids <= joined  # every joiner was announced, in a snapshot
    for socket in (first, *joiners):
        await socket.disconnect()


# tours


async def test_hands_are_throttled_per_connection_and_per_person(guide_user, settings):
    settings.REALTIME_TOUR_REQUEST_RATE = 0.2
    settings.REALTIME_TOUR_REQUEST_BURST = 3
    session = await live_tour(guide_user)
    path = f"/ws/tours/{session.code}/"
    follower = await open_socket(path, address="10.0.4.1")
    await receive(follower)
    for n in range(8):
        await follower.send_to(text_data=json.dumps({"type": "hand", "raised": n % 2 == 0}))
    error = await receive_until(follower, "error")
    assert error["code"] == "rate_limited" and error["ref"] == "hand"
    await asyncio.sleep(0.3)
    rows = await TourQuestion.objects.filter(kind="hand").acount()
    assert rows <= 3  # only the burst reached the database
    # Reconnecting is the same person (same address here, no account or session): still limited.
    await follower.disconnect()
    again = await open_socket(path, address="10.0.4.1")
    await receive(again)
    await again.send_to(text_data=json.dumps({"type": "hand", "raised": True}))
    assert (await receive_until(again, "error"))["code"] == "rate_limited"
    # Another person raising a hand once is served.
    other = await open_socket(path, address="10.0.4.2")
    other_id = (await receive(other))["id"]
    await other.send_to(text_data=json.dumps({"type": "hand", "raised": True}))
    hands = await receive_until(
        other, "hands", lambda f: any(hand["member"] == other_id for hand in f["queue"])
    )
    assert len(hands["queue"]) == 2  # the first follower's raised hand and this one
    for socket in (again, other):
        await socket.disconnect()


async def test_the_open_questions_cap_survives_a_reconnect(guide_user, django_user_model, settings):
    settings.REALTIME_TOUR_REQUEST_BURST = 50
    session = await live_tour(guide_user)
    path = f"/ws/tours/{session.code}/"
    visitor = await django_user_model.objects.acreate(username="visitor")
    socket = await open_socket(path, user=visitor)
    await receive(socket)
    for number in range(tour_services.MAX_OPEN_QUESTIONS_PER_PERSON):
        await socket.send_to(text_data=json.dumps({"type": "ask", "text": f"Q{number}"}))
        await receive_until(socket, "question")
    await socket.disconnect()
    again = await open_socket(path, user=visitor)
    await receive(again)
    # Their own open questions are still theirs after the reconnect...
    mine = await receive_until(again, "questions")
    assert len(mine["items"]) == 5 and all(item["mine"] for item in mine["items"])
    # ...and the cap still holds.
    await again.send_to(text_data=json.dumps({"type": "ask", "text": "one more"}))
    assert (await receive_until(again, "error"))["code"] == "rate_limited"
    await again.disconnect()


async def test_an_ask_is_a_delta_for_the_guide_and_the_asker_only(guide_user):
    session = await live_tour(guide_user)
    path = f"/ws/tours/{session.code}/"
    guide = await open_socket(path, user=guide_user, address="10.0.5.1")
    await receive(guide)
    asker = await open_socket(path, address="10.0.5.2")
    await receive(asker)
    bystander = await open_socket(path, address="10.0.5.3")
    await receive(bystander)
    await receive_until(bystander, "questions")
    await asker.send_to(text_data=json.dumps({"type": "ask", "text": "Who made it?"}))
    frame = await receive_until(guide, "question")
    assert frame["item"]["text"] == "Who made it?"
    await receive_until(asker, "question")
    await asyncio.sleep(0.2)
    while not await bystander.receive_nothing(timeout=0.01):
        assert json.loads(await bystander.receive_from())["type"] not in ("question", "questions")
    for socket in (guide, asker, bystander):
        await socket.disconnect()


async def test_the_guides_goto_does_not_wait_behind_followers_writes(
    guide_user, settings, monkeypatch
):
    """Followers' hands are slow writes here (0.4 s each): five of them queue 2 s of work.
    On asgiref's one shared thread the guide's `goto` would wait for all of them."""
    slow_set_hand = tour_services.set_hand

    def set_hand(**kwargs):
        time.sleep(0.4)
        return slow_set_hand(**kwargs)

    monkeypatch.setattr(tour_services, "set_hand", set_hand)
    session = await live_tour(guide_user)
    path = f"/ws/tours/{session.code}/"
    guide = await open_socket(path, user=guide_user, address="10.0.6.1")
    await receive(guide)
    followers = [await open_socket(path, address=f"10.0.6.{n + 2}") for n in range(5)]
    for follower in followers:
        await receive(follower)
    for follower in followers:
        await follower.send_to(text_data=json.dumps({"type": "hand", "raised": True}))
    await asyncio.sleep(0.05)  # the hands are queued (the first is being written)
    started = time.monotonic()
    await guide.send_to(text_data=json.dumps({"type": "goto", "stop": 1}))
    await receive_until(guide, "tour", lambda f: f["stop_index"] == 1)
    assert time.monotonic() - started < 1.0
    await asyncio.sleep(2.2)  # let the hands finish before the database goes away
    for socket in (guide, *followers):
        await socket.disconnect()


# the planner's crowd board


async def test_only_sockets_that_send_poses_count_in_the_crowd(gallery, settings):
    from museum.planning.services import BOARD

    settings.REALTIME_ROOM_CAP = 1
    settings.REALTIME_CROWD_IDLE_SECONDS = 0.4
    key = str(gallery.pk)
    before = BOARD.present().get(key, 0)
    path = f"/ws/rooms/{gallery.pk}/"
    walker = await open_socket(path, address="10.0.7.1")
    await receive(walker)
    idle_sockets = [await open_socket(path, address=f"10.0.7.{n + 2}") for n in range(5)]
    for socket in idle_sockets:
        await receive(socket)  # listeners past the cap; they cannot pose
        await socket.send_to(text_data=json.dumps(POSE))
    assert BOARD.present().get(key, 0) == before  # nobody has posed
    await walker.send_to(text_data=json.dumps(POSE))
    await walker.send_to(text_data=json.dumps({"type": "ping"}))
    await receive_until(walker, "pong")
    assert BOARD.present()[key] == before + 1
    # A visitor still sending poses (unchanged: clients resend one every few seconds) stays.
    for _ in range(3):
        await asyncio.sleep(0.2)
        await walker.send_to(text_data=json.dumps(POSE))
    await walker.send_to(text_data=json.dumps({"type": "ping"}))
    await receive_until(walker, "pong")
    assert BOARD.present()[key] == before + 1
    # Poses stop: no longer counted, though the socket is open.
    await asyncio.sleep(0.7)
    assert BOARD.present()[key] == before
    for socket in (walker, *idle_sockets):
        await socket.disconnect()
    await asyncio.sleep(0.05)
    assert BOARD.present()[key] == before


async def test_a_person_is_the_account_else_the_session_else_the_address():
    from types import SimpleNamespace

    from museum.realtime.tour_consumer import person_of

    def scope(user=None, session_key=None):
        return {
            "user": user or AnonymousUser(),
            "session": SimpleNamespace(session_key=session_key),
        }

    account = SimpleNamespace(is_authenticated=True, pk=7)
    assert person_of(scope(account), "10.0.0.1") == person_of(scope(account), "10.9.9.9")
    # Two browsers behind one NAT address are two people.
    assert person_of(scope(session_key="a" * 32), "10.0.0.1") != person_of(
        scope(session_key="b" * 32), "10.0.0.1"
    )
    assert person_of(scope(), "10.0.0.1") != person_of(scope(), "10.0.0.2")
    assert "a" * 32 not in person_of(scope(session_key="a" * 32), None)
