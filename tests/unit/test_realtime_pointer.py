"""The shared pointer (`point`, PROTOCOL.md): the tour's guide points on the stop's model, educators
and curators in a gallery room; others are refused; the pointer travels in the snapshot."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group

from museum.realtime.schema import COMMON_MESSAGES, FrameError, parse_frame
from tests.unit.test_realtime_consumers import (
    POSE,
    connect,
    live_tour,
    receive,
    receive_until,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def point(p, space="model") -> str:
    return json.dumps({"type": "point", "p": p, "space": space})


def member_of(snapshot: dict, member_id: str) -> dict | None:
    return next((m for m in snapshot["members"] if m["id"] == member_id), None)


@pytest.fixture
def educator(django_user_model):
    return django_user_model.objects.create_user("guide", "guide@example.org", None)


@pytest.fixture
def room():
    from museum.models import Floor, Room

    return Room.objects.create(floor=Floor.objects.create(name="Ground"), code="g1", name="G1")


@pytest.mark.parametrize(
    "p",
    [[1, 2], [1, 2, 3, 4], ["1", 2, 3], [True, 0, 0], [1e9, 0, 0], "here", {"x": 1}],
)
async def test_bad_vectors_are_refused(p):
    with pytest.raises(FrameError) as refused:
        parse_frame(point(p), None, max_bytes=16384, messages=COMMON_MESSAGES)
    assert refused.value.code == "bad_value"


async def test_schema_accepts_a_point_and_a_null():
    kind, fields = parse_frame(
        point([0.1234, 1, -2]), None, max_bytes=16384, messages=COMMON_MESSAGES
    )
    assert kind == "point" and fields == {"p": [0.123, 1, -2], "space": "model"}
    _, hidden = parse_frame(point(None), None, max_bytes=16384, messages=COMMON_MESSAGES)
    assert hidden["p"] is None
    with pytest.raises(FrameError):
        parse_frame(point([0, 0, 0], "sky"), None, max_bytes=16384, messages=COMMON_MESSAGES)


async def test_only_the_guide_points_and_followers_see_it_in_the_snapshot(educator):
    session = await live_tour(educator)
    path = f"/ws/tours/{session.code}/"
    guide = await connect(path, educator)
    guide_id = (await receive(guide))["id"]
    follower = await connect(path, address="10.0.0.1")
    await receive(follower)

    await follower.send_to(text_data=point([0, 0, 0]))
    assert (await receive_until(follower, "error"))["code"] == "forbidden"
    await guide.send_to(text_data=point([0, 0, 0], "gallery"))
    assert (await receive_until(guide, "error"))["code"] == "bad_value"

    await guide.send_to(text_data=json.dumps(POSE))
    await guide.send_to(text_data=point([0.1, 0.2, 0.3]))
    snapshot = await receive_until(
        follower, "snapshot", lambda f: (member_of(f, guide_id) or {}).get("ptr")
    )
    assert member_of(snapshot, guide_id)["ptr"] == {"p": [0.1, 0.2, 0.3], "space": "model"}

    # null hides it.
    await guide.send_to(text_data=point(None))
    await receive_until(
        follower, "snapshot", lambda f: (m := member_of(f, guide_id)) and m.get("ptr") is None
    )
    # A new stop clears a pointer meant for the previous stop's model.
    await guide.send_to(text_data=point([0.1, 0.2, 0.3]))
    await receive_until(follower, "snapshot", lambda f: (member_of(f, guide_id) or {}).get("ptr"))
    await guide.send_to(text_data=json.dumps({"type": "goto", "stop": 1}))
    await receive_until(
        follower, "snapshot", lambda f: (m := member_of(f, guide_id)) and m.get("ptr") is None
    )
    # Leaving takes the pointer with the member.
    await guide.disconnect()
    await receive_until(follower, "leave", lambda f: f["id"] == guide_id)
    snapshot = await receive_until(follower, "snapshot")
    assert member_of(snapshot, guide_id) is None
    await follower.disconnect()


async def test_in_a_gallery_room_educators_point_and_visitors_do_not(room, educator):
    group, _ = await sync_to_async(Group.objects.get_or_create)(name="educator")
    await sync_to_async(educator.groups.add)(group)
    path = f"/ws/rooms/{room.pk}/"
    visitor = await connect(path)
    await receive(visitor)
    teacher = await connect(path, educator)
    welcome = await receive(teacher)
    assert welcome["role"] == "educator"

    await visitor.send_to(text_data=point([1, 1, 1], "gallery"))
    assert (await receive_until(visitor, "error"))["code"] == "forbidden"
    await teacher.send_to(text_data=point([1, 1, 1], "model"))
    assert (await receive_until(teacher, "error"))["code"] == "bad_value"

    await teacher.send_to(text_data=json.dumps(POSE))
    await teacher.send_to(text_data=point([2.5, 1.2, -3], "gallery"))
    snapshot = await receive_until(
        visitor, "snapshot", lambda f: (member_of(f, welcome["id"]) or {}).get("ptr")
    )
    assert member_of(snapshot, welcome["id"])["ptr"] == {"p": [2.5, 1.2, -3], "space": "gallery"}
    for socket in (visitor, teacher):
        await socket.disconnect()
