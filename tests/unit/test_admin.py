"""The admin: pages load for curators, sources stay untouched, educators keep to their tours."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from exhibits.models import Artifact, Asset, Exhibition, Job
from museum.models import Tour, TourStop
from tests.unit.factories import (
    glb_bytes,
    make_annotation,
    make_artifact,
    make_exhibition,
    make_source,
    make_thumbnail,
    png_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def curator_client(curator) -> Client:
    return logged_in(curator)


@pytest.fixture
def educator_client(educator) -> Client:
    return logged_in(educator)


@pytest.fixture
def records(educator) -> dict[str, object]:
    artifact = make_artifact(title="Lekythos")
    source = make_source(artifact)
    thumbnail = make_thumbnail(source)
    return {
        "artifact": artifact,
        "asset": source,
        "thumbnail": thumbnail,
        "annotation": make_annotation(artifact),
        "exhibition": make_exhibition(artifact),
        "job": Job.objects.create(kind="thumbnail", artifact=artifact, input_asset=source),
        "tour": Tour.objects.create(title="Highlights", educator=educator),
    }


ADMIN_PAGES = [
    ("exhibits", "artifact"),
    ("exhibits", "asset"),
    ("exhibits", "annotation"),
    ("exhibits", "exhibition"),
    ("exhibits", "job"),
    ("museum", "tour"),
]


@pytest.mark.parametrize(("app", "model"), ADMIN_PAGES)
def test_admin_pages_load_for_curators(curator_client, records, app: str, model: str) -> None:
    obj = records[model]
    changelist = curator_client.get(reverse(f"admin:{app}_{model}_changelist"))
    change = curator_client.get(reverse(f"admin:{app}_{model}_change", args=[obj.pk]))
    assert changelist.status_code == 200
    assert change.status_code == 200
    assert str(obj).split()[0] in change.content.decode()


@pytest.mark.parametrize(
    ("model", "can_add"),
    [("artifact", True), ("asset", True), ("exhibition", True), ("job", False)],
)
def test_admin_add_pages(curator_client, model: str, can_add: bool) -> None:
    response = curator_client.get(reverse(f"admin:exhibits_{model}_add"))
    assert response.status_code == (200 if can_add else 403)


def test_artifact_changelist_shows_thumbnails(curator_client, records) -> None:
    html = curator_client.get(reverse("admin:exhibits_artifact_changelist")).content.decode()
    assert f'<img src="{records["thumbnail"].file.url}"' in html


def test_artifact_change_form_has_inlines_with_preview(curator_client, records) -> None:
    url = reverse("admin:exhibits_artifact_change", args=[records["artifact"].pk])
    html = curator_client.get(url).content.decode()
    assert "annotations-TOTAL_FORMS" in html
    assert f'<img src="{records["thumbnail"].file.url}"' in html
    assert "assets-TOTAL_FORMS" in html


def test_artifact_search_and_filters(curator_client) -> None:
    make_artifact(title="Bronze mirror", maker="Workshop of Novios", culture="Etruscan")
    make_artifact(title="Coin")
    url = reverse("admin:exhibits_artifact_changelist")
    assert "Bronze mirror" in curator_client.get(url, {"q": "novios"}).content.decode()
    assert "Coin" not in curator_client.get(url, {"q": "novios"}).content.decode()
    filtered = curator_client.get(url, {"culture": "Etruscan", "status__exact": "published"})
    assert filtered.status_code == 200 and "Bronze mirror" in filtered.content.decode()


# --- assets ----------------------------------------------------------------------------------


def test_source_asset_file_is_read_only_in_the_admin(curator_client, records) -> None:
    source = records["asset"]
    url = reverse("admin:exhibits_asset_change", args=[source.pk])
    html = curator_client.get(url).content.decode()
    assert 'type="file"' not in html
    assert source.sha256 in html
    with source.file.open("rb") as handle:
        content = handle.read()

    response = curator_client.post(
        url,
        {"label": "raw", "file": upload("evil.glb", png_bytes()), "sha256": "0" * 64},
    )
    assert response.status_code == 302
    stored = Asset.objects.get(pk=source.pk)
    assert stored.label == "raw"
    assert (stored.file.name, stored.sha256) == (source.file.name, source.sha256)
    with stored.file.open("rb") as handle:
        assert handle.read() == content


def test_admin_upload_goes_through_the_intake_service(
    curator_client, eager_celery, django_capture_on_commit_callbacks
) -> None:
    artifact = make_artifact()
    with django_capture_on_commit_callbacks(execute=True):
        response = curator_client.post(
            reverse("admin:exhibits_asset_add"),
            {"artifact": artifact.pk, "label": "scan", "upload": upload("vase.glb", glb_bytes())},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    source = Asset.objects.get(artifact=artifact, kind=Asset.Kind.SOURCE)
    assert (source.label, source.format, source.face_count) == ("scan", "glb", 12)
    assert source.original_filename == "vase.glb"
    job = Job.objects.get(input_asset=source)
    assert job.status == Job.Status.DONE
    assert artifact.thumbnail() is not None


def test_admin_upload_reports_a_bad_file_on_the_form(curator_client, media_root) -> None:
    artifact = make_artifact()
    response = curator_client.post(
        reverse("admin:exhibits_asset_add"),
        {"artifact": artifact.pk, "upload": upload("vase.glb", png_bytes())},
    )
    assert response.status_code == 200
    assert "its content is png" in response.content.decode().lower()
    assert not Asset.objects.exists() and not Job.objects.exists()
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def test_curators_cannot_delete_sources_but_can_delete_derivatives(curator_client, records):
    source_url = reverse("admin:exhibits_asset_delete", args=[records["asset"].pk])
    assert curator_client.post(source_url, {"post": "yes"}).status_code == 403
    derived_url = reverse("admin:exhibits_asset_delete", args=[records["thumbnail"].pk])
    assert curator_client.post(derived_url, {"post": "yes"}).status_code == 302
    assert list(Asset.objects.values_list("pk", flat=True)) == [records["asset"].pk]


def test_curator_deletes_an_artifact_with_its_assets_and_jobs(curator_client, records) -> None:
    url = reverse("admin:exhibits_artifact_delete", args=[records["artifact"].pk])
    assert curator_client.post(url, {"post": "yes"}).status_code == 302
    assert not Artifact.objects.exists() and not Asset.objects.exists()


# --- exhibitions and jobs --------------------------------------------------------------------


def test_publish_and_unpublish_actions(curator_client) -> None:
    drafts = [make_exhibition(published=False), make_exhibition(published=False)]
    url = reverse("admin:exhibits_exhibition_changelist")
    ids = [exhibition.pk for exhibition in drafts]
    curator_client.post(url, {"action": "publish", "_selected_action": ids})
    assert Exhibition.objects.published().count() == 2
    curator_client.post(url, {"action": "unpublish", "_selected_action": ids[:1]})
    assert Exhibition.objects.published().count() == 1


def test_exhibition_add_sets_creator_and_items(curator_client, curator) -> None:
    first, second = make_artifact(), make_artifact()
    response = curator_client.post(
        reverse("admin:exhibits_exhibition_add"),
        {
            "title": "Grave goods",
            "slug": "grave-goods",
            "status": "draft",
            "introduction": "",
            "items-TOTAL_FORMS": "2",
            "items-INITIAL_FORMS": "0",
            "items-0-order": "1",
            "items-0-artifact": str(first.pk),
            "items-1-order": "0",
            "items-1-artifact": str(second.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    exhibition = Exhibition.objects.get(slug="grave-goods")
    assert exhibition.created_by == curator
    assert [item.artifact for item in exhibition.items.order_by("order")] == [second, first]


def test_jobs_are_read_only_in_the_admin(curator_client, records) -> None:
    url = reverse("admin:exhibits_job_change", args=[records["job"].pk])
    assert curator_client.post(url, {"progress": 100}).status_code == 403
    assert Job.objects.get(pk=records["job"].pk).progress == 0


# --- educators -------------------------------------------------------------------------------


def test_educator_cannot_edit_the_collection(educator_client, records) -> None:
    artifact = records["artifact"]
    url = reverse("admin:exhibits_artifact_change", args=[artifact.pk])
    page = educator_client.get(url)
    assert page.status_code == 200  # the view permission: read-only
    assert 'name="_save"' not in page.content.decode()
    response = educator_client.post(url, {"object_number": "X", "title": "Changed"})
    assert response.status_code == 403
    artifact.refresh_from_db()
    assert artifact.title == "Lekythos"
    assert educator_client.get(reverse("admin:exhibits_artifact_add")).status_code == 403
    assert educator_client.get(reverse("admin:exhibits_asset_changelist")).status_code == 403


def test_educator_sees_and_edits_only_own_tours(educator_client, educator, make_user) -> None:
    other = make_user("superuser")
    own = Tour.objects.create(title="Mine", educator=educator)
    foreign = Tour.objects.create(title="Theirs", educator=other)

    html = educator_client.get(reverse("admin:museum_tour_changelist")).content.decode()
    assert "Mine" in html and "Theirs" not in html
    assert (
        educator_client.get(reverse("admin:museum_tour_change", args=[own.pk])).status_code == 200
    )
    foreign_url = reverse("admin:museum_tour_change", args=[foreign.pk])
    assert educator_client.get(foreign_url).status_code == 302  # "does not exist" redirect


def test_educator_creates_a_tour_as_its_educator(educator_client, educator) -> None:
    artifact = make_artifact()
    response = educator_client.post(
        reverse("admin:museum_tour_add"),
        {
            "title": "Ceramics in ten minutes",
            "description": "",
            "exhibition": "",
            "stops-TOTAL_FORMS": "1",
            "stops-INITIAL_FORMS": "0",
            "stops-0-order": "0",
            "stops-0-artifact": str(artifact.pk),
            "stops-0-narration": "Look at the glaze.",
            "stops-0-camera_position": "null",
            "stops-0-camera_target": "null",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    tour = Tour.objects.get(title="Ceramics in ten minutes")
    assert tour.educator == educator
    assert TourStop.objects.get(tour=tour).narration == "Look at the glaze."


def test_curator_reads_all_tours_without_editing(curator_client, records) -> None:
    tour = records["tour"]
    html = curator_client.get(reverse("admin:museum_tour_changelist")).content.decode()
    assert tour.title in html
    url = reverse("admin:museum_tour_change", args=[tour.pk])
    assert curator_client.post(url, {"title": "Renamed"}).status_code == 403
