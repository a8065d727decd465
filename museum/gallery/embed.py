"""The embeddable viewer: /embed/artifacts/<id>/ (only the 3D viewer, which other sites may
frame) and its oEmbed endpoint /oembed (https://oembed.com, type "rich", JSON only).

Every other page keeps X-Frame-Options: DENY; the embed route alone is exempt, with a
Content-Security-Policy of `frame-ancestors *`. It shows published artifacts only, with the files
an anonymous visitor may fetch whoever is signed in (a curator's embed code must not carry a
private file), and 404 for drafts. The oEmbed answer describes pages of this site only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import Resolver404, resolve, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from exhibits.collection.models import pick_web_model
from exhibits.collection.serializers import pick_lods
from exhibits.collection.visibility import visible_assets
from exhibits.models import Artifact, Asset

EMBED_CSP = "frame-ancestors *"
DEFAULT_WIDTH, DEFAULT_HEIGHT = 640, 480
MIN_SIDE = 200
# Pages whose URL an oEmbed consumer may ask about, all naming the artifact as `pk`.
EMBEDDABLE_ROUTES = {"artifact-detail", "artifact-embed"}
CACHE_AGE_S = 3600


def _published_artifact(pk: int) -> Artifact:
    # The embed is the 3D viewer; a flat work is embedded through its IIIF manifest instead.
    return get_object_or_404(Artifact.objects.published().exclude(form=Artifact.Form.FLAT), pk=pk)


@require_GET
@xframe_options_exempt
def embed_artifact(request: HttpRequest, pk: int) -> HttpResponse:
    """Only the viewer of a published artifact, for other sites' <iframe>."""
    from museum.gallery.views import _viewer_config

    artifact = _published_artifact(pk)
    assets = list(visible_assets(AnonymousUser()).filter(artifact=artifact))
    model = pick_web_model(assets)
    lods = pick_lods(assets)
    annotations = list(artifact.annotations.all())
    context = {
        "artifact": artifact,
        "model": model,
        "page_url": request.build_absolute_uri(artifact.get_absolute_url()),
        "viewer_config": _viewer_config(artifact, model, annotations, lods),
    }
    response = render(request, "museum/embed.html", context)
    response["Content-Security-Policy"] = EMBED_CSP
    return response


def embed_size(maxwidth: int | None, maxheight: int | None) -> tuple[int, int]:
    """The iframe's size: 640 × 480 (4:3), shrunk to fit maxwidth/maxheight, at least 200 px."""
    width, height = DEFAULT_WIDTH, DEFAULT_HEIGHT
    if maxwidth is not None and maxwidth < width:
        width, height = maxwidth, round(maxwidth * DEFAULT_HEIGHT / DEFAULT_WIDTH)
    if maxheight is not None and maxheight < height:
        width, height = round(maxheight * DEFAULT_WIDTH / DEFAULT_HEIGHT), maxheight
    return max(width, MIN_SIDE), max(height, MIN_SIDE)


def embed_html(src: str, title: str, width: int, height: int) -> str:
    """The copy-paste snippet (also oEmbed's `html`)."""
    return format_html(
        '<iframe src="{}" title="{}" width="{}" height="{}" style="border:0;max-width:100%" '
        'loading="lazy" allow="fullscreen; xr-spatial-tracking" allowfullscreen></iframe>',
        src,
        title,
        width,
        height,
    )


def embed_snippet(request: HttpRequest, artifact: Artifact) -> str:
    """The <iframe> code shown on the artifact page."""
    src = request.build_absolute_uri(reverse("artifact-embed", args=[artifact.pk]))
    title = _("3D model of %(title)s") % {"title": artifact.title}
    return embed_html(src, title, DEFAULT_WIDTH, DEFAULT_HEIGHT)


def oembed_discovery_url(request: HttpRequest, artifact: Artifact) -> str:
    """The href of the artifact page's <link rel="alternate" type="application/json+oembed">."""
    page = request.build_absolute_uri(artifact.get_absolute_url())
    return (
        request.build_absolute_uri(reverse("oembed"))
        + "?"
        + urlencode({"url": page, "format": "json"})
    )


def _positive(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value > 0 else None


def _artifact_of(request: HttpRequest, url: str) -> Artifact:
    """The published artifact a URL of this site names; 404 for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != request.get_host().lower():
        raise Http404("not a page of this museum")
    try:
        match = resolve(parts.path)
    except Resolver404:
        raise Http404("no such page") from None
    if match.url_name not in EMBEDDABLE_ROUTES:
        raise Http404("not an embeddable page")
    return _published_artifact(int(match.kwargs["pk"]))


@require_GET
def oembed(request: HttpRequest) -> HttpResponse:
    """oEmbed 1.0 for artifact pages: JSON (type "rich"); 501 for any other format, 404 for a
    URL that is not a published artifact's page on this site."""
    fmt = request.GET.get("format", "json")
    if fmt != "json":
        return HttpResponse("Only format=json is provided.", status=501, content_type="text/plain")
    url = request.GET.get("url", "")
    if not url:
        return HttpResponse("The url parameter is required.", status=400, content_type="text/plain")
    artifact = _artifact_of(request, url)
    width, height = embed_size(
        _positive(request.GET.get("maxwidth")), _positive(request.GET.get("maxheight"))
    )
    src = request.build_absolute_uri(reverse("artifact-embed", args=[artifact.pk]))
    title = _("3D model of %(title)s") % {"title": artifact.title}
    data: dict[str, Any] = {
        "version": "1.0",
        "type": "rich",
        "title": artifact.title,
        "provider_name": _("Mouseion virtual museum"),
        "provider_url": request.build_absolute_uri(reverse("lobby")),
        "cache_age": CACHE_AGE_S,
        "html": embed_html(src, title, width, height),
        "width": width,
        "height": height,
    }
    thumbnail = (
        Asset.objects.filter(artifact=artifact, kind=Asset.Kind.THUMBNAIL)
        .exclude(file="")
        .order_by("-created_at", "-pk")
        .first()
    )
    if thumbnail is not None and thumbnail.width_px and thumbnail.height_px:
        data["thumbnail_url"] = request.build_absolute_uri(thumbnail.file.url)
        data["thumbnail_width"] = thumbnail.width_px
        data["thumbnail_height"] = thumbnail.height_px
    response = JsonResponse(data)
    # Public data about published objects: a consumer's page may ask from the browser too.
    response["Access-Control-Allow-Origin"] = "*"
    return response
