"""A curator's review of the detector's findings (restoration/condition/review.py): unreviewed
until reviewed, dismissed ones never reach visitors (page, API, PDF digest, files) nor the
restoration, releasing accepts what is unreviewed in the releaser's name, a mask correction marks
its class corrected; tried from every role."""

from __future__ import annotations

import pytest
from django.test import Client

from museum.media import may_fetch, media_owner
from restoration.condition import review, visibility
from restoration.models import ConditionRecord, DamageFinding
from tests.unit import test_condition_services as base
from tests.unit.test_condition_services import make_textured_artifact, run_check

tiny_model = base.tiny_model
tiny_weights = base.tiny_weights

pytestmark = pytest.mark.django_db
Review = DamageFinding.Review
ROLES = ["anonymous", "visitor", "educator", "curator", "superuser"]


@pytest.fixture
def checked(tiny_model):
    artifact = make_textured_artifact()
    job = run_check(artifact, tiny_model)
    return artifact, ConditionRecord.objects.get(job=job)


def test_findings_start_unreviewed_and_release_accepts_them_in_the_releasers_name(
    checked, curator
) -> None:
    _, record = checked
    assert set(record.findings.values_list("review", flat=True)) == {Review.UNREVIEWED}
    visibility.set_released(
        records=ConditionRecord.objects.filter(pk=record.pk), released=True, by=curator
    )
    for finding in record.findings.all():
        assert finding.review == Review.ACCEPTED and finding.reviewed_by == curator


def released_with_a_dismissal(record, curator) -> DamageFinding:
    visibility.set_released(
        records=ConditionRecord.objects.filter(pk=record.pk), released=True, by=curator
    )
    fading = record.findings.get(damage_class="fading")
    return review.review_finding(finding=fading, decision=Review.DISMISSED, by=curator)


@pytest.mark.parametrize("role", ROLES)
def test_a_dismissed_finding_is_staff_only_everywhere(checked, curator, make_user, role) -> None:
    artifact, record = checked
    fading = released_with_a_dismissal(record, curator)
    user = curator if role == "curator" else make_user(role)
    staff = role in ("curator", "superuser")  # educators read condition as visitors do
    client = Client()
    if user is not None:
        client.force_login(user)
    page = client.get(f"/artifacts/{artifact.pk}/condition/").content.decode()
    api = client.get(f"/api/artifacts/{artifact.pk}/condition").json()
    classes = {f["damage_class"] for r in api["records"] for f in r["findings"]}
    assert ("fading" in classes) is staff
    assert ('data-class="fading"' in page) is staff
    assert ('data-class="crack"' in page) and "crack" in classes  # accepted: shown to everyone
    # Its files too, and the combined overlay that would still show it.
    owner = media_owner(fading.mask.name)
    assert owner is not None and may_fetch(owner, user) is staff
    assert (record.overlay.url in page) is staff


def test_only_those_who_review_may_review(checked, make_user) -> None:
    artifact, record = checked
    finding = record.findings.get(damage_class="crack")
    for role in ("anonymous", "visitor", "educator"):
        client = Client()
        if (user := make_user(role)) is not None:
            client.force_login(user)
        response = client.post(
            f"/artifacts/{artifact.pk}/condition/",
            {"action": "review", "finding": finding.pk, "decision": "dismissed"},
        )
        assert response.status_code in (302, 403, 404)
        finding.refresh_from_db()
        assert finding.review == Review.UNREVIEWED, role


def test_a_curator_reviews_from_the_report_page_and_bad_input_changes_nothing(
    checked, curator
) -> None:
    artifact, record = checked
    client = Client()
    client.force_login(curator)
    finding = record.findings.get(damage_class="loss")
    url = f"/artifacts/{artifact.pk}/condition/"
    bad = client.post(
        url, {"action": "review", "finding": finding.pk, "decision": "burn"}, follow=True
    )
    assert "can be accepted, dismissed" in bad.content.decode()
    finding.refresh_from_db()
    assert finding.review == Review.UNREVIEWED
    client.post(url, {"action": "review", "finding": finding.pk, "decision": "dismissed"})
    finding.refresh_from_db()
    assert finding.review == Review.DISMISSED and finding.reviewed_by == curator
    page = client.get(url).content.decode()
    assert 'data-review="dismissed"' in page
    # Another artifact's finding is not reachable through this page.
    other = make_textured_artifact()
    assert (
        client.post(
            f"/artifacts/{other.pk}/condition/",
            {"action": "review", "finding": finding.pk, "decision": "accepted"},
        ).status_code
        == 404
    )


def test_a_mask_correction_marks_its_class_corrected(checked, curator) -> None:
    from restoration.condition.corrections import save_mask_correction
    from tests.unit.test_condition_api import png

    _, record = checked
    save_mask_correction(
        record=record, damage_class="crack", data=png(record.width_px, record.height_px),
        author=curator,
    )  # fmt: skip
    assert record.findings.get(damage_class="crack").review == Review.CORRECTED
    assert record.findings.get(damage_class="loss").review == Review.UNREVIEWED


def test_a_dismissed_class_is_not_restored(checked, curator) -> None:
    from restoration.restore.runs import _damage_masks

    _, record = checked
    released_with_a_dismissal(record, curator)
    before = set(_damage_masks(record, record.width_px, record.height_px))
    review.review_finding(
        finding=record.findings.get(damage_class="loss"), decision=Review.DISMISSED, by=curator
    )
    after = set(_damage_masks(record, record.width_px, record.height_px))
    assert "loss" in before and "loss" not in after


def test_a_second_check_reports_the_colour_change_since_the_first(tiny_model, curator) -> None:
    from PIL import Image

    from restoration.damage import load_image

    artifact = make_textured_artifact()
    first = ConditionRecord.objects.get(job=run_check(artifact, tiny_model))
    second = ConditionRecord.objects.get(job=run_check(artifact, tiny_model))
    assert second.summary["change"]["identical"] is True  # the same texture: nothing changed
    # The earlier capture differed: its left half was darker (the object has faded since).
    with first.texture.open("rb") as handle:
        earlier = load_image(handle.read())
    earlier[:, : earlier.shape[1] // 2] = (earlier[:, : earlier.shape[1] // 2] * 0.6).astype(
        "uint8"
    )
    with first.texture.open("wb") as handle:
        Image.fromarray(earlier).save(handle, format="JPEG", quality=95)
    ConditionRecord.objects.filter(pk=first.pk).update(texture_key="")
    ConditionRecord.objects.filter(pk=second.pk).delete()
    third = ConditionRecord.objects.get(job=run_check(artifact, tiny_model))
    change = third.summary["change"]
    assert change["since_record"] == first.pk and change["method"] == "same_layout"
    assert change["visible_share"] == pytest.approx(0.5, abs=0.1)
    assert third.change_map and third.change_map.size > 0
    client = Client()
    client.force_login(curator)
    page = client.get(f"/artifacts/{artifact.pk}/condition/").content.decode()
    assert "Change since the previous check" in page and third.change_map.url in page
