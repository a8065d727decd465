"""The one rule for who sees what of the collection (issue #16), used by the API serializers,
the pages, the IIIF and Linked Art exports, tours, the planner and the media view.

Records: drafts are read only by users holding the model's `view` permission (curators, and
educators preparing tours); everyone else reads published records. The visitor pages of a draft
(a preview, with a banner) open only for those who may change it (`page_artifacts`).

Files (assets): a visitor may fetch a file only when its artifact is published and the file is
public: a web copy (LOD, thumbnail, texture), or an asset flagged `public` (a source the curator
released, a restoration a curator accepted: restoration's review service sets the flag, so this
module needs nothing from restoration). Every other file (sources, drafts' files, pending or
rejected restorations) needs `exhibits.view_asset` (curators)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db.models import Prefetch, Q, QuerySet

from exhibits.collection.models import (
    Annotation,
    Artifact,
    Asset,
    Exhibition,
    PublicationStatus,
)

User = AuthUser | AnonymousUser

# Web copies made for visitors: public as soon as their artifact is.
WEB_KINDS = (Asset.Kind.LOD, Asset.Kind.THUMBNAIL, Asset.Kind.TEXTURE, Asset.Kind.IMAGE)


def has_view_permission(user: object, permission: str) -> bool:
    """Whether `user` (any user object, or None) is signed in and holds `permission`."""
    return bool(
        user is not None and getattr(user, "is_authenticated", False) and user.has_perm(permission)  # type: ignore[attr-defined]
    )


def sees_drafts(user: User, model: str) -> bool:
    """Whether `user` may read unpublished `exhibits.<model>` records."""
    return has_view_permission(user, f"exhibits.view_{model}")


def sees_private_files(user: object) -> bool:
    """Whether `user` may fetch every asset file (sources, drafts, unreviewed restorations)."""
    return has_view_permission(user, "exhibits.view_asset")


def visible_artifacts(user: User) -> QuerySet[Artifact]:
    """Artifacts `user` may read: all with the view permission, else the published ones."""
    if sees_drafts(user, "artifact"):
        return Artifact.objects.all()
    return Artifact.objects.published()


def visible_exhibitions(user: User) -> QuerySet[Exhibition]:
    if sees_drafts(user, "exhibition"):
        return Exhibition.objects.all()
    return Exhibition.objects.published()


def previews_drafts(user: User, model: str) -> bool:
    """Whether `user` may open the visitor page of an unpublished `exhibits.<model>` as a
    preview: those who may edit it (curators), not those who only read drafts (educators)."""
    return has_view_permission(user, f"exhibits.change_{model}")


def page_artifacts(user: User) -> QuerySet[Artifact]:
    """Artifacts whose page `user` may open: the published ones, and drafts to preview."""
    if previews_drafts(user, "artifact"):
        return Artifact.objects.all()
    return Artifact.objects.published()


def page_exhibitions(user: User) -> QuerySet[Exhibition]:
    """Exhibitions whose page `user` may open: the published ones, and drafts to preview."""
    if previews_drafts(user, "exhibition"):
        return Exhibition.objects.all()
    return Exhibition.objects.published()


def public_asset_filter(prefix: str = "") -> Q:
    """The public-file rule as a filter on Asset (`prefix` names the path to an asset, e.g.
    "restored_model__")."""
    return Q(**{f"{prefix}artifact__status": PublicationStatus.PUBLISHED}) & (
        Q(**{f"{prefix}kind__in": WEB_KINDS}) | Q(**{f"{prefix}public": True})
    )


def is_public_asset(asset: Asset, artifact: Artifact | None = None) -> bool:
    """The same rule for one loaded asset (`artifact`: its artifact, when already loaded)."""
    artifact = artifact or asset.artifact
    return artifact.status == PublicationStatus.PUBLISHED and (
        asset.kind in WEB_KINDS or asset.public
    )


def visible_assets(user: object) -> QuerySet[Asset]:
    """Assets whose files `user` may fetch (and whose rows the API lists)."""
    if sees_private_files(user):
        return Asset.objects.all()
    return Asset.objects.filter(public_asset_filter())


def may_see_asset(asset: Asset, user: object) -> bool:
    return sees_private_files(user) or is_public_asset(asset)


def may_see_annotation(annotation: Annotation, user: object) -> bool:
    """An annotation (and its medium) goes with its artifact's record: public once the artifact
    is published, else only for those who read drafts (curators, educators)."""
    return annotation.artifact.status == PublicationStatus.PUBLISHED or has_view_permission(
        user, "exhibits.view_artifact"
    )


def visible_assets_prefetch(user: object, lookup: str = "assets") -> Prefetch:
    """A prefetch of the assets `user` may see under `lookup` (e.g. "artifact__assets"), so
    builders reading `artifact.assets.all()` see only those."""
    return Prefetch(lookup, queryset=visible_assets(user))
