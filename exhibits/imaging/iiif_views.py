"""IIIF Image API 3, level 0: `/iiif/3/<identifier>/info.json` and the static tiles written by
`tiles.write_iiif_tiles`, under the access rule of files (`may_see_service`: tiles are web
copies of their image): an image the user may not see answers 404, like a missing one. Only
the files of the level-0 layout exist; any other request (another size, a rotation, a quality,
a format) is a 404.

Delivery as museum.media's: single profile, Django streams the file; scaled
(MOUSEION_MEDIA_ACCEL_PREFIX, the `internal` nginx location aliasing MEDIA_ROOT, which holds
`iiif/`), X-Accel-Redirect; media in a bucket, a presigned redirect (or the object streamed)."""

from __future__ import annotations

import json
import re

from django.http import (
    Http404,
    HttpRequest,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.views.decorators.http import require_safe

from exhibits.collection.visibility import may_see_asset, sees_private_files
from exhibits.imaging import urls_for
from exhibits.imaging.stored_tiles import media_storage
from exhibits.models import Asset, ImageService, PublicationStatus
from museum.media_delivery import deliver

CONTEXT = "http://iiif.io/api/image/3/context.json"
LD_JSON = f'application/ld+json;profile="{CONTEXT}"'
PUBLIC_CACHE = "public, max-age=3600"
PRIVATE_CACHE = "private, no-store"
REGION = re.compile(r"^(full|\d{1,6},\d{1,6},\d{1,6},\d{1,6})$")
SIZE = re.compile(r"^\d{1,6},\d{1,6}$")


def may_see_service(service: ImageService, user: object) -> bool:
    """The tiles are web copies of their image: a source's are public with its published
    artifact (as its web copy is; the source file itself stays private), a restored image's
    follow that asset (public once a curator accepted it). Others: `exhibits.view_asset`."""
    asset = service.asset
    if asset.kind == Asset.Kind.SOURCE:
        return sees_private_files(user) or asset.artifact.status == PublicationStatus.PUBLISHED
    return may_see_asset(asset, user)


def _service(request: HttpRequest, identifier: str) -> tuple[ImageService, bool]:
    """The service and whether it is public, or 404 for one the user may not see."""
    service = (
        ImageService.objects.select_related("asset__artifact").filter(identifier=identifier).first()
    )
    if service is None or not may_see_service(service, request.user):
        raise Http404("No such image.")
    return service, may_see_service(service, None)


def _headers(response: HttpResponseBase, public: bool) -> HttpResponseBase:
    if response.status_code == 302:
        response["Cache-Control"] = PRIVATE_CACHE  # a presigned URL expires
    else:
        response["Cache-Control"] = PUBLIC_CACHE if public else PRIVATE_CACHE
    response["Vary"] = "Cookie"
    if public:  # IIIF clients on other sites may read public images (never a draft's)
        response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def info(request: HttpRequest, identifier: str) -> HttpResponseBase:
    """The image information, its id the service's URL as this request reaches it."""
    service, public = _service(request, identifier)
    try:
        with media_storage().open(service.root + "info.json", "rb") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        raise Http404("No such image.") from None
    document["id"] = urls_for(service, request)
    wants_ld = "application/ld+json" in request.headers.get("Accept", "")
    response = JsonResponse(document, content_type=LD_JSON if wants_ld else "application/json")
    return _headers(response, public)


@require_safe
def base(request: HttpRequest, identifier: str) -> HttpResponseBase:
    """The service's base URL redirects to its info.json (IIIF Image API 3, section 2.2)."""
    _service(request, identifier)
    return HttpResponseRedirect(f"{request.path.rstrip('/')}/info.json", status=303)


@require_safe
def tile(
    request: HttpRequest,
    identifier: str,
    region: str,
    size: str,
    rotation: str,
    quality: str,
    format: str,
) -> HttpResponseBase:
    """One file of the level-0 layout, or 404."""
    if not (REGION.match(region) and (size == "max" or SIZE.match(size))):
        raise Http404("Level 0: only the listed tiles and sizes.")
    if (rotation, quality, format) != ("0", "default", "jpg"):
        raise Http404("Level 0: rotation 0, default quality, JPEG only.")
    service, public = _service(request, identifier)
    whole = f"{service.width},{service.height}"
    if size == "max":  # Image API 3's name for the full size (OpenSeadragon, Mirador use it)
        size = whole
    name = f"{service.root}{region}/{size}/0/default.jpg"
    if region == "full" and size == whole and not media_storage().exists(name):
        name = f"{service.root}0,0,{whole}/{whole}/0/default.jpg"  # one tile holds it all
    return _headers(_deliver(name), public)


def _deliver(name: str) -> HttpResponseBase:
    storage = media_storage()
    if not storage.exists(name):
        raise Http404("No such tile.")
    return deliver(storage, name, "image/jpeg", safe="/,", missing="No such tile.")
