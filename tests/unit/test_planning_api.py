"""`POST /api/visits/plan`: validation errors in the API's error shape, and a happy path."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from exhibits.models import ExhibitionItem
from museum.models import Floor, Passage, Room
from museum.planning.services import BOARD
from tests.unit.factories import make_artifact, make_exhibition

pytestmark = pytest.mark.django_db
URL = "/api/visits/plan"


def error_of(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    return body["error"]


@pytest.fixture
def small_museum() -> dict:
    """hall (entrance/exit) - bronze room - paint room, plus an unconnected store room."""
    floor = Floor.objects.create(name="Ground", level=0)
    hall = Room.objects.create(floor=floor, code="hall", name="Hall", x_m=10, y_m=20,
                               width_m=20, depth_m=6, is_entrance=True, is_exit=True)  # fmt: skip
    bronze = Room.objects.create(floor=floor, code="bronze", name="Bronzes", x_m=5, y_m=10)
    paint = Room.objects.create(floor=floor, code="paint", name="Paintings", x_m=15, y_m=10)
    Room.objects.create(floor=floor, code="store", name="Store", x_m=40, y_m=10)
    Passage.objects.create(from_room=hall, to_room=bronze, walking_seconds=20)
    Passage.objects.create(from_room=bronze, to_room=paint, walking_seconds=15)
    Passage.objects.create(from_room=paint, to_room=hall, walking_seconds=20)
    artifacts = [
        make_artifact(title="Bronze horse", materials="bronze", culture="Roman"),
        make_artifact(title="Bronze mirror", materials="bronze", culture="Etruscan"),
        make_artifact(title="River landscape", materials="oil on canvas", culture="Dutch"),
        make_artifact(title="Portrait of a lady", materials="oil on panel", culture="Flemish"),
    ]
    exhibition = make_exhibition(*artifacts)
    rooms = [bronze, bronze, paint, paint]
    for item, room in zip(exhibition.items.order_by("order"), rooms, strict=True):
        item.room = room
        item.save(update_fields=["room"])
    return {"artifacts": artifacts, "rooms": {"hall": hall, "bronze": bronze, "paint": paint}}


def test_route_name_and_path() -> None:
    assert reverse("visits:visit-plan") == URL


@pytest.mark.parametrize("minutes", [0, -10])
def test_budget_must_be_positive(small_museum: dict, minutes: int) -> None:
    error = error_of(APIClient().post(URL, {"minutes": minutes}, format="json"))
    assert error["code"] == "budget" and "minutes" in error["fields"]


def test_minutes_are_required_and_numeric(small_museum: dict) -> None:
    assert "minutes" in error_of(APIClient().post(URL, {}, format="json"))["fields"]
    error = error_of(APIClient().post(URL, {"minutes": "soon"}, format="json"))
    assert "minutes" in error["fields"]


def test_unknown_rooms_are_named(small_museum: dict) -> None:
    client = APIClient()
    error = error_of(client.post(URL, {"minutes": 30, "entrance": "attic"}, format="json"))
    assert error["code"] == "unknown_room" and "attic" in error["fields"]["entrance"][0]
    error = error_of(client.post(URL, {"minutes": 30, "exit": "cellar"}, format="json"))
    assert error["code"] == "unknown_room" and "exit" in error["fields"]


def test_disconnected_plan_is_refused(small_museum: dict) -> None:
    error = error_of(APIClient().post(URL, {"minutes": 30, "exit": "store"}, format="json"))
    assert error["code"] == "disconnected"
    assert "cannot be reached" in error["message"]


def test_no_floor_plan(db) -> None:
    error = error_of(APIClient().post(URL, {"minutes": 30}, format="json"))
    assert error["code"] == "no_floor_plan"


def test_liked_artifact_must_be_on_display(small_museum: dict) -> None:
    stored = make_artifact(title="In storage")
    error = error_of(
        APIClient().post(URL, {"minutes": 30, "liked_artifact": stored.pk}, format="json")
    )
    assert error["code"] == "unknown_artifact"


def test_plan_follows_interests_and_explains_each_stop(small_museum: dict) -> None:
    response = APIClient().post(URL, {"interests": "bronze", "minutes": 5}, format="json")
    assert response.status_code == 200, response.content
    plan = response.json()
    titles = [stop["artifact"]["title"] for stop in plan["stops"]]
    assert titles and all("Bronze" in title for title in titles[:2])
    first = plan["stops"][0]
    assert first["room"]["code"] == "bronze"
    assert first["reason"]["code"] == "interest" and "bronze" in first["reason"]["terms"]
    assert "bronze" in first["reason"]["text"]
    assert plan["total_minutes"] <= 5 and plan["budget_minutes"] == 5
    assert 0 < plan["walking_minutes"] < plan["total_minutes"]
    assert plan["rooms_path"][0] == "hall" and plan["rooms_path"][-1] == "hall"
    assert plan["entrance"] == "hall" and plan["exit"] == "hall"
    assert plan["interest"] > 0


def test_liked_artifact_is_a_must_see(small_museum: dict) -> None:
    liked = small_museum["artifacts"][3]
    body = {"interests": "bronze", "minutes": 4, "liked_artifact": liked.pk, "group_size": 3}
    plan = APIClient().post(URL, body, format="json").json()
    reasons = {stop["artifact"]["id"]: stop["reason"]["code"] for stop in plan["stops"]}
    assert reasons[liked.pk] == "must_see"
    assert plan["group_size"] == 3


def test_crowded_room_is_avoided_when_the_board_says_so(small_museum: dict) -> None:
    bronze = small_museum["rooms"]["bronze"]
    body = {"interests": "bronze", "minutes": 4}
    calm = APIClient().post(URL, body, format="json").json()
    assert calm["crowd_aware"] is False
    BOARD.set(str(bronze.pk), 60)
    try:
        crowded = APIClient().post(URL, body, format="json").json()
    finally:
        BOARD.set(str(bronze.pk), 0)
    assert crowded["crowd_aware"] is True
    assert crowded["interest"] <= calm["interest"]


def test_demo_floor_plan_command_is_idempotent(small_museum: dict) -> None:
    with pytest.raises(Exception, match="seed_demo"):
        call_command("seed_floor_plan")
    make_exhibition(make_artifact(title="Whale"), slug="shapes-of-time")
    call_command("seed_floor_plan")
    call_command("seed_floor_plan")
    floor = Floor.objects.get(name="Ground floor")
    assert floor.rooms.count() == 4
    assert Passage.objects.filter(from_room__floor=floor).count() == 5
    item = ExhibitionItem.objects.get(exhibition__slug="shapes-of-time")
    assert item.room.code == "g1"
