"""Suggesting exhibitions from the admin (#22 item 13): readable titles, proper plurals, the
number of rooms chosen by the curator, each room's explanation beside its objects."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from exhibits.curation.themes import Term, theme_name, title_case
from exhibits.models import Exhibition
from tests.unit.factories import make_artifact

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:exhibits_artifact_changelist"
KINDS = {
    "helmet": ("Bronze helmet", "Etruscan", "bronze", -480),
    "tsuba": ("Tsuba with waves", "Japanese", "iron, sword guard", 1801),
    "plaque": ("Ivory plaque", "Byzantine", "ivory", 1001),
}


@pytest.fixture
def curator_client(curator) -> Client:
    client = Client()
    client.force_login(curator)
    return client


@pytest.fixture
def selection() -> list[int]:
    return [
        make_artifact(
            title=f"{title} {letter}", culture=culture, materials=materials,
            date_start_year=year, date_end_year=year + 20,
        ).pk
        for title, culture, materials, year in KINDS.values()
        for letter in "ABC"
    ]  # fmt: skip


def _run(client: Client, selected: list[int], **extra: str):
    data = {"action": "suggest_exhibitions_action", ACTION_CHECKBOX_NAME: selected, "index": "0"}
    return client.post(reverse(CHANGELIST), data | extra)


def test_title_case_keeps_small_words_and_abbreviations() -> None:
    assert title_case("sword fittings of the edo period") == "Sword Fittings of the Edo Period"
    assert title_case("the 19th-century bce") == "The 19th-century BCE"
    assert theme_name([Term("cast", 2, 1.0, 1.0), Term("alto", 1, 0.5, 0.5)]) == "Cast · Alto"


def test_the_action_first_asks_for_the_number_of_rooms(curator_client, selection) -> None:
    response = _run(curator_client, selection)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="rooms"' in html and 'max="9"' in html and 'value="1"' in html
    assert "9 artifacts are selected." in html
    assert html.count(f'name="{ACTION_CHECKBOX_NAME}"') == len(selection)
    assert not Exhibition.objects.exists()


def test_the_chosen_number_of_rooms_is_made(curator_client, selection) -> None:
    response = _run(curator_client, selection, apply="1", rooms="3")
    exhibition = Exhibition.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:exhibits_exhibition_change", args=[exhibition.pk])
    assert len(exhibition.explanation["rooms"]) == 3
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages[0].startswith("Draft exhibition suggested with 3 rooms: ")
    title = exhibition.title.removeprefix("Suggested exhibition: ")
    assert " · " not in title and all(
        w[:1].isupper() for w in title.replace(" and ", ", ").split(", ")
    )


@pytest.mark.parametrize("rooms", ["0", "10", "many"])
def test_a_room_count_out_of_range_is_asked_again(curator_client, selection, rooms) -> None:
    response = _run(curator_client, selection, apply="1", rooms=rooms)
    assert response.status_code == 200 and 'class="errorlist' in response.content.decode()
    assert not Exhibition.objects.exists()


def test_each_room_shows_why_beside_its_objects(curator_client, selection) -> None:
    _run(curator_client, selection, apply="1", rooms="3")
    exhibition = Exhibition.objects.get()
    html = curator_client.get(
        reverse("admin:exhibits_exhibition_change", args=[exhibition.pk])
    ).content.decode()
    assert html.count('class="suggested-room"') == 3
    assert html.count("Why these are together") == 3
    assert "Room 1: " in html and "(3 objects)" in html and "css/admin-curation.css" in html
    assert "Most of them mention “" in html and "of 3)" in html


def test_an_exhibition_made_by_hand_shows_no_suggested_rooms(curator_client) -> None:
    exhibition = Exhibition.objects.create(title="By hand", slug="by-hand")
    html = curator_client.get(
        reverse("admin:exhibits_exhibition_change", args=[exhibition.pk])
    ).content.decode()
    assert "suggested rooms" not in html.lower()
