"""seed_demo is idempotent and complete; the role groups carry exactly their permissions."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from exhibits.intake.viewpoints import elevation_deg
from exhibits.models import Annotation, Artifact, Asset, Exhibition, Job
from museum.models import TourStop
from museum.roles import CURATOR, EDUCATOR, ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--password", "test-pass-123", stdout=out)
    return out.getvalue()


def test_seed_demo_builds_a_published_museum_and_is_idempotent(client) -> None:
    """One test, because seeding runs the real intake of three scans (seconds each)."""
    output = seed()
    counts = (
        Artifact.objects.count(),
        Asset.objects.count(),
        Annotation.objects.count(),
        Exhibition.objects.count(),
    )
    assert counts[0] == 3 and counts[3] == 1
    exhibition = Exhibition.objects.get()
    assert exhibition.is_published
    assert exhibition.items.count() == 3
    for artifact in Artifact.objects.all():
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
    stops = TourStop.objects.all()
    assert stops.count() == 3
    for stop in stops:
        assert stop.camera_position and stop.camera_target
        elevation = elevation_deg(stop.camera_position, stop.camera_target)
        assert 5 <= elevation <= 40, (stop.artifact.title, elevation)
    for job in Job.objects.filter(kind="intake"):
        view = job.report["default_view"]
        assert 10 <= elevation_deg(view["camera_position"], view["camera_target"]) <= 30
    for annotation in Annotation.objects.all():
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
