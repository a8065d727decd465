"""Review decisions are a history (RestorationReview), job.review is the latest one, and the
method bandit learns from each job's first accept or reject only. Accepting or rejecting again
and again neither re-teaches the bandit nor loses who decided before. Shown in the API (to
curators) and the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from restoration.models import MethodPreference, RestorationJob, RestorationReview
from restoration.restore import preferences
from restoration.restore import services as rs
from tests.unit.test_restoration_jobs import artifact_with_condition, run

pytestmark = pytest.mark.django_db


def bandit_state() -> tuple[int, dict]:
    row = MethodPreference.objects.get(kind="surface")
    return row.reviews, row.state


def test_each_decision_is_recorded_and_the_bandit_learns_once(
    media_root, curator, make_user
) -> None:
    other = make_user("superuser")
    artifact, _ = artifact_with_condition()
    job = run(artifact)
    rs.accept_restoration(job=job, user=curator, note="clean fill")
    learnt = bandit_state()
    assert learnt[0] == 1
    telea = preferences.load_bandit("surface").expected("crack", "other")["telea"]
    # Again and again: the same decision changes nothing, a change is recorded, never re-learnt.
    rs.accept_restoration(job=job, user=other, note="me too")
    rs.reject_restoration(job=job, user=other, note="seam visible")
    rs.reject_restoration(job=job, user=other)
    rs.accept_restoration(job=job, user=curator, note="seam is in the scan")
    assert bandit_state() == learnt
    assert preferences.load_bandit("surface").expected("crack", "other")["telea"] == telea
    history = list(job.reviews.order_by("at", "pk"))
    assert [(r.decision, r.user, r.note, r.taught_bandit) for r in history] == [
        ("accepted", curator, "clean fill", True),
        ("rejected", other, "seam visible", False),
        ("accepted", curator, "seam is in the scan", False),
    ]
    job.refresh_from_db()
    assert job.review == "accepted" and job.reviewed_by == curator
    assert job.review_note == "seam is in the scan" and job.reviewed_at == history[-1].at


def test_a_first_rejection_teaches_and_a_later_acceptance_does_not(media_root, curator) -> None:
    artifact, _ = artifact_with_condition()
    job = run(artifact)
    rs.reject_restoration(job=job, user=curator)
    rejected = preferences.load_bandit("surface").expected("crack", "other")["telea"]
    rs.accept_restoration(job=job, user=curator)
    assert preferences.load_bandit("surface").expected("crack", "other")["telea"] == rejected
    assert MethodPreference.objects.get(kind="surface").reviews == 1
    assert list(job.reviews.values_list("decision", "taught_bandit")) == [
        ("rejected", True),
        ("accepted", False),
    ]


def test_superseding_an_accepted_restoration_is_in_its_history(media_root, curator) -> None:
    artifact, _ = artifact_with_condition()
    first, second = run(artifact), run(artifact)
    rs.accept_restoration(job=first, user=curator)
    rs.accept_restoration(job=second, user=curator)
    assert list(first.reviews.values_list("decision", "taught_bandit")) == [
        ("accepted", True),
        ("pending", False),
    ]
    assert "Superseded" in first.reviews.last().note
    assert MethodPreference.objects.get(kind="surface").reviews == 2
    # Accepting the first again: recorded, the second goes back to pending, nothing re-learnt.
    rs.accept_restoration(job=first, user=curator)
    assert MethodPreference.objects.get(kind="surface").reviews == 2
    assert RestorationReview.objects.filter(taught_bandit=True).count() == 2
    second.refresh_from_db()
    assert second.review == "pending"


def test_the_api_shows_the_history_to_curators_only(media_root, curator, api_client_for) -> None:
    artifact, _ = artifact_with_condition()
    job = run(artifact)
    client = APIClient()
    client.force_login(curator)
    accept = reverse("restoration:api-accept", args=[job.pk])
    reject = reverse("restoration:api-reject", args=[job.pk])
    assert client.post(accept, {"note": "good"}, format="json").status_code == 200
    assert client.post(reject, {"note": "not good"}, format="json").status_code == 200
    data = client.get(reverse("restoration:api-job", args=[job.pk])).json()
    assert [(e["decision"], e["note"], e["taught_bandit"]) for e in data["review_history"]] == [
        ("accepted", "good", True),
        ("rejected", "not good", False),
    ]
    assert all(e["user"] == "curator" and e["at"] for e in data["review_history"])
    rs.accept_restoration(job=job, user=curator)
    public = api_client_for("visitor").get(
        reverse("restoration:api-restorations", args=[artifact.pk])
    )
    assert public.status_code == 200
    assert all("review_history" not in item for item in public.json()["restorations"])


def test_the_admin_shows_the_history(media_root, curator, client) -> None:
    artifact, _ = artifact_with_condition()
    job = run(artifact)
    rs.accept_restoration(job=job, user=curator, note="looks right")
    rs.reject_restoration(job=job, user=curator, note="on second look")
    client.force_login(curator)
    page = client.get(reverse("admin:restoration_restorationjob_change", args=[job.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "review history" in text.lower()
    assert "looks right" in text and "on second look" in text


def test_a_job_is_reviewed_only_when_done(media_root, curator) -> None:
    artifact, _ = artifact_with_condition()
    queued = rs.request_restoration(artifact=artifact, kind="surface")
    with pytest.raises(Exception, match="Only a finished restoration"):
        rs.accept_restoration(job=queued, user=curator)
    assert not RestorationReview.objects.exists()
    assert RestorationJob.objects.get(pk=queued.pk).review == "pending"
