"""The authorisation matrix: every API operation of the OpenAPI schema and every websocket message
type, for anonymous, visitor (signed in, no group), educator, curator and admin, asserted allowed
or refused from the explicit tables below. A new endpoint or message type without an entry fails.

Allowed means the request got past authorisation (any answer but 401/403, e.g. 200, 201, 204, or
400 for the deliberately empty body); refused means 401/403 over HTTP and a `forbidden` error
frame over websockets."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.apps import apps as django_apps
from django.core.files.base import ContentFile
from drf_spectacular.generators import SchemaGenerator

from exhibits.models import Annotation, Artifact, Asset, Exhibition, Job
from museum.realtime.schema import COMMON_MESSAGES, TOUR_MESSAGES
from museum.roles import sync_role_permissions
from restoration.models import ConditionRecord, MaskCorrection, RestorationJob
from tests.unit import test_realtime_consumers as ws
from tests.unit.factories import (
    ROLES,
    make_annotation,
    make_artifact,
    make_exhibition,
    make_source,
    make_thumbnail,
    png_bytes,
)

ALL = frozenset(ROLES)  # anonymous, visitor, educator, curator, superuser (admin)
STAFF_WRITERS = frozenset({"curator", "superuser"})
JOB_READERS = frozenset({"curator", "superuser"})

# (method, path in the schema) -> the roles allowed; every other role is refused.
HTTP_MATRIX: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/api/artifacts/"): ALL,
    ("POST", "/api/artifacts/"): STAFF_WRITERS,
    ("GET", "/api/artifacts/{id}/"): ALL,
    ("PUT", "/api/artifacts/{id}/"): STAFF_WRITERS,
    ("PATCH", "/api/artifacts/{id}/"): STAFF_WRITERS,
    ("DELETE", "/api/artifacts/{id}/"): STAFF_WRITERS,
    ("GET", "/api/artifacts/{artifact_pk}/assets/"): ALL,
    ("POST", "/api/artifacts/{artifact_pk}/assets/"): STAFF_WRITERS,
    ("GET", "/api/artifacts/{id}/condition"): ALL,
    ("POST", "/api/artifacts/{id}/condition-check"): STAFF_WRITERS,
    ("GET", "/api/artifacts/{id}/restorations"): ALL,  # visitors: accepted ones only
    ("POST", "/api/artifacts/{id}/restorations"): STAFF_WRITERS,
    ("GET", "/api/artifacts/{id}/similar/"): ALL,
    ("GET", "/api/assets/{id}/"): ALL,
    ("PUT", "/api/assets/{id}/"): STAFF_WRITERS,
    ("PATCH", "/api/assets/{id}/"): STAFF_WRITERS,
    ("DELETE", "/api/assets/{id}/"): STAFF_WRITERS,
    ("GET", "/api/annotations/"): ALL,
    ("POST", "/api/annotations/"): STAFF_WRITERS,
    ("GET", "/api/annotations/{id}/"): ALL,
    ("PUT", "/api/annotations/{id}/"): STAFF_WRITERS,
    ("PATCH", "/api/annotations/{id}/"): STAFF_WRITERS,
    ("DELETE", "/api/annotations/{id}/"): STAFF_WRITERS,
    ("POST", "/api/condition-records/{id}/corrections"): STAFF_WRITERS,
    ("POST", "/api/mask-corrections/{id}/retire"): STAFF_WRITERS,
    ("POST", "/api/condition-records/{id}/release"): STAFF_WRITERS,
    ("GET", "/api/restoration-jobs/{id}"): JOB_READERS,
    ("POST", "/api/restoration-jobs/{id}/accept"): STAFF_WRITERS,
    ("POST", "/api/restoration-jobs/{id}/reject"): STAFF_WRITERS,
    ("GET", "/api/exhibitions/"): ALL,
    ("POST", "/api/exhibitions/"): STAFF_WRITERS,
    ("GET", "/api/exhibitions/{slug}/"): ALL,
    ("PUT", "/api/exhibitions/{slug}/"): STAFF_WRITERS,
    ("PATCH", "/api/exhibitions/{slug}/"): STAFF_WRITERS,
    ("DELETE", "/api/exhibitions/{slug}/"): STAFF_WRITERS,
    ("GET", "/api/jobs/"): JOB_READERS,
    ("GET", "/api/jobs/{id}/"): JOB_READERS,
    ("GET", "/api/search"): ALL,
    ("POST", "/api/visits/plan"): ALL,
    ("POST", "/api/visits/next-stop"): ALL,
}

GUIDE = frozenset({"educator"})  # the educator who leads the session; nobody else
FOLLOWERS = ALL - GUIDE

# (route, client message type) -> the roles allowed to send it.
WS_MATRIX: dict[tuple[str, str], frozenset[str]] = {
    ("room", "hello"): ALL,
    ("room", "pose"): ALL,
    ("room", "ping"): ALL,
    ("tour", "hello"): ALL,
    ("tour", "pose"): ALL,
    ("tour", "ping"): ALL,
    ("tour", "goto"): GUIDE,
    ("tour", "end"): GUIDE,
    ("tour", "answer"): GUIDE,
    ("tour", "dismiss"): GUIDE,
    ("tour", "lower_hand"): GUIDE,
    ("tour", "progress"): FOLLOWERS,
    ("tour", "hand"): FOLLOWERS,
    ("tour", "ask"): FOLLOWERS,
    # Voice (#23): the guide speaks and gives the floor; a follower without it may only listen
    # (its `rtc` reaches a speaker only, and this example's target is nobody's).
    ("tour", "listen"): ALL,
    ("tour", "talk"): GUIDE,
    ("tour", "floor"): GUIDE,
    ("tour", "rtc"): GUIDE,
    ("tour", "caption"): GUIDE,
    # The shared pointer (#23): the guide on the tour's object; educators and curators (a
    # superuser counts as a curator) in a gallery room.
    ("tour", "point"): GUIDE,
    ("room", "point"): frozenset({"educator", "curator", "superuser"}),
}

# A well-formed example of each message, so only authorisation can refuse it.
WS_EXAMPLES: dict[str, dict[str, Any]] = {
    "hello": {"name": "Ann"},
    "pose": {"p": [1.0, 1.6, 2.0], "q": [0.0, 0.0, 0.0, 1.0]},
    "ping": {"t": 1.0},
    "goto": {"stop": 1},
    "end": {},
    "answer": {"question": 1, "text": "Bronze."},
    "dismiss": {"question": 1},
    "lower_hand": {"member": "a1b2c3"},
    "progress": {"stop": 0, "mode": "follow"},
    "hand": {"raised": True},
    "ask": {"text": "How old is it?"},
    "listen": {},
    "talk": {"on": True},
    "floor": {"member": None},
    "rtc": {"to": "a1b2c3", "ice": None},
    "caption": {"text": "Cast in two pieces.", "final": True},
    "point": {"p": [0.1, 0.2, 0.3], "space": "model"},
}
# Where a message's well-formed example depends on the route (a pointer's space).
WS_ROUTE_EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("room", "point"): {"p": [1.0, 1.2, -2.0], "space": "gallery"},
}


def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_every_api_operation_has_an_entry() -> None:
    operations = schema_operations()
    assert operations - HTTP_MATRIX.keys() == set(), "add these operations to HTTP_MATRIX"
    assert HTTP_MATRIX.keys() - operations == set(), "HTTP_MATRIX lists operations that are gone"


def test_every_websocket_message_type_has_an_entry() -> None:
    wanted = {("room", kind) for kind in COMMON_MESSAGES} | {
        ("tour", kind) for kind in TOUR_MESSAGES
    }
    assert wanted - WS_MATRIX.keys() == set(), "add these message types to WS_MATRIX"
    assert WS_MATRIX.keys() - wanted == set(), "WS_MATRIX lists message types that are gone"
    assert set(WS_EXAMPLES) == set(TOUR_MESSAGES)


# ---------------------------------------------------------------------------- HTTP
@dataclass
class Objects:
    artifact: Artifact
    thumbnail: Asset
    annotation: Annotation
    exhibition: Exhibition
    job: Job
    record: ConditionRecord
    restoration: RestorationJob


@pytest.fixture
def objects() -> Objects:
    artifact = make_artifact(title="Amphora")
    source = make_source(artifact)
    record = ConditionRecord.objects.create(
        artifact=artifact,
        origin=ConditionRecord.Origin.SOURCE,
        image_index=0,
        width_px=8,
        height_px=8,
        model_version="matrix",
        texture=ContentFile(png_bytes(), name="texture.png"),
    )
    MaskCorrection.objects.create(
        record=record, damage_class="crack", mask=ContentFile(png_bytes(), name="mask.png")
    )
    return Objects(
        artifact=artifact,
        thumbnail=make_thumbnail(source),
        annotation=make_annotation(artifact),
        exhibition=make_exhibition(artifact, slug="vessels"),
        job=Job.objects.create(kind="intake", artifact=artifact, input_asset=source),
        record=record,
        restoration=RestorationJob.objects.create(artifact=artifact, kind="surface"),
    )


def concrete(path: str, objects: Objects) -> str:
    """The schema path with real ids: {id} names the object of the path's first segment."""
    ids = {
        "artifacts": objects.artifact.pk,
        "assets": objects.thumbnail.pk,
        "annotations": objects.annotation.pk,
        "jobs": objects.job.pk,
        "condition-records": objects.record.pk,
        "restoration-jobs": objects.restoration.pk,
        "mask-corrections": MaskCorrection.objects.filter(record=objects.record)[0].pk,
    }
    segment = path.split("/")[2]
    return (
        path.replace("{id}", str(ids.get(segment, "")))
        .replace("{artifact_pk}", str(objects.artifact.pk))
        .replace("{slug}", objects.exhibition.slug)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path"), [pytest.param(m, p, id=f"{m} {p}") for m, p in sorted(HTTP_MATRIX)]
)
def test_api_operation_by_role(
    api_client_for, objects: Objects, media_root, method: str, path: str, role: str
) -> None:
    client = api_client_for(role)
    response = getattr(client, method.lower())(concrete(path, objects), {}, format="json")
    refused = response.status_code in (401, 403)
    if role in HTTP_MATRIX[(method, path)]:
        assert not refused, f"{role} refused: {response.status_code} {response.content[:200]!r}"
        assert response.status_code < 500, response.content[:300]
    else:
        assert refused, f"{role} allowed: {response.status_code} {response.content[:200]!r}"
        assert response.json()["error"]["message"]


# ---------------------------------------------------------------------------- websockets
async def sent_and_judged(socket, route: str, kind: str) -> bool:
    """Send one example frame, then a ping: True if no `forbidden` for it came before the pong."""
    example = WS_ROUTE_EXAMPLES.get((route, kind), WS_EXAMPLES[kind])
    await socket.send_to(text_data=json.dumps({"type": kind, **example}))
    await socket.send_to(text_data=json.dumps({"type": "ping", "t": 424242.0}))
    async with asyncio.timeout(10):
        while True:
            frame = await ws.receive(socket)
            if frame["type"] == "error" and frame["code"] == "forbidden":
                assert frame.get("ref") in (None, kind), frame
                return False
            if frame["type"] == "pong" and frame.get("t") == 424242.0:
                return True


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("route", "kind"), [pytest.param(r, k, id=f"{r} {k}") for r, k in sorted(WS_MATRIX)]
)
async def test_websocket_message_by_role(make_user, route: str, kind: str, role: str) -> None:
    # A transactional test starts from a flushed database: put the role groups back.
    await sync_to_async(sync_role_permissions)(django_apps)
    user = await sync_to_async(make_user)(role)
    if route == "room":
        room = await sync_to_async(ws.Floor.objects.create)(name="Ground")
        room = await sync_to_async(ws.Room.objects.create)(floor=room, code="g1", name="Gallery")
        path = f"/ws/rooms/{room.pk}/"
    else:
        # The session is led by the educator of this test (created for this role, or apart).
        guide = user if role == "educator" else await sync_to_async(make_user)("educator")
        session = await ws.live_tour(guide)
        path = f"/ws/tours/{session.code}/"
    socket = await ws.connect(path, user)
    try:
        assert (await ws.receive(socket))["type"] == "welcome"
        allowed = await sent_and_judged(socket, route, kind)
    finally:
        await socket.disconnect()
    assert allowed is (role in WS_MATRIX[(route, kind)]), f"{role} {route} {kind}"
