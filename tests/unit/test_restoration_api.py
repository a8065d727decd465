"""Restoration API: a curator requests a surface restoration (run by Celery, eagerly), polls
it, accepts it; visitors then see it labelled as virtual, never a rejected or pending one."""

from __future__ import annotations

import pytest

from restoration.models import RestorationJob
from restoration.restore import services as rs
from tests.unit.test_restoration_jobs import TELEA, artifact_with_condition, run

pytestmark = pytest.mark.django_db


def restorations(client, artifact) -> list[dict]:
    response = client.get(f"/api/artifacts/{artifact.pk}/restorations")
    assert response.status_code == 200, response.content
    return response.json()["restorations"]


def test_curator_requests_polls_and_accepts(
    curator_api, anon_api, media_root, eager_celery, django_capture_on_commit_callbacks
) -> None:
    artifact, _ = artifact_with_condition()
    with django_capture_on_commit_callbacks(execute=True):
        response = curator_api.post(
            f"/api/artifacts/{artifact.pk}/restorations",
            {"kind": "surface", "method": "telea"},
            format="json",
        )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["kind"] == "surface" and body["label"] == "Virtual restoration"
    job = curator_api.get(body["job_url"]).json()
    assert job["status"] == "done" and job["progress"] == 100, job
    assert job["restored_model_url"].endswith(".glb") and job["generated_mask_url"]
    assert job["options"] == TELEA and job["requested_by"] == "curator"
    [region] = job["regions"]
    assert region["method"] == "telea" and region["candidates"]
    assert restorations(anon_api, artifact) == []  # pending review: not shown to visitors

    accepted = curator_api.post(job["accept_url"], {"note": "convincing"}, format="json")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["review"] == "accepted"
    [shown] = restorations(anon_api, artifact)
    assert shown["id"] == job["id"] and shown["label"] == "Virtual restoration"
    assert shown["restored_model_url"] and shown["regions"]
    for private in ("error", "options", "requested_by", "reviewed_by", "accept_url"):
        assert private not in shown


def test_visitors_never_see_rejected_or_pending(curator, curator_api, anon_api, media_root) -> None:
    artifact, _ = artifact_with_condition()
    accepted, rejected, pending = run(artifact), run(artifact), run(artifact)
    rs.accept_restoration(job=accepted, user=curator)
    response = curator_api.post(
        f"/api/restoration-jobs/{rejected.pk}/reject", {"note": "seam"}, format="json"
    )
    assert response.json()["review"] == "rejected"
    assert [r["id"] for r in restorations(anon_api, artifact)] == [accepted.pk]
    assert {r["id"] for r in restorations(curator_api, artifact)} == {
        accepted.pk,
        rejected.pk,
        pending.pk,
    }


def test_roles_are_checked(api_client_for, media_root) -> None:
    artifact, _ = artifact_with_condition()
    job = run(artifact)
    for role in ("anonymous", "visitor", "educator"):
        client = api_client_for(role)
        posted = client.post(
            f"/api/artifacts/{artifact.pk}/restorations", {"kind": "surface"}, format="json"
        )
        assert posted.status_code in (401, 403), role
        assert client.get(f"/api/restoration-jobs/{job.pk}").status_code in (401, 403), role
        accept = client.post(f"/api/restoration-jobs/{job.pk}/accept", {}, format="json")
        assert accept.status_code in (401, 403), role
    assert RestorationJob.objects.filter(artifact=artifact).count() == 1


def test_bad_input_gets_a_clear_error(curator_api, anon_api, media_root) -> None:
    artifact, _ = artifact_with_condition()
    url = f"/api/artifacts/{artifact.pk}/restorations"
    for body, field in (
        ({}, "kind"),
        ({"kind": "colour"}, "kind"),
        ({"kind": "surface", "method": "magic"}, "method"),
    ):
        response = curator_api.post(url, body, format="json")
        assert response.status_code == 400, body
        assert field in str(response.json()), response.json()
    queued = rs.request_restoration(artifact=artifact, kind="surface")
    response = curator_api.post(f"/api/restoration-jobs/{queued.pk}/accept", {}, format="json")
    assert response.status_code == 400
    assert "Only a finished restoration can be reviewed" in str(response.json())
    assert curator_api.get("/api/restoration-jobs/999999").status_code == 404
    draft, _ = artifact_with_condition(published=False)
    assert anon_api.get(f"/api/artifacts/{draft.pk}/restorations").status_code == 404


# ------------------------------------------------------------------ admin


def test_admin_actions_queue_review_and_show_regions(curator, educator, media_root) -> None:
    from django.test import Client

    artifact, _ = artifact_with_condition()
    client = Client()
    client.force_login(curator)
    response = client.post(
        "/admin/exhibits/artifact/",
        {"action": "restore_surfaces_action", "_selected_action": [artifact.pk]},
        follow=True,
    )
    assert response.status_code == 200
    [queued] = RestorationJob.objects.filter(artifact=artifact)
    assert queued.status == "queued" and queued.requested_by == curator
    job = rs.run_restoration_job(job_id=queued.pk)
    page = client.get(f"/admin/restoration/restorationjob/{job.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert job.restored_model.file.name.rsplit("/", 1)[-1] in html
    assert job.regions.get().method in html  # the regions inline
    assert client.get("/admin/restoration/restorationjob/").status_code == 200
    client.post(
        "/admin/restoration/restorationjob/",
        {"action": "accept_action", "_selected_action": [job.pk]},
    )
    job.refresh_from_db()
    assert job.review == "accepted" and job.reviewed_by == curator
    other = Client()
    other.force_login(educator)
    other.post(
        "/admin/exhibits/artifact/",
        {"action": "restore_shape_action", "_selected_action": [artifact.pk]},
    )
    assert not RestorationJob.objects.filter(kind="shape").exists()


def test_artifact_page_has_the_panel_and_curator_tools_only_for_curators(
    curator, media_root
) -> None:
    from django.test import Client

    from exhibits.collection.services import set_source_public

    artifact, _ = artifact_with_condition()
    no_model = Client().get(f"/artifacts/{artifact.pk}/").content.decode()
    assert 'id="restoration-panel"' not in no_model  # its only model is a private source
    set_source_public(assets=artifact.assets.all(), public=True)
    visitor = Client().get(f"/artifacts/{artifact.pk}/").content.decode()
    assert 'id="restoration-panel"' in visitor and 'id="restoration-divider"' in visitor
    assert f"/api/artifacts/{artifact.pk}/restorations" in visitor
    assert "data-restore-kind" not in visitor and "data-review" not in visitor
    client = Client()
    client.force_login(curator)
    page = client.get(f"/artifacts/{artifact.pk}/").content.decode()
    assert 'data-restore-kind="surface"' in page and 'data-review="accept"' in page
    assert 'data-can-request="true"' in page and "csrfmiddlewaretoken" in page
