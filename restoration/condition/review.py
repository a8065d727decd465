"""A curator's review of the detector's findings (issue #18): accept, correct or dismiss each class.

Findings start "unreviewed". Visitors see only released records (visibility.py), and of those only
the findings a curator accepted or corrected; a dismissed finding (not damage) is kept for staff
and for training, never shown to visitors nor restored. Releasing a record is the curator's
acceptance of the findings still unreviewed on it, recorded in their name. Saving a mask
correction of a class marks that class's finding "corrected".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from restoration.condition.models import ConditionRecord, DamageFinding

Review = DamageFinding.Review
SHOWN_TO_VISITORS = (Review.ACCEPTED, Review.CORRECTED)
DECISIONS = (Review.ACCEPTED, Review.DISMISSED, Review.UNREVIEWED)


def review_finding(*, finding: DamageFinding, decision: str, by: Any) -> DamageFinding:
    """Record a curator's decision on one finding ("corrected" comes from a mask correction)."""
    if decision not in DECISIONS:
        raise ValidationError(
            _("A finding can be accepted, dismissed or set back to not reviewed."), code="decision"
        )
    with transaction.atomic():
        locked = DamageFinding.objects.select_for_update().get(pk=finding.pk)
        locked.review = decision
        locked.reviewed_by = by if decision != Review.UNREVIEWED else None
        locked.reviewed_at = timezone.now() if decision != Review.UNREVIEWED else None
        locked.save(update_fields=["review", "reviewed_by", "reviewed_at"])
    return locked


def mark_corrected(*, record: ConditionRecord, damage_class: str, by: Any) -> int:
    """A curator drew a corrected mask of `damage_class` on `record`'s texture."""
    with transaction.atomic():
        return DamageFinding.objects.filter(record=record, damage_class=damage_class).update(
            review=Review.CORRECTED, reviewed_by=by, reviewed_at=timezone.now()
        )


def accept_unreviewed(*, records: QuerySet[ConditionRecord], by: Any) -> int:
    """Releasing records accepts what is still unreviewed on them, in the releaser's name."""
    with transaction.atomic():
        return DamageFinding.objects.filter(record__in=records, review=Review.UNREVIEWED).update(
            review=Review.ACCEPTED, reviewed_by=by, reviewed_at=timezone.now()
        )


def shown_findings(findings: Iterable[DamageFinding], *, staff: bool) -> list[DamageFinding]:
    """The findings a reader sees: all for staff, accepted and corrected ones for visitors."""
    return [f for f in findings if staff or f.review in SHOWN_TO_VISITORS]
