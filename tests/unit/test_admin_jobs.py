"""Curators follow intake progress live in the admin; the API shows the same job."""

from __future__ import annotations

import pytest
from django.urls import reverse

from exhibits.collection import services
from exhibits.models import Job
from tests.unit.factories import make_artifact, make_source

pytestmark = pytest.mark.django_db


def test_artifact_page_shows_a_live_progress_bar_for_a_running_job(client, make_user) -> None:
    artifact = make_artifact()
    job = services.start_job(kind="intake", artifact=artifact, input_asset=make_source(artifact))
    services.mark_job(job, status=Job.Status.RUNNING, progress=40, stage="building levels")
    client.force_login(make_user("curator"))
    html = client.get(reverse("admin:exhibits_artifact_change", args=[artifact.pk])).content
    html = html.decode()
    assert f'data-job-url="/api/jobs/{job.pk}/"' in html
    assert 'data-live="1"' in html and 'value="40"' in html
    assert "js/pages/admin-job-progress.js" in html
    api = client.get(f"/api/jobs/{job.pk}/").json()
    assert (api["status"], api["progress"], api["stage"]) == ("running", 40, "building levels")


def test_finished_job_is_not_polled(client, make_user) -> None:
    artifact = make_artifact()
    job = services.start_job(kind="intake", artifact=artifact, input_asset=make_source(artifact))
    services.mark_job(job, status=Job.Status.DONE, progress=100, stage="done")
    client.force_login(make_user("curator"))
    html = client.get(reverse("admin:exhibits_job_change", args=[job.pk])).content.decode()
    assert 'data-live=""' in html and 'value="100"' in html
