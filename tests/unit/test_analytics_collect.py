"""Visit analytics collection through the real paths: presence sockets (consumer), the beacon
view; opt-outs (GPC, DNT), hostile beacons, and that nothing about a person is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache

from museum.analytics import collect
from museum.analytics.metrics import Metric
from museum.analytics.models import VisitCount
from museum.analytics.services import flush_counts
from museum.analytics.tally import dwell_bucket
from museum.models import Floor, Room
from museum.routing import websocket_urlpatterns
from tests.unit.factories import make_artifact

APP = URLRouter(websocket_urlpatterns)
POSE = {"type": "pose", "p": [1.0, 1.6, 2.0], "q": [0.0, 0.0, 0.0, 1.0]}
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"
QUEST = "Mozilla/5.0 (X11; Linux x86_64; Quest 3) OculusBrowser/33.0 Chrome/126 VR Safari/537.36"


@pytest.fixture(autouse=True)
def empty_buffer(settings) -> Iterator[None]:
    """Each test starts with an empty buffer and flushes only when it says so."""
    settings.MOUSEION_ANALYTICS = True  # off for the rest of the suite (tests/settings.py)
    settings.MOUSEION_ANALYTICS_FLUSH_SECONDS = 3600.0
    collect.TALLY.take()
    cache.clear()  # the beacon throttle's counts
    yield
    collect.TALLY.take()


def counts(metric: str) -> dict[tuple[str, int], int]:
    return {(row.key, row.bucket): row.value for row in VisitCount.objects.filter(metric=metric)}


def total(metric: str) -> int:
    return sum(counts(metric).values())


# presence ---------------------------------------------------------------------------------------


@pytest.fixture
def rooms() -> tuple[Room, Room]:
    floor = Floor.objects.create(name="Ground")
    return (
        Room.objects.create(floor=floor, code="a", name="Antiquities"),
        Room.objects.create(floor=floor, code="b", name="Bronzes"),
    )


async def visit(path: str, *, pose: bool = True, headers: list | None = None) -> None:
    communicator = WebsocketCommunicator(APP, path, headers=headers or [])
    communicator.scope["user"] = AnonymousUser()
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    assert json.loads(await communicator.receive_from(timeout=5))["type"] == "welcome"
    if pose:
        await communicator.send_to(text_data=json.dumps(POSE))
        await communicator.receive_from(timeout=5)  # the snapshot: the pose was handled
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_presence_counts_visits_dwell_and_paths_without_keeping_visitors(rooms):
    a, b = rooms
    await visit(f"/ws/rooms/{a.pk}/")
    await visit(f"/ws/rooms/{b.pk}/?from={a.pk}")  # the page walked from a to b
    await visit(f"/ws/rooms/{b.pk}/?from={b.pk}")  # not a step: the same room
    await visit(f"/ws/rooms/{a.pk}/?from=999999")  # a forged room: no path counted
    await visit(f"/ws/rooms/{a.pk}/", pose=False)  # an idle socket is not a visit
    await sync_to_async(flush_counts)()

    visits = await sync_to_async(counts)(Metric.ROOM_VISIT)
    assert visits == {(str(a.pk), 0): 2, (str(b.pk), 0): 2}
    assert await sync_to_async(counts)(Metric.ROOM_PATH) == {(f"{a.pk}>{b.pk}", 0): 1}
    dwell = await sync_to_async(counts)(Metric.ROOM_DWELL)
    assert sum(dwell.values()) == 4 and {bucket for _key, bucket in dwell} == {0}  # < 5 s
    # Nothing but counters: no row holds an address, a session or a user.
    fields = {f.name for f in VisitCount._meta.get_fields()}
    assert fields == {"id", "day", "metric", "key", "bucket", "value"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_presence_of_visitors_with_gpc_or_dnt_is_not_counted(rooms):
    a, b = rooms
    await visit(f"/ws/rooms/{b.pk}/?from={a.pk}", headers=[(b"sec-gpc", b"1")])
    await visit(f"/ws/rooms/{b.pk}/?from={a.pk}", headers=[(b"dnt", b"1")])
    await sync_to_async(flush_counts)()
    assert await sync_to_async(VisitCount.objects.count)() == 0


# beacons -----------------------------------------------------------------------------------------


def send(client, body, **headers):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post("/analytics/beacon", data=data, content_type="application/json", **headers)


@pytest.mark.django_db
def test_beacon_counts_a_view_its_dwell_and_the_device(client):
    artifact = make_artifact(title="Kouros")
    ua = {"HTTP_USER_AGENT": PHONE, "HTTP_SEC_FETCH_SITE": "same-origin"}
    assert send(client, {"artifact": artifact.pk, "dwell": 42.6}, **ua).status_code == 204
    quest = {"HTTP_USER_AGENT": QUEST}
    assert (
        send(client, {"artifact": artifact.pk, "dwell": 7, "mode": "vr"}, **quest).status_code
        == 204
    )
    assert send(client, {"mode": "ar"}, **ua).status_code == 204  # a gallery page: device only
    flush_counts()
    key = str(artifact.pk)
    assert counts(Metric.ARTIFACT_VIEW) == {(key, 0): 2}
    assert counts(Metric.ARTIFACT_DWELL_SECONDS) == {(key, 0): 43 + 7}
    assert counts(Metric.ARTIFACT_DWELL) == {
        (key, dwell_bucket(42.6)): 1,
        (key, dwell_bucket(7)): 1,
    }
    assert counts(Metric.DEVICE) == {("phone/browser", 0): 1, ("xr/vr", 0): 1, ("phone/ar", 0): 1}


@pytest.mark.django_db
def test_flushes_add_to_the_same_cells_with_f_expressions(client):
    artifact = make_artifact()
    for _ in range(3):
        send(client, {"artifact": artifact.pk, "dwell": 1})
        flush_counts()
    assert counts(Metric.ARTIFACT_VIEW) == {(str(artifact.pk), 0): 3}
    assert VisitCount.objects.filter(metric=Metric.ARTIFACT_VIEW).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["HTTP_SEC_GPC", "HTTP_DNT"])
def test_beacons_with_gpc_or_dnt_are_accepted_and_not_counted(client, header):
    artifact = make_artifact()
    assert send(client, {"artifact": artifact.pk, "dwell": 3}, **{header: "1"}).status_code == 204
    flush_counts()
    assert VisitCount.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        ([1, 2], 400),
        ({"artifact": "1", "dwell": 3}, 400),
        ({"artifact": True, "dwell": 3}, 400),
        ({"artifact": 1.5, "dwell": 3}, 400),
        ({"artifact": -4, "dwell": 3}, 400),
        ({"artifact": "ID", "dwell": -1}, 400),
        ({"artifact": "ID", "dwell": "NaN"}, 400),
        ({"artifact": "ID", "dwell": 3, "mode": "hologram"}, 400),
        ({"artifact": "ID", "dwell": 3, "pad": "x" * 600}, 400),
        ({"artifact": 2**31 - 1, "dwell": 3}, 404),
        ({"artifact": "DRAFT", "dwell": 3}, 404),
    ],
)
def test_hostile_beacons_are_refused_and_count_nothing(client, body, status):
    published, draft = make_artifact(), make_artifact(published=False)
    if isinstance(body, dict):
        body = {
            k: {"ID": published.pk, "DRAFT": draft.pk}.get(v, v) if k == "artifact" else v
            for k, v in body.items()
        }
    response = send(client, body)
    assert response.status_code == status
    assert response.json()["error"]["code"]
    flush_counts()
    assert VisitCount.objects.count() == 0


@pytest.mark.django_db
def test_a_huge_dwell_is_clamped(client, settings):
    artifact = make_artifact()
    send(client, {"artifact": artifact.pk, "dwell": 1e300})
    flush_counts()
    top = int(settings.MOUSEION_ANALYTICS_MAX_DWELL_SECONDS)
    assert counts(Metric.ARTIFACT_DWELL_SECONDS) == {(str(artifact.pk), 0): top}


@pytest.mark.django_db
def test_beacons_from_another_site_are_refused(client):
    artifact = make_artifact()
    body = {"artifact": artifact.pk, "dwell": 3}
    assert send(client, body, HTTP_SEC_FETCH_SITE="cross-site").status_code == 403
    assert send(client, body, HTTP_ORIGIN="https://evil.example").status_code == 403
    assert client.get("/analytics/beacon").status_code == 405
    flush_counts()
    assert VisitCount.objects.count() == 0


@pytest.mark.django_db
def test_a_beacon_flood_is_throttled_per_address(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                   "beacon_anon": "5/min"},
    }  # fmt: skip
    artifact = make_artifact()
    answers = [send(client, {"artifact": artifact.pk, "dwell": 1}).status_code for _ in range(8)]
    assert answers == [204] * 5 + [429] * 3
    other = send(client, {"artifact": artifact.pk, "dwell": 1}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 204
    flush_counts()
    assert counts(Metric.ARTIFACT_VIEW) == {(str(artifact.pk), 0): 6}


@pytest.mark.django_db
def test_analytics_off_counts_nothing(client, settings):
    settings.MOUSEION_ANALYTICS = False
    artifact = make_artifact()
    assert send(client, {"artifact": artifact.pk, "dwell": 3}).status_code == 204
    flush_counts()
    assert VisitCount.objects.count() == 0


def test_device_classes():
    from museum.analytics.devices import device_class

    assert device_class(PHONE) == "phone"
    assert device_class(QUEST) == "xr"
    assert device_class("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)") == "tablet"
    assert device_class("Mozilla/5.0 (Linux; Android 14; SM-X710) Chrome/126 Safari") == "tablet"
    assert device_class("Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/126 Mobile") == "phone"
    assert device_class("Mozilla/5.0 (X11; Linux x86_64) Chrome/126", mobile_hint="?1") == "phone"
    assert device_class("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/128.0") == "desktop"
    assert device_class("") == "desktop"


# live tours ---------------------------------------------------------------------------------------


async def tour_socket(path: str, user=None, headers: list | None = None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(APP, path, headers=headers or [])
    communicator.scope["user"] = user or AnonymousUser()
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    return communicator


async def until(communicator: WebsocketCommunicator, kind: str, stop: int | None = None) -> dict:
    for _ in range(60):
        frame = json.loads(await communicator.receive_from(timeout=5))
        if frame["type"] == kind and (stop is None or frame.get("stop_index") == stop):
            return frame
    raise AssertionError(f"no {kind} frame")


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_live_tour_followers_count_their_share_of_stops(django_user_model):
    from museum.models import Tour, TourStop
    from museum.tours import services as tour_services

    @sync_to_async
    def start():
        guide = django_user_model.objects.create_user("guide", "g@example.org", None)
        tour = Tour.objects.create(title="Highlights", educator=guide)
        for order in range(4):
            TourStop.objects.create(tour=tour, order=order, artifact=make_artifact())
        return guide, tour, tour_services.start_live_tour(tour=tour, guide=guide)

    guide_user, tour, session = await start()
    path = f"/ws/tours/{session.code}/"
    guide = await tour_socket(path, guide_user)
    stayer = await tour_socket(path)
    await until(stayer, "tour", 0)
    early = await tour_socket(path)
    await until(early, "tour", 0)
    private = await tour_socket(path, headers=[(b"sec-gpc", b"1")])
    await until(private, "tour", 0)
    await guide.send_to(text_data=json.dumps({"type": "goto", "stop": 1}))
    await until(early, "tour", 1)
    await early.disconnect()  # saw stops 0 and 1 of 4: half
    await stayer.send_to(text_data=json.dumps({"type": "progress", "stop": 2, "mode": "roam"}))
    await guide.send_to(text_data=json.dumps({"type": "goto", "stop": 3}))
    await until(stayer, "tour", 3)
    for socket in (stayer, private, guide):
        await socket.disconnect()
    await sync_to_async(flush_counts)()

    key = str(tour.pk)
    assert await sync_to_async(counts)(Metric.TOUR_FOLLOWERS) == {(key, 0): 2}  # not the guide
    assert await sync_to_async(counts)(Metric.TOUR_LAST_STOP) == {(key, 0): 1}
    # Share in quarters: the early leaver 2/4 -> bucket 2; the stayer saw all 4 -> bucket 4.
    assert await sync_to_async(counts)(Metric.TOUR_SHARE) == {(key, 2): 1, (key, 4): 1}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"", None),
        (b"from=12", 12),
        (b"x=1&from=7", 7),
        (b"from=abc", None),
        (b"from=-3", None),
        (b"from=1e9", None),
        (b"from=" + b"9" * 40, None),
        (b"from=%00", None),
    ],
)
def test_the_room_walked_from_is_read_only_as_a_plain_id(query, expected):
    from museum.analytics.presence import came_from

    assert came_from({"query_string": query}) == expected
