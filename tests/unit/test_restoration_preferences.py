"""Curators' reviews teach the method bandit (stored in the database), planned restorations
consult it; a job whose worker died is claimed again after the hard time limit."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.conf import settings
from django.utils import timezone

from restoration.models import MethodPreference, RestorationJob, RestoredRegion
from restoration.restore import preferences
from restoration.restore import services as rs
from restoration.restore.method_bandit import MATERIALS, TEXTURE_CLASSES, MethodBandit
from tests.unit.test_restoration_jobs import artifact_with_condition, run

pytestmark = pytest.mark.django_db


def test_reviews_are_learnt_per_region_and_survive_a_reload(media_root, curator) -> None:
    artifact, _ = artifact_with_condition()
    artifact.materials = "Carrara marble"
    artifact.save()
    accepted, rejected = run(artifact), run(artifact, method="ns")
    rs.accept_restoration(job=accepted, user=curator)
    rs.reject_restoration(job=rejected, user=curator)
    row = MethodPreference.objects.get(kind="surface")
    assert row.reviews == 2
    bandit = preferences.load_bandit("surface")
    expected = bandit.expected("crack", "stone")
    assert expected["telea"] > 0 > expected["ns"] - 1e-9
    assert expected["telea"] > expected["ns"]
    # Another material shares the class's evidence but less of it.
    assert bandit.expected("crack", "metal")["telea"] < expected["telea"]


def test_the_bandit_steers_planned_restorations_only_among_near_best(media_root, curator) -> None:
    artifact, _ = artifact_with_condition()
    assert preferences.texture_preference(materials="", damage_class="crack") is None
    for _ in range(6):  # curators keep accepting Navier-Stokes and rejecting Telea
        rs.accept_restoration(job=run(artifact, method="ns"), user=curator)
        rs.reject_restoration(job=run(artifact, method="telea"), user=curator)
    prefer = preferences.texture_preference(materials="", damage_class="crack")
    assert prefer is not None and prefer(["telea", "ns"]) == "ns"
    planned = run(artifact, method="plan")
    assert planned.status == RestorationJob.Status.DONE, planned.error
    region = planned.regions.get()
    scores = {c["method"]: c["score"] for c in region.candidates}
    assert scores[region.method] >= max(scores.values()) - 0.05
    if scores["ns"] >= max(scores.values()) - 0.05:
        assert region.method == "ns"


def test_unknown_methods_and_old_state_do_not_break_learning(media_root, curator) -> None:
    artifact, _ = artifact_with_condition()
    job = run(artifact)
    RestoredRegion.objects.filter(job=job).update(method="someone-else's")
    MethodPreference.objects.create(kind="surface", state={"methods": ["x"]})
    assert preferences.record_review(job=job, accepted=True) == 0
    assert preferences.load_bandit("surface").methods == ["gated", "telea", "ns", "biharmonic"]


def test_a_method_added_to_the_planner_keeps_what_curators_taught_the_others() -> None:
    old = MethodBandit(["telea", "ns"], TEXTURE_CLASSES, MATERIALS)
    for _ in range(5):
        old.update("crack", "stone", "ns", 1.0)
        old.update("crack", "stone", "telea", 0.0)
    MethodPreference.objects.create(kind="surface", state=old.to_state())
    bandit = preferences.load_bandit("surface")
    assert bandit.methods == ["gated", "telea", "ns", "biharmonic"]
    taught = bandit.expected("crack", "stone")
    assert taught["ns"] == pytest.approx(old.expected("crack", "stone")["ns"])
    assert taught["ns"] > 0.5
    assert taught["gated"] == 0.0 and taught["telea"] == 0.0  # fresh / taught 0: both zero
    assert np.allclose(bandit.a["telea"], old.a["telea"])  # the rejections are kept too


def test_a_running_job_is_claimed_again_only_after_the_hard_limit(media_root) -> None:
    artifact, _ = artifact_with_condition()
    job = rs.request_restoration(artifact=artifact, kind="surface", options={"method": "telea"})
    RestorationJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())
    assert rs.run_restoration_job(job_id=job.pk).status == "running"  # a live duplicate: no-op
    long_ago = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    RestorationJob.objects.filter(pk=job.pk).update(started_at=long_ago)
    done = rs.run_restoration_job(job_id=job.pk)
    assert done.status == "done", done.error
    assert done.restored_texture is not None and np.isfinite(done.regions.get().score)
