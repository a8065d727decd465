"""Uploaded and derived files (MEDIA_ROOT) with access control (issue #16).

Every media path maps to the one row that owns it (`media_owner`): an Asset's file, a condition
record's images, a finding's masks, a curator's mask correction, a tour stop's audio, an
annotation's medium (#23). A path no row owns answers 404, and so does a file the requesting
user may not see (`may_fetch`, which applies each domain's visibility rule): the answer never
tells a private file from a missing one.

Single profile: Django streams the file. Scaled profile (MOUSEION_MEDIA_ACCEL_PREFIX set, e.g.
"/protected-media/"): Django answers with `X-Accel-Redirect` to nginx's `internal` location of
that name, and nginx sends the bytes; nothing serves MEDIA_ROOT without this check. Media on
object storage (MOUSEION_MEDIA_STORAGE=s3): after the same check, a redirect to a presigned URL
that expires within minutes, or the object streamed through Django; every object is private."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.http import (
    Http404,
    HttpRequest,
    HttpResponseBase,
)
from django.views.decorators.http import require_safe
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from exhibits.collection.visibility import has_view_permission, may_see_annotation, may_see_asset
from exhibits.models import Annotation, Asset, PublicationStatus
from museum.media_delivery import deliver
from museum.tours.models import TourStop
from restoration.condition import visibility as condition_visibility
from restoration.models import ConditionRecord, DamageFinding, MaskCorrection

mimetypes.add_type("model/gltf-binary", ".glb")
mimetypes.add_type("model/gltf+json", ".gltf")

PUBLIC_CACHE = "public, max-age=3600"
PRIVATE_CACHE = "private, no-store"


@dataclass(frozen=True)
class MediaOwner:
    """The row that holds a media file, and the file field holding it."""

    row: models.Model
    field: str


def _first(model: type[models.Model], name: str, fields: tuple[str, ...]) -> MediaOwner | None:
    condition = Q()
    for field in fields:
        condition |= Q(**{field: name})
    row = model._default_manager.filter(condition).first()
    if row is None:
        return None
    field = next(f for f in fields if getattr(row, f).name == name)
    return MediaOwner(row, field)


# Each owner: the storage prefix its upload_to writes, the model and its file fields.
OWNERS: tuple[tuple[str, type[models.Model], tuple[str, ...]], ...] = (
    ("artifacts/", Asset, ("file",)),
    (
        "condition/",
        ConditionRecord,
        ("texture", "probability", "explanation", "overlay", "change_map"),
    ),
    ("condition/", DamageFinding, ("mask", "probability", "overlay")),
    ("condition/", MaskCorrection, ("mask",)),
    ("tours/", TourStop, ("audio",)),
    ("annotations/", Annotation, ("media",)),
)


def clean_media_name(path: str) -> str | None:
    """The storage name a /media/ path asks for, or None for anything that is not a plain
    relative name (absolute paths, `..`, backslashes, NUL, empty segments)."""
    if not path or "\x00" in path or "\\" in path or path.startswith("/"):
        return None
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    return path


def media_owner(path: str) -> MediaOwner | None:
    """The one lookup from a media path to the row owning the file; None when no row does."""
    name = clean_media_name(path)
    if name is None:
        return None
    by_prefix = [entry for entry in OWNERS if name.startswith(entry[0])]
    for _prefix, model, fields in by_prefix or OWNERS:
        if (owner := _first(model, name, fields)) is not None:
            return owner
    return None


def _public(owner: MediaOwner) -> bool:
    """Whether anyone, signed in or not, may fetch the owner's file."""
    return may_fetch(owner, None)


def may_fetch(owner: MediaOwner, user: object) -> bool:
    """Each domain's rule: assets (exhibits.collection.visibility), condition material (released
    records only: restoration.condition.visibility), corrections (curators only), tour audio
    (stops of published artifacts, else those who may view tour stops), annotation media (with
    the annotation's artifact: exhibits.collection.visibility.may_see_annotation)."""
    row = owner.row
    if isinstance(row, Asset):
        return may_see_asset(row, user)
    if isinstance(row, ConditionRecord):
        return condition_visibility.may_see_record(row, user)
    if isinstance(row, DamageFinding):
        return condition_visibility.may_see_finding(row, user)
    if isinstance(row, MaskCorrection):
        return condition_visibility.sees_corrections(user)
    if isinstance(row, Annotation):
        return may_see_annotation(row, user)
    if isinstance(row, TourStop):
        if row.artifact.status == PublicationStatus.PUBLISHED:
            return True
        return has_view_permission(user, "museum.view_tourstop")
    return False


def requesting_user(request: HttpRequest) -> object:
    """The session's user, else the one whose API token the request carries ("Authorization:
    Token <key>": API clients fetch the files the API lists them); a bad token, or any other
    scheme (HTTP Basic is not accepted, and costs no password hash), is an anonymous visitor
    (who gets a 404)."""
    if request.user.is_authenticated or "HTTP_AUTHORIZATION" not in request.META:
        return request.user
    try:
        found = TokenAuthentication().authenticate(Request(request))
    except AuthenticationFailed:
        return None
    return found[0] if found else None


@require_safe
def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """GET /media/<path>: the file if the requesting user may see it, else 404 (module doc)."""
    owner = media_owner(path)
    if owner is None or not may_fetch(owner, requesting_user(request)):
        raise Http404("No such file.")
    file = getattr(owner.row, owner.field)
    cache = PUBLIC_CACHE if _public(owner) else PRIVATE_CACHE
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    response = deliver(file.storage, file.name, content_type)
    # A presigned URL expires: the redirect itself is never kept by a shared cache.
    response["Cache-Control"] = PRIVATE_CACHE if response.status_code == 302 else cache
    response["Vary"] = "Cookie"
    return response
