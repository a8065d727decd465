"""What the planner reads of visit analytics: observed dwell per object, suppressed like the
dashboard (objects seen fewer than MOUSEION_ANALYTICS_MIN_COUNT times are not used)."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from museum.analytics.report import min_count
from museum.analytics.services import dwell_by_artifact


def observed_dwell(artifact_ids: Sequence[int]) -> dict[int, tuple[int, float]]:
    """Index in `artifact_ids` -> (views, dwell seconds); empty when the prior is turned off
    (MOUSEION_PLAN_DWELL_PRIOR) or nothing was observed."""
    if not getattr(settings, "MOUSEION_PLAN_DWELL_PRIOR", True):
        return {}
    days = int(getattr(settings, "MOUSEION_PLAN_DWELL_DAYS", 90))
    seen = dwell_by_artifact(days=days, min_count=min_count())
    return {i: seen[pk] for i, pk in enumerate(artifact_ids) if pk in seen}


def dwell_weight() -> float:
    return float(getattr(settings, "MOUSEION_PLAN_DWELL_WEIGHT", 0.5))
