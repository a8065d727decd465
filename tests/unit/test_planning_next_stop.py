"""`POST /api/visits/next-stop`: the live next stop, under both live routings."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from museum.planning.services import BOARD
from tests.unit import test_planning_api
from tests.unit.test_planning_api import error_of

pytestmark = pytest.mark.django_db
URL = "/api/visits/next-stop"
small_museum = test_planning_api.small_museum  # the same fixture
ROUTINGS = pytest.mark.parametrize("routing", ["learned", "aware"])


def ask(**body) -> dict:
    response = APIClient().post(URL, body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_route_name_and_path() -> None:
    assert reverse("visits:visit-next-stop") == URL


@ROUTINGS
def test_next_stop_is_on_display_unseen_and_explained(small_museum: dict, routing: str) -> None:
    ids = [a.pk for a in small_museum["artifacts"]]
    with override_settings(MOUSEION_LIVE_ROUTING=routing):
        first = ask(room="hall", minutes_left=30, interests="bronze")
        assert first["routing"] == routing
        assert first["stop"]["artifact"]["id"] in ids
        assert first["text"].startswith("Next stop: ") and first["why"]
        # Everything but one object seen: that one is next.
        last = ask(room="paint", minutes_left=30, seen=ids[1:])
        assert last["stop"]["artifact"]["id"] == ids[0]


@ROUTINGS
def test_no_time_left_sends_the_visitor_to_the_exit(small_museum: dict, routing: str) -> None:
    with override_settings(MOUSEION_LIVE_ROUTING=routing):
        assert ask(room="paint", minutes_left=0)["stop"] is None
        # 40 s: not enough to walk to another object, look and reach the exit.
        assert ask(room="bronze", minutes_left=0.7)["stop"] is None


@ROUTINGS
def test_a_full_room_is_skipped_when_time_is_short(small_museum: dict, routing: str) -> None:
    bronze = small_museum["rooms"]["bronze"]
    BOARD.set(str(bronze.pk), bronze.capacity * 2)
    try:
        with override_settings(MOUSEION_LIVE_ROUTING=routing):
            stop = ask(room="hall", minutes_left=6, interests="bronze")["stop"]
    finally:
        BOARD.set(str(bronze.pk), 0)
    assert stop["room"]["code"] == "paint"


def test_unknown_room_is_named(small_museum: dict) -> None:
    response = APIClient().post(URL, {"room": "attic", "minutes_left": 10}, format="json")
    assert error_of(response)["code"] == "unknown_room"


def _settings_under(monkeypatch: pytest.MonkeyPatch, tmp_path, **env: str) -> dict:
    """museum/settings.py evaluated afresh under `env` (its module globals)."""
    import runpy
    from pathlib import Path

    monkeypatch.setenv("MOUSEION_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("MOUSEION_LIVE_ROUTING", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(Path(__file__).resolve().parents[2] / "museum" / "settings.py"))


def test_the_learned_routing_is_served_by_default_and_a_bad_setting_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    from django.core.exceptions import ImproperlyConfigured

    assert _settings_under(monkeypatch, tmp_path)["MOUSEION_LIVE_ROUTING"] == "learned"
    aware = _settings_under(monkeypatch, tmp_path, MOUSEION_LIVE_ROUTING="aware")
    assert aware["MOUSEION_LIVE_ROUTING"] == "aware"
    with pytest.raises(ImproperlyConfigured, match="MOUSEION_LIVE_ROUTING"):
        _settings_under(monkeypatch, tmp_path, MOUSEION_LIVE_ROUTING="selfish")
