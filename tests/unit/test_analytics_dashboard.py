"""The curators' analytics dashboard and CSV: who may see them, suppression of small counts
(and of figures derived from them), CSV injection. Data goes in through the collection paths."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from django.core.cache import cache

from museum.analytics import collect
from museum.analytics.dashboard import neutralised
from museum.analytics.services import flush_counts
from museum.models import Floor, LiveTour, Room, Tour
from tests.unit.factories import make_artifact

ROLES_ALLOWED = {"superuser": 200, "curator": 200, "educator": 403, "visitor": 403}


@pytest.fixture(autouse=True)
def empty_buffer(settings) -> Iterator[None]:
    settings.MOUSEION_ANALYTICS = True  # off for the rest of the suite (tests/settings.py)
    settings.MOUSEION_ANALYTICS_FLUSH_SECONDS = 3600.0
    settings.MOUSEION_ANALYTICS_MIN_COUNT = 5
    collect.TALLY.take()
    cache.clear()
    yield
    collect.TALLY.take()


@pytest.fixture
def museum_data(client, make_user) -> dict:
    """Room A: 6 visits, B: 3; 6 walks A->B, 2 B->A; a popular object (7 views) and a rare one
    (2, titled like a formula); a tour with 6 followers, 4 at the last stop; 6 phones."""
    floor = Floor.objects.create(name="Ground")
    a = Room.objects.create(floor=floor, code="A", name="Antiquities")
    b = Room.objects.create(floor=floor, code="B", name="Bronzes")
    for seconds in (10, 20, 30, 40, 50, 60):
        collect.room_visit(room=a.pk, seconds=seconds, came_from=b.pk if seconds < 30 else None)
    for seconds in (5, 6, 7):
        collect.room_visit(room=b.pk, seconds=seconds, came_from=a.pk)
    for _ in range(3):
        collect.room_visit(room=b.pk, seconds=1, came_from=a.pk)  # 6 A->B in all, B has 6 too
    popular = make_artifact(title="Kouros")
    rare = make_artifact(title='=HYPERLINK("http://evil")')
    phone = {"HTTP_USER_AGENT": "Mozilla/5.0 (iPhone) Mobile Safari"}
    for dwell in (10, 20, 30, 40, 50, 60, 70):
        body = json.dumps({"artifact": popular.pk, "dwell": dwell})
        client.post("/analytics/beacon", body, content_type="application/json", **phone)
    for dwell in (100, 200):
        body = json.dumps({"artifact": rare.pk, "dwell": dwell})
        client.post("/analytics/beacon", body, content_type="application/json")
    educator = make_user("guide")
    tour = Tour.objects.create(title="Gods and heroes", educator=educator)
    live = LiveTour.objects.create(tour=tour, guide=educator)
    for reached in (True, True, True, True, False, False):
        collect.tour_follower(code=live.code, share=1.0 if reached else 0.5, reached_last=reached)
    flush_counts()
    return {"a": a, "b": b, "popular": popular, "rare": rare, "tour": tour}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "visitor", "educator", "curator", "superuser"])
def test_only_curators_and_superusers_see_the_dashboard_and_csv(client, make_user, role):
    user = make_user(role)
    if user is not None:
        client.force_login(user)
    for url in ("/admin/analytics/", "/admin/analytics.csv"):
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302 and "/admin/login/" in response["Location"]
        else:
            assert response.status_code == ROLES_ALLOWED[role], (role, url)


@pytest.mark.django_db
def test_staff_without_the_permission_gets_403(client, django_user_model):
    staff = django_user_model.objects.create_user("staff", "s@example.org", None, is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/analytics/").status_code == 403


@pytest.mark.django_db
def test_dashboard_shows_counts_and_suppresses_small_ones(client, curator, museum_data):
    client.force_login(curator)
    response = client.get("/admin/analytics/")
    assert response.status_code == 200
    report = response.context["report"]
    rooms = {r["label"]: r for r in report.rooms}
    a, b = rooms["A · Antiquities"], rooms["B · Bronzes"]
    assert a["visits"] == 6 and a["average"] == 35.0 and a["median"] is not None
    assert b["visits"] == 6
    assert [o["label"] for o in report.objects] == ["Kouros"]  # the rare one: 2 views, hidden
    assert report.objects[0]["views"] == 7 and report.objects[0]["average"] == 40.0
    assert report.objects_hidden == 1
    assert report.paths == [{"from": "A", "to": "B", "count": 6}]  # B->A: 2 walks, suppressed
    matrix = report.matrix["cells"]
    assert matrix[1]["cells"][0] == {"value": None, "hidden": True, "heat": 0}
    (tour,) = report.tours
    # 4 of 6 reached the end: 4 is below k, and so is the complement (2): no count, no rate.
    assert tour["followers"] == 6 and tour["last_stop"] is None and tour["rate"] is None
    assert report.devices == [{"device": "desktop", "mode": "browser", "count": None},
                              {"device": "phone", "mode": "browser", "count": 7}]  # fmt: skip
    page = response.content.decode()
    assert "&lt; 5" in page and "HYPERLINK" not in page
    charts = json.loads(page.split('id="analytics-data" type="application/json">')[1].split("<")[0])
    assert charts["devices"]["counts"] == [None, 7]
    assert charts["paths"]["counts"] == [6]


@pytest.mark.django_db
def test_averages_over_fewer_than_k_visits_are_suppressed(client, curator, museum_data, settings):
    settings.MOUSEION_ANALYTICS_MIN_COUNT = 7
    client.force_login(curator)
    report = client.get("/admin/analytics/").context["report"]
    a = next(r for r in report.rooms if r["label"].startswith("A"))
    assert a["visits"] is None and a["average"] is None and a["median"] is None


@pytest.mark.django_db
def test_csv_has_the_same_suppressed_figures_and_no_formulas(client, curator, museum_data):
    client.force_login(curator)
    response = client.get("/admin/analytics.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "name", "measure", "value"]
    assert ["object", "Kouros", "views", "7"] in rows
    assert ["path", "A > B", "walks", "6"] in rows
    assert ["device", "desktop/browser", "page_views", "< 5"] in rows
    assert ["tour", "Gods and heroes", "followers", "6"] in rows
    assert ["tour", "Gods and heroes", "followers_stops_0_to_25pc", "0"] in rows
    assert ["tour", "Gods and heroes", "followers_stops_50_to_75pc", "< 5"] in rows
    assert ["tour", "Gods and heroes", "followers_all_stops", "< 5"] in rows
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert neutralised('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert neutralised("-2+3") == "'-2+3" and neutralised("@SUM") == "'@SUM"
    assert neutralised("Kouros") == "Kouros" and neutralised(None) == ""


@pytest.mark.django_db
def test_a_bad_date_range_is_said_and_replaced(client, curator):
    client.force_login(curator)
    response = client.get("/admin/analytics/?start=yesterday")
    assert response.status_code == 200 and response.context["range_error"]
    response = client.get("/admin/analytics/?start=2020-01-01&end=2026-01-01")
    report = response.context["report"]
    assert (report.end - report.start).days == 365


@pytest.mark.django_db
def test_the_admin_index_links_the_dashboard_for_curators_only(client, curator, educator):
    client.force_login(curator)
    assert "/admin/analytics/" in client.get("/admin/").content.decode()
    client.force_login(educator)
    assert "/admin/analytics/" not in client.get("/admin/").content.decode()
