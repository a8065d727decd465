"""Who sees what in the collection API.

Writes are governed by Django model permissions (the curator group holds them). Reads are open,
but drafts are visible only to users who hold the model's `view` permission (curators, and
educators preparing tours, as in the admin); everyone else sees published content only.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db.models import QuerySet
from rest_framework.permissions import DjangoModelPermissions

from exhibits.models import Annotation, Artifact, Asset, Exhibition

User = AuthUser | AnonymousUser


def sees_drafts(user: User, model: str) -> bool:
    """Whether `user` may read unpublished `exhibits.<model>` records."""
    return bool(user.is_authenticated and user.has_perm(f"exhibits.view_{model}"))


def visible_artifacts(user: User) -> QuerySet[Artifact]:
    """Artifacts `user` may read: all with the view permission, else the published ones."""
    if sees_drafts(user, "artifact"):
        return Artifact.objects.all()
    return Artifact.objects.published()


def visible_exhibitions(user: User) -> QuerySet[Exhibition]:
    if sees_drafts(user, "exhibition"):
        return Exhibition.objects.all()
    return Exhibition.objects.published()


def visible_assets(user: User) -> QuerySet[Asset]:
    """Assets of the artifacts `user` may read."""
    return Asset.objects.filter(artifact__in=visible_artifacts(user))


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
