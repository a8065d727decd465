"""Visitors read plain words on the condition report and the artifact page's damage panel; the
model version and the explanation method are for staff only (issue #22, item 9)."""

from __future__ import annotations

import pytest
from django.test import Client

from restoration.condition import visibility
from restoration.models import ConditionRecord
from tests.unit import test_condition_services as base
from tests.unit.test_condition_services import make_textured_artifact, run_check

tiny_model = base.tiny_model
tiny_weights = base.tiny_weights

pytestmark = pytest.mark.django_db
ENGINEERING = ("Grad-CAM", "Model version", "Explanation method", "damage-model-version")


@pytest.fixture
def released(tiny_model):
    """A published, checked artifact whose condition record visitors may read."""
    artifact = make_textured_artifact()
    job = run_check(artifact, tiny_model)
    records = ConditionRecord.objects.filter(job=job)
    visibility.set_released(records=records, released=True)
    return artifact, records.get()


def pages(client: Client, artifact) -> dict[str, str]:
    return {
        "report": client.get(f"/artifacts/{artifact.pk}/condition/").content.decode(),
        "artifact": client.get(f"/artifacts/{artifact.pk}/").content.decode(),
    }


def test_visitors_read_plain_words(released) -> None:
    artifact, record = released
    for name, html in pages(Client(), artifact).items():
        for word in (*ENGINEERING, record.model_version):
            assert word not in html, f"{word!r} on the visitor's {name} page"
    report = pages(Client(), artifact)["report"]
    assert "Where the check looked for cracks" in report
    assert "Technical details" not in report


@pytest.mark.parametrize("role", ["curator", "educator", "superuser"])
def test_staff_see_the_technical_details(released, make_user, role) -> None:
    artifact, record = released
    client = Client()
    client.force_login(make_user(role))
    got = pages(client, artifact)
    assert 'id="condition-technical"' in got["report"]
    assert record.model_version in got["report"] and "Grad-CAM" in got["report"]
    if "viewer-config" in got["artifact"]:  # the test scan is a private source: not educators'
        assert 'id="damage-model-version"' in got["artifact"] and "(Grad-CAM)" in got["artifact"]
    else:
        assert role == "educator"


def test_a_signed_in_visitor_who_is_not_staff_reads_plain_words(released, django_user_model):
    artifact, record = released
    client = Client()
    client.force_login(django_user_model.objects.create_user("friend", "f@example.org", None))
    for html in pages(client, artifact).values():
        assert record.model_version not in html and "Grad-CAM" not in html
