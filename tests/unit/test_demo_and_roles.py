"""seed_demo is idempotent and complete; the role groups carry exactly their permissions."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from exhibits.demo.content import DEMO_ARTIFACTS, EXHIBITION
from exhibits.demo.flat_works import FLAT_EXHIBITION, FLAT_TOUR, FLAT_TOUR_STOPS, FLAT_WORKS
from exhibits.intake.viewpoints import elevation_deg
from exhibits.models import Annotation, Artifact, Asset, Exhibition, Job
from museum.models import Room, TourStop
from museum.roles import CURATOR, EDUCATOR, ROLE_PERMISSIONS
from museum.tours.services import start_live_tour, tour_state

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--password", "test-pass-123", stdout=out)
    return out.getvalue()


def test_seed_demo_builds_a_published_museum_and_is_idempotent(client) -> None:
    """One test, because seeding runs the real intake of three scans (seconds each) and of
    sixteen pictures."""
    output = seed()
    counts = (
        Artifact.objects.count(),
        Asset.objects.count(),
        Annotation.objects.count(),
        Exhibition.objects.count(),
    )
    assert counts[0] == len(DEMO_ARTIFACTS) + len(FLAT_WORKS) and counts[3] == 2
    exhibition = Exhibition.objects.get(slug=EXHIBITION["slug"])
    assert exhibition.is_published
    assert exhibition.items.count() == 3
    for artifact in Artifact.objects.filter(form=Artifact.Form.OBJECT):
        assert artifact.is_published
        web = artifact.web_model()
        assert web is not None and (web.kind, web.label) == ("lod", "web")
        assert web.face_count and web.sha256
        source = artifact.assets.get(kind="source")
        assert set(artifact.lods()) == {"thumb", "web"}
        assert all(lod.derived_from == source for lod in artifact.lods().values())
        assert artifact.lods()["thumb"].byte_size < 200 * 1024
        thumbnail = artifact.thumbnail()
        assert thumbnail is not None and thumbnail.derived_from == source
        assert artifact.height_m and artifact.height_m > 0
        assert artifact.annotations.count() >= 2
    assert "password: test-pass-123" in output
    assert_flat_exhibition_loaded(client)
    stops = TourStop.objects.exclude(tour__title=FLAT_TOUR["title"])
    assert stops.count() == 3
    for stop in stops:
        assert stop.camera_position and stop.camera_target
        elevation = elevation_deg(stop.camera_position, stop.camera_target)
        assert 5 <= elevation <= 40, (stop.artifact.title, elevation)
    for job in Job.objects.filter(kind="intake", artifact__form=Artifact.Form.OBJECT):
        view = job.report["default_view"]
        assert 10 <= elevation_deg(view["camera_position"], view["camera_target"]) <= 30
    for annotation in Annotation.objects.filter(region__isnull=True):
        assert annotation.camera_position != annotation.camera_target
        # A natural, slightly raised view: never from below, never straight down (#22 item 1).
        elevation = elevation_deg(annotation.camera_position, annotation.camera_target)
        assert 5 <= elevation <= 40, (annotation.title, elevation)
        # Points lie on the normalised model: within its footprint and height.
        height = annotation.artifact.height_m
        assert -0.01 <= annotation.position[1] <= height + 0.01
    user_model = get_user_model()
    assert user_model.objects.get(username="curator").groups.filter(name=CURATOR).exists()
    assert user_model.objects.get(username="educator").groups.filter(name=EDUCATOR).exists()
    # The printed password signs in through the real admin form (with the login lockout on).
    signed_in = client.post(
        "/admin/login/?next=/admin/", {"username": "curator", "password": "test-pass-123"}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/admin/"
    seed()
    assert counts == (
        Artifact.objects.count(),
        Asset.objects.count(),
        Annotation.objects.count(),
        Exhibition.objects.count(),
    )


def assert_flat_exhibition_loaded(client) -> None:
    """The second exhibition: every picture came through the image intake (a canvas, its web
    copy, thumbnail and IIIF service), hangs in a flat-works room with its label, and the
    tour's stops point at regions of them; the pages answer."""
    flat = Exhibition.objects.get(slug=FLAT_EXHIBITION["slug"])
    assert flat.is_published and flat.items.count() == len(FLAT_WORKS) >= 12
    assert client.get(f"/exhibitions/{flat.slug}/").status_code == 200
    assert FLAT_EXHIBITION["title"] in client.get("/").content.decode()  # the lobby lists it
    rooms = set(Room.objects.filter(exhibition=flat).values_list("code", flat=True))
    assert rooms == {"f1", "f2", "f3"}
    scales = {}
    for item in flat.items.select_related("artifact", "room"):
        artifact = item.artifact
        assert artifact.form == Artifact.Form.FLAT and artifact.is_published
        assert item.label_text and item.label_translations.get("fr")
        assert item.room is not None and item.room.code in rooms
        canvas = artifact.canvases.get()
        service = canvas.image_service()
        assert service is not None and (service.width, service.height) == (
            canvas.width_px,
            canvas.height_px,
        )
        assert max(canvas.width_px, canvas.height_px) <= 1600
        info = client.get(f"/iiif/3/{service.identifier}/info.json")
        assert info.status_code == 200 and (info.json()["width"], info.json()["height"]) == (
            canvas.width_px,
            canvas.height_px,
        )
        size = info.json()["sizes"][0]
        small = f"/iiif/3/{service.identifier}/full/{size['width']},{size['height']}/0/default.jpg"
        assert client.get(small).status_code == 200
        web = canvas.web_image()
        assert web is not None and web.derived_from_id == canvas.source_id
        assert artifact.thumbnail() is not None
        scales[artifact.object_number] = canvas.scale_source
        for note in artifact.annotations.all():
            assert note.region["canvas"] == canvas.pk
            x, y, w, h = note.region["xywh"]
            assert x + w <= canvas.width_px and y + h <= canvas.height_px
        assert client.get(artifact.get_absolute_url()).status_code == 200
    # Sizes only from the catalogue data; the others say their scale is unknown.
    sized = {work.record["object_number"] for work in FLAT_WORKS if work.width_cm}
    assert {number for number, source in scales.items() if source} == sized
    assert {scales[number] for number in sized} == {"catalogue"}
    stops = TourStop.objects.filter(tour__title=FLAT_TOUR["title"]).order_by("order")
    assert stops.count() == len(FLAT_TOUR_STOPS)
    for stop in stops:
        assert stop.annotation is not None and stop.annotation.region
        assert stop.annotation.artifact_id == stop.artifact_id and stop.narration
    assert client.get("/tours/").status_code == 200
    assert client.get("/plan/").status_code == 200
    # Live, a stop shows the picture with its region (museum/realtime/PROTOCOL.md).
    first = stops.first()
    assert first is not None
    session = start_live_tour(tour=first.tour, guide=first.tour.educator)
    stop = tour_state(session)["stop"]
    assert stop["annotation"]["region"] == first.annotation.region
    picture = stop["picture"]
    canvas = first.artifact.canvases.get()
    assert (picture["width"], picture["height"]) == (canvas.width_px, canvas.height_px)
    assert client.get(picture["url"]).status_code == 200
    assert client.get(session.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("role", [CURATOR, EDUCATOR])
def test_role_groups_carry_exactly_the_declared_permissions(role: str) -> None:
    expected = {
        f"{app}.{action}_{model}"
        for (app, model), actions in ROLE_PERMISSIONS[role].items()
        for action in actions
    }
    group = Group.objects.get(name=role)
    granted = {
        f"{perm.content_type.app_label}.{perm.codename}"
        for perm in group.permissions.select_related("content_type")
    }
    assert granted == expected


def test_educator_cannot_change_the_collection() -> None:
    educator = get_user_model().objects.create_user("edu", password="x-long-password-1")
    educator.groups.add(Group.objects.get(name=EDUCATOR))
    assert educator.has_perm("museum.add_tour")
    assert not educator.has_perm("exhibits.change_artifact")
