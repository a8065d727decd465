"""Who sees what in the collection API.

Writes are governed by Django model permissions (the curator group holds them). Reads are open
and follow the one visibility rule (exhibits.collection.visibility, re-exported here).
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.permissions import DjangoModelPermissions

from exhibits.collection.visibility import (
    User,
    sees_drafts,
    visible_artifacts,
    visible_assets,
    visible_exhibitions,
)
from exhibits.models import Annotation

__all__ = [
    "User",
    "ViewModelPermissions",
    "sees_drafts",
    "visible_annotations",
    "visible_artifacts",
    "visible_assets",
    "visible_exhibitions",
]


def visible_annotations(user: User) -> QuerySet[Annotation]:
    """Annotations of the artifacts `user` may read."""
    return Annotation.objects.filter(artifact__in=visible_artifacts(user))


class ViewModelPermissions(DjangoModelPermissions):
    """Model permissions that also require the `view` permission to read (jobs)."""

    perms_map = DjangoModelPermissions.perms_map | {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }
