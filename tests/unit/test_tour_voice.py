"""Live voice in guided tours (#23): floor control, WebRTC signalling relay and its abuse limits.
Real consumers through Channels' communicator, as the other tour tests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from museum.models import LiveTour
from museum.realtime.voice import janus_room
from tests.unit.test_realtime_consumers import APP, POSE, live_tour, receive_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

# A minimal audio-only offer as a browser writes one (the server relays SDP as it is).
OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9\r\n"}
ANSWER = {"type": "answer", "sdp": OFFER["sdp"]}
CANDIDATE = {
    "candidate": "candidate:1 1 udp 2122260223 192.0.2.2 50000 typ host ufrag abcd",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "abcd",
}


@pytest.fixture
def guide_user(django_user_model):
    return django_user_model.objects.create_user("guide", "guide@example.org", None)


async def join(path: str, user: Any = None, address: str = "10.0.0.1") -> tuple[Any, str]:
    """A connected socket and its member id, once its first `voice` frame arrived (in
    `socket.voice`)."""
    socket = WebsocketCommunicator(APP, path)
    socket.scope["user"] = user or AnonymousUser()
    socket.scope["client"] = (address, 50000)
    connected, _ = await socket.connect(timeout=10)
    assert connected
    member_id = (await receive_until(socket, "welcome"))["id"]
    socket.voice = await receive_until(socket, "voice")
    return socket, member_id


async def drain(socket: WebsocketCommunicator) -> list[dict]:
    """Every frame that arrives until the socket has been quiet for a moment."""
    frames = []
    while not await socket.receive_nothing(timeout=0.3):
        frames.append(json.loads(await socket.receive_from()))
    return frames


async def send(socket: WebsocketCommunicator, kind: str, **fields: Any) -> None:
    await socket.send_to(text_data=json.dumps({"type": kind, **fields}))


async def error_of(socket: WebsocketCommunicator) -> str:
    return (await receive_until(socket, "error"))["code"]


@sync_to_async
def floor_in_db(code: str) -> str:
    return LiveTour.objects.get(code=code).floor_member


async def test_only_the_guide_gives_the_floor_and_it_ends_when_the_holder_leaves(guide_user):
    session = await live_tour(guide_user)
    path = f"/ws/tours/{session.code}/"
    guide, guide_id = await join(path, guide_user)
    follower, follower_id = await join(path, address="10.0.0.2")
    other, _other_id = await join(path, address="10.0.0.3")
    voice = other.voice
    assert voice["mode"] == "p2p" and voice["speakers"] == [guide_id] and voice["floor"] is None
    assert voice["ice_servers"] == []

    await send(follower, "hand", raised=True)
    await receive_until(guide, "hands", lambda f: f["queue"])
    await send(follower, "floor", member=follower_id)
    assert await error_of(follower) == "forbidden"
    await send(other, "floor", member=None)
    assert await error_of(other) == "forbidden"

    await send(guide, "floor", member=follower_id)
    given = await receive_until(other, "voice", lambda f: f["floor"] == follower_id)
    assert given["speakers"] == [guide_id, follower_id]
    assert (await receive_until(guide, "hands"))["queue"] == []  # the hand was lowered
    assert await floor_in_db(session.code) == follower_id

    # The holder may talk now; the others see it in the snapshot.
    await send(follower, "pose", **{k: v for k, v in POSE.items() if k != "type"})
    await send(follower, "talk", on=True)
    seen = await receive_until(
        other,
        "snapshot",
        lambda f: any(m["id"] == follower_id and m.get("talking") for m in f["members"]),
    )
    assert seen["members"]

    await follower.disconnect()
    back = await receive_until(guide, "voice", lambda f: f["floor"] is None)
    assert back["speakers"] == [guide_id]
    assert await floor_in_db(session.code) == ""
    for socket in (guide, other):
        await socket.disconnect()


async def test_the_guide_takes_the_floor_back_and_floor_targets_are_checked(guide_user):
    session = await live_tour(guide_user)
    path = f"/ws/tours/{session.code}/"
    guide, guide_id = await join(path, guide_user)
    follower, follower_id = await join(path, address="10.0.0.2")
    await send(guide, "floor", member="nobody42")
    assert await error_of(guide) == "not_found"
    await send(guide, "floor", member=guide_id)
    assert await error_of(guide) == "bad_value"

    await send(guide, "floor", member=follower_id)
    await receive_until(follower, "voice", lambda f: f["floor"] == follower_id)
    await send(follower, "talk", on=True)
    await send(guide, "floor", member=None)
    taken = await receive_until(follower, "voice", lambda f: f["floor"] is None)
    assert taken["speakers"] == [guide_id]
    await send(follower, "talk", on=True)
    assert await error_of(follower) == "forbidden"

    # The tour's end clears the floor too.
    await send(guide, "floor", member=follower_id)
    await receive_until(follower, "voice", lambda f: f["floor"] == follower_id)
    await send(guide, "end")
    await receive_until(follower, "tour", lambda f: f["status"] == "ended")
    assert await floor_in_db(session.code) == ""
    for socket in (guide, follower):
        await socket.disconnect()


async def test_p2p_signalling_between_guide_and_follower(guide_user):
    session = await live_tour(guide_user)
    path = f"/ws/tours/{session.code}/"
    guide, guide_id = await join(path, guide_user)
    follower, follower_id = await join(path, address="10.0.0.2")

    await send(follower, "listen")
    assert (await receive_until(guide, "voice_peer"))["id"] == follower_id
    await send(guide, "rtc", to=follower_id, sdp=OFFER)
    offer = await receive_until(follower, "rtc")
    assert offer["from"] == guide_id and offer["sdp"] == OFFER
    await send(follower, "rtc", to=guide_id, sdp=ANSWER)
    answer = await receive_until(guide, "rtc")
    assert answer["from"] == follower_id and answer["sdp"]["type"] == "answer"
    await send(follower, "rtc", to=guide_id, ice=CANDIDATE)
    assert (await receive_until(guide, "rtc"))["ice"] == CANDIDATE
    await send(guide, "rtc", to=follower_id, ice=None)
    assert (await receive_until(follower, "rtc"))["ice"] is None
    for socket in (guide, follower):
        await socket.disconnect()


async def test_signalling_abuse_is_refused(guide_user, settings):
    settings.REALTIME_RTC_RATE = 1.0
    settings.REALTIME_RTC_BURST = 5.0
    session = await live_tour(guide_user)
    elsewhere = await live_tour(guide_user)
    path = f"/ws/tours/{session.code}/"
    guide, guide_id = await join(path, guide_user)
    follower, _follower_id = await join(path, address="10.0.0.2")
    second, second_id = await join(path, address="10.0.0.3")
    stranger, stranger_id = await join(f"/ws/tours/{elsewhere.code}/", address="10.0.0.4")

    # A follower without the floor never offers, nor reaches another follower.
    await send(follower, "rtc", to=guide_id, sdp=OFFER)
    assert await error_of(follower) == "forbidden"
    await send(follower, "rtc", to=second_id, sdp=ANSWER)
    assert await error_of(follower) == "forbidden"
    # Only inside the tour; never to oneself; exactly one of sdp and ice; sizes capped.
    await send(guide, "rtc", to=stranger_id, sdp=OFFER)
    assert await error_of(guide) == "not_found"
    await send(guide, "rtc", to=guide_id, sdp=OFFER)
    assert await error_of(guide) == "bad_value"
    await send(guide, "rtc", to=second_id, sdp=OFFER, ice=None)
    assert await error_of(guide) == "bad_value"
    huge = {"type": "offer", "sdp": "v=0\r\na=" + "x" * 12_100}
    await send(guide, "rtc", to=second_id, sdp=huge)
    error = await receive_until(guide, "error")
    assert error["code"] == "too_large" and "12000" in error["message"]
    await send(guide, "rtc", to=second_id, ice=CANDIDATE | {"candidate": "c" * 1001})
    assert await error_of(guide) == "too_large"
    await send(guide, "rtc", to=second_id, ice=CANDIDATE | {"extra": 1})
    assert await error_of(guide) == "bad_value"

    # An ICE flood: the signalling bucket refuses past its burst.
    for _ in range(20):
        await send(second, "rtc", to=guide_id, ice=CANDIDATE)
    assert await error_of(second) == "rate_limited"
    relayed = [frame for frame in await drain(guide) if frame["type"] == "rtc"]
    assert 4 <= len(relayed) <= 7  # the burst, plus what refilled meanwhile
    # The other tour heard nothing of any of it.
    assert not [frame for frame in await drain(stranger) if frame["type"] == "rtc"]
    for socket in (guide, follower, second, stranger):
        await socket.disconnect()


async def test_p2p_listeners_past_the_cap_get_voice_off(guide_user, settings):
    settings.MOUSEION_VOICE_P2P_MAX_LISTENERS = 1
    session = await live_tour(guide_user)
    path = f"/ws/tours/{session.code}/"
    guide, _guide_id = await join(path, guide_user)
    first, _ = await join(path, address="10.0.0.2")
    late = WebsocketCommunicator(APP, path)
    late.scope["user"] = AnonymousUser()
    late.scope["client"] = ("10.0.0.3", 50000)
    await late.connect(timeout=10)
    voice = await receive_until(late, "voice")
    assert voice["mode"] == "off" and "at most 1" in voice["reason"]
    await send(late, "listen")
    assert await error_of(late) == "forbidden"
    for socket in (guide, first, late):
        await socket.disconnect()


async def test_an_unreachable_media_server_turns_voice_off_and_the_tour_goes_on(
    guide_user, settings
):
    settings.MOUSEION_VOICE = "sfu"
    settings.MOUSEION_JANUS_URL = "ws://127.0.0.1:9/"  # discard: nothing listens
    session = await live_tour(guide_user)
    path = f"/ws/tours/{session.code}/"
    guide = WebsocketCommunicator(APP, path)
    guide.scope["user"] = guide_user
    await guide.connect(timeout=10)
    voice = await receive_until(guide, "voice")
    assert voice["mode"] == "off" and "media server" in voice["reason"]
    await send(guide, "rtc", to="sfu", sdp=OFFER)
    assert await error_of(guide) == "forbidden"
    await send(guide, "goto", stop=1)
    assert (await receive_until(guide, "tour"))["stop_index"] == 1
    await guide.disconnect()


async def test_a_foreign_origin_is_refused_before_any_signalling():
    app = AllowedHostsOriginValidator(APP)
    headers = [(b"origin", b"https://evil.example")]
    socket = WebsocketCommunicator(app, "/ws/tours/ABCDEF/", headers=headers)
    connected, _ = await socket.connect(timeout=5)
    assert not connected


async def test_each_tour_has_its_own_media_room():
    assert janus_room("K7P2QX") != janus_room("K7P2QY")
    assert janus_room("AAAAAA") > 0


async def test_live_captions_come_from_speakers_only_and_reach_every_member(guide_user):
    session = await live_tour(guide_user)
    path = f"/ws/tours/{session.code}/"
    guide, guide_id = await join(path, guide_user)
    follower, follower_id = await join(path, address="10.0.0.2")
    other, _other_id = await join(path, address="10.0.0.3")

    await send(guide, "caption", text="This bronze was cast in two pieces.", final=True)
    for socket in (follower, other, guide):
        caption = await receive_until(socket, "caption")
        assert caption["id"] == guide_id and caption["final"] is True
        assert caption["text"] == "This bronze was cast in two pieces."

    # A follower without the floor cannot put words on everyone's screen.
    await send(follower, "caption", text="Free tickets at example.org", final=True)
    assert await error_of(follower) == "forbidden"
    assert not any(f["type"] == "caption" for f in await drain(other))

    await send(guide, "caption", text="x" * 301, final=False)
    assert await error_of(guide) == "bad_value"
    await send(guide, "caption", text="ok", final="yes")
    assert await error_of(guide) == "bad_value"

    # Given the floor, the follower's captions go out too.
    await send(guide, "floor", member=follower_id)
    await receive_until(follower, "voice", lambda f: f["floor"] == follower_id)
    await send(follower, "caption", text="I think it is a votive offering", final=False)
    caption = await receive_until(other, "caption")
    assert caption["id"] == follower_id and caption["final"] is False
    for socket in (guide, follower, other):
        await socket.disconnect()


async def test_signalling_and_other_frames_take_their_own_buckets_on_both_receive_paths() -> None:
    """Both receive paths (the ASGI queue's receive() and the direct take_text) check frames
    with check_frame: a burst of candidates past the general bucket is taken from the
    signalling bucket, and other frames still from the general one. (The direct path once used
    the general bucket for everything, since only receive() knew about signalling.)"""
    from museum.common.buckets import TokenBucket
    from museum.realtime.schema import FrameError
    from museum.realtime.tour_consumer import TourConsumer

    consumer = TourConsumer()
    consumer.max_frame_bytes = 64_000
    consumer.bucket = TokenBucket(0.001, 2.0)
    consumer.signals = TokenBucket(0.001, 6.0)
    candidate = json.dumps({"type": "rtc", "to": "m1", "ice": CANDIDATE})
    for _ in range(6):
        assert consumer.check_frame(candidate, None)[0] == "rtc"
    with pytest.raises(FrameError) as refused:
        consumer.check_frame(candidate, None)
    assert refused.value.code == "rate_limited"
    ping = json.dumps({"type": "ping", "t": 1})
    assert [consumer.check_frame(ping, None)[0] for _ in range(2)] == ["ping", "ping"]
    with pytest.raises(FrameError):
        consumer.check_frame(ping, None)
