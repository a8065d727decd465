"""Tag suggestions from nearest neighbours, stored idempotently, decided in the admin."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse

from exhibits.curation import services as curation_services
from exhibits.curation import tagging
from exhibits.models import TagSuggestion
from tests.unit.factories import make_artifact

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:exhibits_tagsuggestion_changelist"


def test_core_vote_confidence_and_evidence() -> None:
    labelled = [
        tagging.Labelled(1, "A.1", "Bowl", "Ceramics"),
        tagging.Labelled(2, "A.2", "Jar", "Ceramics"),
        tagging.Labelled(3, "A.3", "Sword", "Arms & Armor"),
    ]
    vectors = np.array([[1, 0], [0.8, 0.6], [0, 1]], dtype=np.float32)
    target = np.array([[1, 0]], dtype=np.float32)
    [suggestion] = tagging.suggest("classification", [9], target, labelled, vectors, k=3)
    assert suggestion.value == "Ceramics"
    assert suggestion.confidence == pytest.approx(1.0)  # the sword's similarity is 0: no vote
    assert [e["object_number"] for e in suggestion.evidence] == ["A.1", "A.2"]
    assert suggestion.evidence[1] == {
        "object_number": "A.2",
        "title": "Jar",
        "similarity": 0.8,
        "value": "Ceramics",
    }
    # A labelled artifact never votes for itself.
    assert tagging.suggest("classification", [1], target, labelled[:1], vectors[:1]) == []


@pytest.fixture
def collection() -> dict:
    bowls = [
        make_artifact(
            title=f"Glazed earthenware bowl {i}",
            object_name="bowls",
            classification="Ceramics",
            materials="glazed earthenware",
        )
        for i in range(5)
    ]
    guards = [
        make_artifact(
            title=f"Sword guard tsuba with dragons {i}",
            object_name="tsubas",
            classification="Arms & Armor",
            materials="iron and gold",
        )
        for i in range(5)
    ]
    target = make_artifact(title="Earthenware bowl, glazed", object_name="bowls", materials="")
    return {"bowls": bowls, "guards": guards, "target": target}


def test_suggestions_where_neighbours_agree(collection) -> None:
    pending = curation_services.suggest_tags(k=10)
    target = collection["target"]
    classification = TagSuggestion.objects.get(artifact=target, field="classification")
    assert classification.value == "Ceramics"
    assert classification.confidence >= 0.7
    numbers = [e["object_number"] for e in classification.evidence]
    assert set(numbers[:5]) == {a.object_number for a in collection["bowls"]}
    assert classification.evidence[0]["value"] == "Ceramics"
    assert classification.evidence[0]["similarity"] >= classification.evidence[-1]["similarity"]
    materials = TagSuggestion.objects.filter(artifact=target, field="materials")
    assert "earthenware" in set(materials.values_list("value", flat=True))
    assert pending == TagSuggestion.objects.count()
    # Idempotent: running again keeps the same rows, no duplicates.
    ids = set(TagSuggestion.objects.values_list("pk", flat=True))
    assert curation_services.suggest_tags(k=10) == pending
    assert set(TagSuggestion.objects.values_list("pk", flat=True)) == ids
    # An artifact given a value by hand loses its pending suggestions for it.
    target.classification = "Ceramics"
    target.save()
    curation_services.suggest_tags(k=10)
    assert not TagSuggestion.objects.filter(artifact=target, field="classification").exists()


def test_accept_and_reject_through_the_admin(client, curator, collection) -> None:
    curation_services.suggest_tags(k=10)
    target = collection["target"]
    client.force_login(curator)
    classification = TagSuggestion.objects.get(artifact=target, field="classification")
    material = TagSuggestion.objects.get(artifact=target, field="materials", value="earthenware")
    page = client.get(reverse("admin:exhibits_tagsuggestion_change", args=[classification.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert collection["bowls"][0].object_number in html and "<table>" in html

    response = client.post(
        reverse(CHANGELIST),
        {"action": "accept_suggestions", "_selected_action": [classification.pk]},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    classification.refresh_from_db()
    assert target.classification == "Ceramics"
    assert classification.status == TagSuggestion.Status.ACCEPTED
    assert classification.decided_by == curator and classification.decided_at is not None

    client.post(
        reverse(CHANGELIST), {"action": "reject_suggestions", "_selected_action": [material.pk]}
    )
    material.refresh_from_db()
    target.refresh_from_db()
    assert material.status == TagSuggestion.Status.REJECTED and material.decided_by == curator
    assert target.materials == ""
    # Decided suggestions stay decided; a rejected value is not suggested again.
    curation_services.suggest_tags(k=10)
    assert not TagSuggestion.objects.filter(
        artifact=target, value="earthenware", status=TagSuggestion.Status.PENDING
    ).exists()
    again = client.post(
        reverse(CHANGELIST), {"action": "accept_suggestions", "_selected_action": [material.pk]}
    )
    assert again.status_code == 302
    material.refresh_from_db()
    assert material.status == TagSuggestion.Status.REJECTED


def test_accepting_a_material_appends_it(curator) -> None:
    artifact = make_artifact(title="Cup", materials="silver")
    suggestion = TagSuggestion.objects.create(
        artifact=artifact, field="materials", value="gold", confidence=0.8
    )
    curation_services.accept_tag_suggestion(suggestion=suggestion, user=curator)
    artifact.refresh_from_db()
    assert artifact.materials == "silver, gold"


def test_command_refreshes_embeddings_and_suggests(collection) -> None:
    out = io.StringIO()
    call_command("refresh_embeddings", "--suggest-tags", stdout=out)
    assert "11 embeddings checked with hashing-64" in out.getvalue()
    assert "tag suggestions pending review" in out.getvalue()
    assert TagSuggestion.objects.filter(artifact=collection["target"]).exists()


def test_visitors_cannot_open_the_suggestions_admin(client, make_user) -> None:
    client.force_login(make_user("educator"))
    assert client.get(reverse(CHANGELIST)).status_code == 403
