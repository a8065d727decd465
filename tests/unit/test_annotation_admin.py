"""The annotation form (#22 item 2): a 3D editor above typed [x, y, z] fields, which stay as
the fallback and are validated."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from exhibits.models import Annotation
from tests.unit.factories import make_annotation, make_artifact

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator_client(curator) -> Client:
    client = Client()
    client.force_login(curator)
    return client


def _post(client: Client, artifact, **vectors: str):
    data = {
        "artifact": artifact.pk,
        "title": "Chip on the rim",
        "order": 0,
        "text": "",
        "position": "[0.1, 0.2, 0.3]",
        "normal": "[0, 1, 0]",
        "camera_position": "[0, 0.5, 2]",
        "camera_target": "[0, 0.2, 0]",
        **vectors,
    }
    return client.post(reverse("admin:exhibits_annotation_add"), data)


def test_the_form_carries_the_3d_editor(curator_client) -> None:
    annotation = make_annotation(make_artifact())
    html = curator_client.get(
        reverse("admin:exhibits_annotation_change", args=[annotation.pk])
    ).content.decode()
    assert 'id="annotation-editor-canvas"' in html
    assert "Save this view" in html and "js/pages/annotation-editor.js" in html
    assert '<script type="importmap">' in html
    config = html.split('id="annotation-editor-config" type="application/json">')[1]
    config = json.loads(config.split("</script>")[0])
    assert config["annotationId"] == annotation.pk
    assert config["artifactApi"] == "/api/artifacts/{id}/"


def test_a_new_annotation_starts_with_empty_fields_not_null(curator_client) -> None:
    html = curator_client.get(reverse("admin:exhibits_annotation_add")).content.decode()
    assert ">null</textarea>" not in html and ">[]</textarea>" not in html


def test_typed_vectors_still_save(curator_client) -> None:
    artifact = make_artifact()
    response = _post(curator_client, artifact)
    assert response.status_code == 302, response.content.decode()[:3000]
    annotation = Annotation.objects.get(artifact=artifact)
    assert annotation.position == [0.1, 0.2, 0.3] and annotation.normal == [0, 1, 0]


def test_without_a_normal_it_saves_as_none(curator_client) -> None:
    artifact = make_artifact()
    assert _post(curator_client, artifact, normal="").status_code == 302
    assert Annotation.objects.get(artifact=artifact).normal == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("position", "[1, 2]", "Expected a list of three numbers"),
        ("position", '["1", 2, 3]', "Expected a list of three numbers"),
        ("position", "[NaN, 0, 0]", "Expected a list of three numbers"),
        ("position", "", "Expected a list of three numbers"),
        ("normal", "[0, 0, 0]", "A normal needs a direction"),
        ("camera_target", "[0, 0.5, 2]", "The camera must look at a point away from itself"),
        ("camera_position", "not json", "Enter a valid JSON"),
    ],
)
def test_bad_typed_vectors_are_refused(curator_client, field, value, message) -> None:
    artifact = make_artifact()
    response = _post(curator_client, artifact, **{field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Annotation.objects.exists()
