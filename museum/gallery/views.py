"""Visitor-facing pages: thin views that read published content and render templates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from exhibits.annotating.payload import annotation_extras
from exhibits.collection.models import pick_web_model
from exhibits.collection.serializers import pick_lods
from exhibits.collection.visibility import page_artifacts, page_exhibitions, visible_assets
from exhibits.models import (
    Annotation,
    Artifact,
    Asset,
    Exhibition,
    ExhibitionItem,
    PublicationStatus,
)
from museum.building.services import public_rooms
from museum.gallery.flat_work import flat_work_config, is_flat
from museum.gallery.scene import gallery_scene, gallery_strings, xr_strings
from museum.gallery.viewer_tools import inspect_strings

GALLERY_VISIT_MINUTES = 60  # a gallery visit's time, for the live next stop


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _thumbnails(artifact_ids: Iterable[int]) -> dict[int, Asset]:
    """The newest thumbnail of each artifact, in one query."""
    thumbnails: dict[int, Asset] = {}
    assets = Asset.objects.filter(kind=Asset.Kind.THUMBNAIL, artifact_id__in=list(artifact_ids))
    for asset in assets.order_by("-created_at"):
        thumbnails.setdefault(asset.artifact_id, asset)
    return thumbnails


def _published_items(exhibition: Exhibition) -> list[ExhibitionItem]:
    """The exhibition's items whose artifact is published, in order (uses any prefetch)."""
    return [
        item
        for item in exhibition.items.all()
        if item.artifact.status == PublicationStatus.PUBLISHED
    ]


def lobby(request: HttpRequest) -> HttpResponse:
    """Published exhibitions as cards, each with the first thumbnail among its artifacts."""
    exhibitions = list(Exhibition.objects.published().prefetch_related("items__artifact"))
    items = {exhibition.pk: _published_items(exhibition) for exhibition in exhibitions}
    thumbnails = _thumbnails(item.artifact_id for group in items.values() for item in group)
    cards = []
    for exhibition in exhibitions:
        group = items[exhibition.pk]
        cover = next(
            (thumbnails[i.artifact_id] for i in group if i.artifact_id in thumbnails), None
        )
        cards.append({"exhibition": exhibition, "cover": cover, "artifact_count": len(group)})
    return render(request, "museum/lobby.html", {"cards": cards})


def exhibition_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """An exhibition's introduction and its published artifacts in order."""
    # Drafts open for those who may edit them (a preview, with a banner); 404 for the rest.
    exhibition = get_object_or_404(page_exhibitions(request.user), slug=slug)
    items = list(exhibition.items.select_related("artifact").filter(artifact__status="published"))
    thumbnails = _thumbnails(item.artifact_id for item in items)
    entries = [{"item": item, "thumbnail": thumbnails.get(item.artifact_id)} for item in items]
    scene = gallery_scene(exhibition) if items else None
    if scene is not None:
        scene["strings"] = gallery_strings()
        # The live next stop (issue #21): asked as the visitor walks from room to room, offered
        # only where every room of the exhibition is on the museum's floor plan (elsewhere the
        # planner has nowhere to route from, and each ask would be refused).
        if _rooms_on_floor_plan(scene):
            scene["next_stop_url"] = reverse("visits:visit-next-stop")
            scene["visit_minutes"] = GALLERY_VISIT_MINUTES
    return render(
        request,
        "museum/exhibition.html",
        {"exhibition": exhibition, "items": items, "entries": entries, "gallery": scene},
    )


def _length_text(value_m: float, unit: str) -> str:
    # number_format truncates: round first.
    if unit == "m":
        return number_format(round(value_m, 2), decimal_pos=2)
    return number_format(round(value_m * 100, 1), decimal_pos=1)


def dimensions_display(artifact: Artifact) -> dict[str, str] | None:
    """Height × width × depth for people: one unit for all (m once any side is over 100 cm).

    Returns the short visible text and a spoken version, or None when no size is recorded.
    """
    sides = {
        "height": artifact.height_m,
        "width": artifact.width_m,
        "depth": artifact.depth_m,
    }
    known = {name: value for name, value in sides.items() if value is not None and value > 0}
    if not known:
        return None
    unit = "m" if max(known.values()) > 1.0 else "cm"
    # Translators: unit symbols of metres and centimetres.
    symbol = _("m") if unit == "m" else _("cm")
    texts = {name: _length_text(value, unit) for name, value in known.items()}
    short_names = {
        "height": pgettext("abbreviation of height", "H"),
        "width": pgettext("abbreviation of width", "W"),
        "depth": pgettext("abbreviation of depth", "D"),
    }
    long_templates = {
        "height": _("height %(value)s %(unit)s"),
        "width": _("width %(value)s %(unit)s"),
        "depth": _("depth %(value)s %(unit)s"),
    }
    values = " × ".join(texts.values())
    axes = " × ".join(short_names[name] for name in texts)
    return {
        "text": _("%(values)s %(unit)s (%(axes)s)")
        % {"values": values, "unit": symbol, "axes": axes},
        "spoken": ", ".join(
            long_templates[name] % {"value": text, "unit": symbol} for name, text in texts.items()
        ),
        "unit": unit,
    }


def _viewer_config(
    artifact: Artifact,
    model: Asset | None,
    annotations: list[Annotation],
    lods: dict[str, Asset | None],
) -> dict[str, Any]:
    """Everything viewer.js needs, passed with json_script: URLs, annotations, UI strings."""
    lod_urls = {label: asset.file.url if asset else None for label, asset in lods.items()}
    return {
        "modelUrl": model.file.url if model else None,
        # LOD GLBs are normalised (metres, Y-up, standing on y=0): they can be measured.
        "lods": lod_urls,
        "metric": any(lod_urls.values()),
        "title": artifact.title,
        "heightM": artifact.height_m,
        "dracoDecoderPath": static("vendor/three/addons/libs/draco/gltf/"),
        "annotations": [
            {
                "id": annotation.pk,
                "title": annotation.title,
                "text": annotation.text,
                "position": annotation.position,
                "normal": annotation.normal or None,
                "cameraPosition": annotation.camera_position,
                "cameraTarget": annotation.camera_target,
                # shape, region, class, media (#23): exhibits.annotating.payload
                **annotation_extras(annotation),
            }
            for annotation in annotations
        ],
        "strings": {
            "loading": _("Loading the 3D model…"),
            "loadingProgress": _("Loading the 3D model… {percent}%"),
            "loaded": _("3D model loaded."),
            "error": _("The 3D model could not be loaded. Please reload the page to try again."),
            "noWebGL": _("Your browser cannot display 3D graphics (WebGL is unavailable)."),
            "hotspot": _("Point of interest {number}: {title}"),
            **xr_strings(),
            "loadingDetail": _("Loading detail… {percent}%"),
            "detailLoaded": _("Full detail loaded."),
            "detailError": _("The detailed model could not be loaded; showing a simpler one."),
            "inspect": _("Inspect in full detail"),
            "inspectLoading": _("Loading full detail… {percent}%"),
            "inspectShown": _("Showing full detail"),
            "measureStart": _(
                "Measuring: click a point on the model, or press Enter in the view to use its "
                "centre. Escape cancels."
            ),
            "measureSecond": _("Now choose the second point."),
            "measureMiss": _("That is not on the model; try another point."),
            "measureResult": _("Distance: {distance} cm"),
            "measureLabel": _("{distance} cm"),
            "measureCancelled": _("Measurement cancelled."),
            **inspect_strings(),
        },
    }


def _newest_thumbnail(assets: list[Asset]) -> Asset | None:
    thumbnails = [asset for asset in assets if asset.kind == Asset.Kind.THUMBNAIL]
    return max(thumbnails, key=lambda asset: (asset.created_at, asset.pk), default=None)


def artifact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An artifact's record and its 3D viewer with annotations."""
    # Drafts open for those who may edit them (a preview, with a banner); 404 for the rest.
    artifact = get_object_or_404(page_artifacts(request.user), pk=pk)
    # Files the user may fetch: visitors never get a private source's URL (issue #16).
    assets = list(visible_assets(request.user).filter(artifact=artifact))
    model = pick_web_model(assets)
    lods = pick_lods(assets)
    annotations = list(artifact.annotations.select_related("annotation_class"))
    # The viewer starts with the smallest LOD (or the one forced by ?lod=, for debugging).
    forced = request.GET.get("lod", "")
    first = lods.get(forced) or next((asset for asset in lods.values() if asset), None)
    # The web level follows the thumb at once (lod-loader.js): preloaded at low priority from the
    # page's start, its download no longer waits for the thumb's first frame (issue #24).
    progressive = first is not None and first == lods["thumb"] and not lods.get(forced)
    then = lods["web"] if progressive else None
    context = {
        "artifact": artifact,
        "model": model,
        "first_lod": first,
        "next_lod": then,
        "has_lods": first is not None,
        "has_inspection": lods["inspection"] is not None,
        "dimensions": dimensions_display(artifact),
        # Shown until the model's first frame (the intake renders it textured where it can).
        "poster": _newest_thumbnail(assets),
        "annotations": annotations,
        "exhibitions": artifact.exhibitions.published(),
        "viewer_config": _viewer_config(artifact, model, annotations, lods),
        # A painting, print or page: the deep-zoom viewer instead of the 3D one.
        "flat_work": flat_work_config(artifact, request, annotations)
        if is_flat(artifact)
        else None,
    }
    return render(request, "museum/artifact.html", context)


def plan_visit(request: HttpRequest) -> HttpResponse:
    """Plan-my-visit: a form, the floor plan drawn as SVG and the planned route over it."""
    from django.urls import reverse

    from museum.planning import services as planning_services

    floor_plan = planning_services.floor_plan_data()
    config = {
        "apiUrl": reverse("visits:visit-plan"),
        "nextStopUrl": reverse("visits:visit-next-stop"),
        "floorPlan": floor_plan,
        "strings": {
            "planning": _("Planning your visit…"),
            "noStops": _("No object fits in that time: try more minutes."),
            "error": _("The visit could not be planned."),
            "stop": _("Stop %(number)s: %(title)s"),
            "arrival": _("Minute %(minute)s, room %(room)s"),
            "routeDesc": _("The route walks through rooms %(rooms)s."),
            "nextStop": _("{text} ({why})"),
            "nextStopError": _("The next stop could not be found just now."),
            "seen": _("Seen"),
        },
    }
    return render(
        request,
        "museum/plan.html",
        {"floor_plan": floor_plan, "plan_config": config, "rooms": floor_plan["rooms"]},
    )


def _rooms_on_floor_plan(scene: dict[str, Any]) -> bool:
    codes = {room["code"] for room in scene.get("rooms", []) if room.get("code")}
    if not codes:
        return False
    on_plan = set(public_rooms().filter(code__in=codes).values_list("code", flat=True))
    return codes <= on_plan
