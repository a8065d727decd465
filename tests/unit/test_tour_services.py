"""Live guided tours: services (authority, bounds, replay) and the tour pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from museum.models import LiveTour, Tour, TourQuestion, TourStop
from museum.tours import services as tour_services
from museum.tours.services import TourError
from tests.unit.factories import make_artifact

pytestmark = pytest.mark.django_db


@pytest.fixture
def tour(educator) -> Tour:
    tour = Tour.objects.create(title="Highlights", educator=educator)
    for order in range(3):
        TourStop.objects.create(
            tour=tour, order=order, artifact=make_artifact(title=f"Object {order}"),
            narration=f"Narration {order}",
        )  # fmt: skip
    return tour


def test_a_tour_without_stops_cannot_go_live(educator):
    empty = Tour.objects.create(title="Empty", educator=educator)
    with pytest.raises(TourError) as caught:
        tour_services.start_live_tour(tour=empty, guide=educator)
    assert caught.value.code == "bad_value"


def test_only_the_guide_and_named_co_guides_control(tour, educator, make_user):
    co_guide, stranger = make_user("curator"), make_user("superuser")
    session = tour_services.start_live_tour(tour=tour, guide=educator, co_guides=[co_guide])
    assert len(session.code) == 6
    assert tour_services.go_to_stop(code=session.code, user=co_guide, index=1)["stop_index"] == 1
    for user in (stranger, None):
        with pytest.raises(TourError) as caught:
            tour_services.go_to_stop(code=session.code, user=user, index=2)
        assert caught.value.code == "forbidden"
    with pytest.raises(TourError):
        tour_services.go_to_stop(code=session.code, user=educator, index=3)
    session.refresh_from_db()
    assert session.stop_index == 1


def test_hands_are_one_per_member_and_questions_are_capped(tour, educator):
    code = tour_services.start_live_tour(tour=tour, guide=educator).code
    for _ in range(2):
        queue = tour_services.set_hand(code=code, member_id="a1", name="Ann", raised=True)
    assert [hand["member"] for hand in queue] == ["a1"]
    assert tour_services.set_hand(code=code, member_id="a1", name="Ann", raised=False) == []
    for number in range(tour_services.MAX_OPEN_QUESTIONS_PER_PERSON):
        tour_services.ask_question(
            code=code, member_id="a1", asker="ann", name="Ann", text=f"Q{number}"
        )
    # The cap is per person: a new socket (member id) of the same person is still refused...
    with pytest.raises(TourError) as caught:
        tour_services.ask_question(
            code=code, member_id="a2", asker="ann", name="Ann", text="one more"
        )
    assert caught.value.code == "rate_limited"
    assert TourQuestion.objects.filter(kind="question").count() == 5
    # ...while another person may ask.
    item = tour_services.ask_question(code=code, member_id="b1", asker="bo", name="Bo", text="Hi")
    assert item["text"] == "Hi" and item["status"] == "open" and item["asker"] == "bo"


def test_visitor_names_are_unique_per_session_and_stable_per_person(tour, educator):
    code = tour_services.start_live_tour(tour=tour, guide=educator).code
    names = [tour_services.visitor_name(code=code, person=p) for p in ("a", "b", "a", "c")]
    assert names == ["Visitor 1", "Visitor 2", "Visitor 1", "Visitor 3"]
    other = tour_services.start_live_tour(tour=tour, guide=educator).code
    assert tour_services.visitor_name(code=other, person="b") == "Visitor 1"
    # The replay shows stops and answers, not who came.
    session = LiveTour.objects.get(code=code)
    assert all("person" not in str(entry) for entry in tour_services.replay_timeline(session))


def test_an_ended_tour_replays_its_stops_and_answers(tour, educator):
    session = tour_services.start_live_tour(tour=tour, guide=educator)
    code = session.code
    tour_services.go_to_stop(code=code, user=educator, index=2)
    item = tour_services.ask_question(code=code, member_id="b2", asker="bo", name="Bo", text="Why?")
    answered = tour_services.answer_question(
        code=code, user=educator, question_id=item["id"], text="So."
    )
    assert answered["status"] == "answered" and answered["answer"] == "So."
    tour_services.end_live_tour(code=code, user=educator)
    with pytest.raises(TourError) as caught:
        tour_services.go_to_stop(code=code, user=educator, index=0)
    assert caught.value.code == "ended"
    timeline = tour_services.replay_timeline(LiveTour.objects.get(code=code))
    assert [entry["kind"] for entry in timeline] == ["start", "stop", "answer", "end"]
    assert [entry["stop"]["index"] for entry in timeline if "stop" in entry] == [0, 2]
    assert timeline[2]["answer"] == "So."


def test_tour_pages(client, tour, educator):
    client.force_login(educator)
    response = client.post(reverse("tour-start", args=[tour.pk]))
    session = LiveTour.objects.get()
    assert response.status_code == 302 and response.url == session.get_absolute_url()

    page = client.get(session.get_absolute_url())
    config = page.context["config"]
    assert config["isGuide"] is True and config["socketPath"] == f"/ws/tours/{session.code}/"
    assert b'id="guide-next"' in page.content

    client.logout()
    follower_page = client.get(session.get_absolute_url())
    assert follower_page.context["config"]["isGuide"] is False
    # A visitor without an account gets a session: the tour socket tells them apart by it.
    assert follower_page.cookies["sessionid"].value
    assert b'id="follower-join-button"' in follower_page.content
    # Join by code, in any case and with stray spaces; an unknown code is said so.
    joined = client.get(reverse("tours"), {"code": f" {session.code.lower()} "})
    assert joined.status_code == 302 and joined.url == session.get_absolute_url()
    unknown = client.get(reverse("tours"), {"code": "ZZZZZZ"}, follow=True)
    assert "No tour has the code" in unknown.content.decode()


def test_only_the_tours_educator_can_start_it(client, tour, make_user):
    other = make_user("curator")
    client.force_login(other)
    assert client.post(reverse("tour-start", args=[tour.pk])).status_code == 404
    assert not LiveTour.objects.exists()
    client.logout()
    response = client.post(reverse("tour-start", args=[tour.pk]))
    assert response.status_code == 302 and "login" in response.url


def test_the_guide_saves_a_stop_view_from_the_page(client, tour, educator, make_user):
    session = tour_services.start_live_tour(tour=tour, guide=educator)
    url = reverse("tour-save-view", args=[session.code, 1])
    view = {"position": [0.1, 1.2, 2.5], "target": [0, 0.4, 0]}
    assert client.post(url, view, content_type="application/json").status_code == 403
    client.force_login(make_user("curator"))
    assert client.post(url, view, content_type="application/json").status_code == 403
    client.force_login(educator)
    bad = client.post(url, {"position": [1, "x", 2], "target": [0, 0, 0]}, "application/json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_value"
    assert client.post(url, "{oops", content_type="application/json").status_code == 400
    saved = client.post(url, view, content_type="application/json")
    assert saved.status_code == 200
    stop = tour.stops.get(order=1)
    assert stop.camera_position == [0.1, 1.2, 2.5] and stop.camera_target == [0.0, 0.4, 0.0]
    outside = reverse("tour-save-view", args=[session.code, 7])
    assert client.post(outside, view, content_type="application/json").status_code == 400


def test_a_stops_audio_clip_reaches_followers_and_bad_clips_are_refused(tour, educator):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    stop = tour.stops.get(order=0)
    stop.audio = SimpleUploadedFile("intro.ogg", b"OggS" + bytes(64), content_type="audio/ogg")
    stop.full_clean()
    stop.save()
    session = tour_services.start_live_tour(tour=tour, guide=educator)
    state = tour_services.tour_state(session)
    assert state["stop"]["audio_url"].endswith(".ogg")
    stop.audio = SimpleUploadedFile("intro.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(ValidationError):
        stop.full_clean()


def test_a_stop_without_a_saved_view_gets_the_objects_default_view(tour, educator):
    """#22 item 1: the raised three-quarter view intake computed, not each screen's own."""
    from exhibits.models import Job

    first, second = tour.stops.order_by("order")[:2]
    view = {"camera_position": [0.4, 0.6, 1.9], "camera_target": [0.0, 0.4, 0.0]}
    Job.objects.create(
        kind="intake", artifact=first.artifact, status=Job.Status.DONE,
        report={"default_view": view},
    )  # fmt: skip
    session = tour_services.start_live_tour(tour=tour, guide=educator)
    stop = tour_services.tour_state(session)["stop"]
    assert stop["camera"] == {"position": [0.4, 0.6, 1.9], "target": [0.0, 0.4, 0.0]}
    second.camera_position, second.camera_target = [1, 1, 1], [0, 0, 0]
    second.save()
    saved = tour_services._stop_payload(second, 1)
    assert saved["camera"] == {"position": [1, 1, 1], "target": [0, 0, 0]}  # the guide's wins
