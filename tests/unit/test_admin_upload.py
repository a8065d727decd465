"""The admin upload (#22 item 11): the API's unit and up-axis options, a label help that does
not suggest LOD names, back to the artifact with what was queued, and a condition check that
analysed nothing shown as such."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from exhibits.models import Asset, Job
from restoration.condition import services as condition_services
from tests.unit.factories import glb_bytes, make_artifact, make_source, png_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator_client(curator) -> Client:
    client = Client()
    client.force_login(curator)
    return client


def test_upload_form_offers_unit_and_up_axis_and_no_lod_names(curator_client) -> None:
    html = curator_client.get(reverse("admin:exhibits_asset_add")).content.decode()
    assert 'name="unit"' in html and 'name="up_axis"' in html
    for unit in ("m", "cm", "mm", "in", "ft"):
        assert f'<option value="{unit}">' in html
    assert "&#x27;web&#x27;" not in html and "'inspection'" not in html


def test_upload_passes_unit_and_up_axis_to_intake_and_returns_to_the_artifact(
    curator_client,
) -> None:
    artifact = make_artifact()
    response = curator_client.post(
        reverse("admin:exhibits_asset_add"),
        {
            "artifact": artifact.pk,
            "upload": upload("vase.glb", glb_bytes()),
            "unit": "cm",
            "up_axis": "z",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("admin:exhibits_artifact_change", args=[artifact.pk])
    job = Job.objects.get(input_asset__artifact=artifact)
    assert job.options == {"unit": "cm", "up_axis": "z"}
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(m.startswith("Intake queued for “vase.glb”") for m in messages), messages
    assert not any("thumbnail job" in m for m in messages)


def test_upload_without_options_lets_intake_guess(curator_client) -> None:
    artifact = make_artifact()
    response = curator_client.post(
        reverse("admin:exhibits_asset_add"),
        {"artifact": artifact.pk, "upload": upload("vase.glb", glb_bytes()), "unit": ""},
    )
    assert response.status_code == 302
    assert Job.objects.get(input_asset__artifact=artifact).options == {}


def test_an_image_upload_says_its_intake_is_queued(curator_client) -> None:
    artifact = make_artifact()
    response = curator_client.post(
        reverse("admin:exhibits_asset_add"),
        {"artifact": artifact.pk, "upload": upload("front.png", png_bytes())},
    )
    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == [
        "Intake queued for “front.png”, an image of a flat work: web copy, thumbnail and "
        "deep-zoom tiles. Its progress shows under Jobs."
    ]


def test_an_unknown_unit_is_refused_and_nothing_is_stored(curator_client) -> None:
    artifact = make_artifact()
    response = curator_client.post(
        reverse("admin:exhibits_asset_add"),
        {"artifact": artifact.pk, "upload": upload("vase.glb", glb_bytes()), "unit": "furlong"},
    )
    assert response.status_code == 200
    assert "furlong is not one of the available choices" in response.content.decode()
    assert not Asset.objects.exists() and not Job.objects.exists()


def test_a_condition_check_that_analysed_nothing_does_not_read_done_100(curator_client) -> None:
    artifact = make_artifact()
    make_source(artifact)  # an untextured box: nothing for the damage model to look at
    job = condition_services.request_condition_check(artifact=artifact)
    job = condition_services.run_condition_job(job_id=job.pk, model=object())
    assert job.status == Job.Status.DONE and job.report["textures"] == 0
    html = curator_client.get(
        reverse("admin:exhibits_artifact_change", args=[artifact.pk])
    ).content.decode()
    assert "nothing analysed: the model has no base-colour texture" in html
    assert "100% done" not in html
    listing = curator_client.get(reverse("admin:exhibits_job_changelist")).content.decode()
    assert "nothing analysed" in listing
