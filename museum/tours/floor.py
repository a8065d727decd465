"""Who may speak in a live tour besides its guides: the one follower the guide gives the floor to.

Stored on the LiveTour (`floor_member`) so that every ASGI process agrees; the tour consumer
publishes the change to the session's group (museum/realtime/voice.py). Each service is one
transaction; the guide's authority is checked here, as for the tour's other controls.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from museum.models import LiveTour, TourQuestion
from museum.tours.services import _live_session_for_guide, hands_queue


def floor_of(code: str) -> str | None:
    """The member id holding the floor of session `code`, None when nobody does."""
    value = LiveTour.objects.filter(code=code.upper()).values_list("floor_member", flat=True)
    return value.first() or None


@transaction.atomic
def give_floor(*, code: str, user: Any, member_id: str | None) -> dict[str, Any]:
    """The guide gives the floor to `member_id` (their raised hand is lowered) or, with None,
    takes it back. Returns the `floor` event: the holder and the hands queue."""
    session = _live_session_for_guide(code, user)
    session = LiveTour.objects.select_for_update().get(pk=session.pk)
    session.floor_member = member_id or ""
    session.save(update_fields=["floor_member"])
    if member_id:
        session.requests.filter(
            kind=TourQuestion.Kind.HAND, status=TourQuestion.Status.OPEN, member_id=member_id
        ).update(status=TourQuestion.Status.LOWERED)
    return {"kind": "floor", "floor": member_id, "hands": hands_queue(session)}


@transaction.atomic
def release_floor(*, code: str, member_id: str) -> bool:
    """The floor holder left (or the tour ended): nobody holds it any more. True when
    `member_id` held it (the caller then publishes the change)."""
    cleared = LiveTour.objects.filter(code=code.upper(), floor_member=member_id).update(
        floor_member=""
    )
    return cleared > 0
