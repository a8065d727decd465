"""What changed on a texture since the previous condition check (issue #18): the glue between
the condition job and the framework-free comparison (restoration/damage/change.py).

A new check of an artifact's texture is compared with the newest earlier record of the same
texture slot (same image index: the same UV layout), pixel to pixel: colour shift in ΔE00, as
figures in the record's summary and a heat map. This is how fading is measured where a reference
exists; one image alone only hints at it (the calibrated detector's "uncertain" band).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from exhibits.models import Artifact, Job
from restoration.condition import images
from restoration.models import ConditionRecord

logger = logging.getLogger(__name__)


def previous_record(*, artifact: Artifact, image_index: int, job: Job) -> ConditionRecord | None:
    """The newest record of the same texture slot from another (earlier) check."""
    return (
        ConditionRecord.objects.filter(artifact=artifact, image_index=image_index)
        .exclude(job=job)
        .order_by("-created_at", "-pk")
        .first()
    )


def change_since(
    previous: ConditionRecord, image: np.ndarray, texture_key: str
) -> tuple[dict[str, Any], bytes | None]:
    """(summary, heat-map PNG or None) of `image` against `previous`'s texture."""
    base: dict[str, Any] = {
        "since_record": previous.pk,
        "since": previous.created_at.isoformat(),
    }
    if previous.texture_key and previous.texture_key == texture_key:
        return base | {"identical": True}, None  # the very same pixels: nothing changed
    from restoration.damage import load_image
    from restoration.damage.change import compare_captures, heat_map

    try:
        with previous.texture.open("rb") as handle:
            reference = load_image(handle.read())
        result = compare_captures(reference, image, same_layout=True)
    except (OSError, ValueError) as exc:  # a missing or unreadable earlier file: say so
        logger.warning("no change map against record %s: %s", previous.pk, exc)
        return base | {"error": str(exc)[:200]}, None
    return base | result.summary(), images.encode_png(heat_map(result.delta_e))
