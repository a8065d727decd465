"""Who sees condition material, and the curator's decision to release it (issue #16).

A condition record (its texture, probability map, Grad-CAM and overlay, and its findings'
masks) reaches visitors only once a curator released it and while its artifact is published;
curators' mask corrections never do. Users with `restoration.view_conditionrecord` (curators)
see every record, `restoration.view_maskcorrection` every correction. Of a released record,
visitors see the findings a curator accepted or corrected (review.py)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet

from exhibits.collection.visibility import has_view_permission
from exhibits.models import PublicationStatus
from restoration.condition import review
from restoration.condition.models import ConditionRecord, DamageFinding


def sees_unreleased(user: object) -> bool:
    return has_view_permission(user, "restoration.view_conditionrecord")


def sees_corrections(user: object) -> bool:
    return has_view_permission(user, "restoration.view_maskcorrection")


def may_see_record(record: ConditionRecord, user: object) -> bool:
    """Whether `user` may see `record` and its findings' files."""
    if sees_unreleased(user):
        return True
    return record.released and record.artifact.status == PublicationStatus.PUBLISHED


def visible_records(records: Iterable[ConditionRecord], user: object) -> list[ConditionRecord]:
    return [record for record in records if may_see_record(record, user)]


def may_see_finding(finding: DamageFinding, user: object) -> bool:
    """Whether `user` may see `finding` and its files: staff always; visitors once its record is
    released and a curator accepted or corrected it (review.py)."""
    if sees_unreleased(user):
        return True
    return may_see_record(finding.record, user) and finding.review in review.SHOWN_TO_VISITORS


def visible_findings(record: ConditionRecord, user: object) -> list[DamageFinding]:
    return review.shown_findings(record.findings.all(), staff=sees_unreleased(user))


def set_released(*, records: QuerySet[ConditionRecord], released: bool, by: object = None) -> int:
    """Release condition records to visitors (or withdraw them); returns how many changed.
    Releasing accepts the findings still unreviewed on them, in `by`'s name."""
    with transaction.atomic():
        if released:
            review.accept_unreviewed(records=records, by=by)
        return records.exclude(released=released).update(released=released)
