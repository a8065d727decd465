"""The app's models, defined in their domains (condition, restore) and re-exported here so
Django registers them under the `restoration` label."""

from restoration.condition.models import (
    DAMAGE_CLASS_CHOICES,
    ConditionRecord,
    DamageFinding,
    MaskCorrection,
    condition_upload_to,  # named by migrations
)
from restoration.restore.models import (
    MethodPreference,
    RestorationJob,
    RestorationReview,
    RestoredRegion,
)

__all__ = [
    "DAMAGE_CLASS_CHOICES",
    "ConditionRecord",
    "DamageFinding",
    "MaskCorrection",
    "MethodPreference",
    "RestorationJob",
    "RestorationReview",
    "RestoredRegion",
    "condition_upload_to",
]
