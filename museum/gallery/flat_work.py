"""The deep-zoom page of a flat work (painting, print, page, photograph): what the viewer
(static/js/pages/deep-zoom.js) reads from the `flat_work` json_script.

Per canvas, in order: its IIIF Image service (info.json, under the IIIF views' own rule), its
web copy (shown until the tiles are published), scale, the restoration the user may see (its own
service and generated-regions mask, restoration.restore.flat) and the damage overlays per class
(restoration.condition.overlays); the work's regions (annotations with a `region`: a box or
a polygon / polyline, with their class and medium); the vocabulary of classes for curators; the
UI strings. Only files the user may fetch are named: each side applies its visibility rules.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from exhibits.annotating.payload import annotation_extras
from exhibits.collection.visibility import visible_assets
from exhibits.imaging import urls_for
from exhibits.imaging.iiif_views import may_see_service
from exhibits.models import Annotation, AnnotationClass, Artifact
from restoration.condition.overlays import flat_work_overlays
from restoration.restore.flat import flat_work_restorations


def is_flat(artifact: Artifact) -> bool:
    return str(getattr(artifact, "form", "object")) == "flat"


def region_bounds(region: dict[str, Any]) -> list[float] | None:
    """The region's box [x, y, w, h]: its `xywh`, or the bounds of its points."""
    xywh = region.get("xywh")
    if isinstance(xywh, list) and len(xywh) == 4:
        return xywh
    points = region.get("points")
    if not isinstance(points, list) or not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def region_payload(annotation: Annotation) -> dict[str, Any]:
    """A region as deep-zoom-regions.js draws it: always a box, and the polygon or polyline
    (`type`, `points`) when there is one; its class and medium (D's one builder)."""
    region = annotation.region or {}
    points = region.get("points")
    kind = region.get("type") or ("polygon" if points else "box")
    extras = annotation_extras(annotation)
    return {
        "id": annotation.pk,
        "title": annotation.title,
        "text": annotation.text,
        "canvas": region.get("canvas"),
        "xywh": region_bounds(region),
        "type": kind,
        "points": points,
        "class": extras.get("class"),
        "media": extras.get("media"),
    }


def class_choices() -> list[dict[str, Any]]:
    """The curators' vocabulary, for the new region's form."""
    return [
        {"id": c.pk, "name": c.localized_name(), "colour": c.colour}
        for c in AnnotationClass.objects.all()
    ]


def flat_work_config(
    artifact: Artifact, request: HttpRequest, annotations: list[Annotation]
) -> dict[str, Any]:
    """Everything deep-zoom.js needs (see the module docstring)."""
    user = request.user
    visible = set(visible_assets(user).filter(artifact=artifact).values_list("pk", flat=True))
    overlays: dict[int, list[dict[str, Any]]] = {}
    for overlay in flat_work_overlays(artifact, user):
        overlays.setdefault(overlay["canvas"], []).append(
            {key: overlay[key] for key in ("class", "label", "colour", "url")}
        )
    restorations = {entry["canvas"]: entry for entry in flat_work_restorations(artifact, user)}
    canvases = []
    for number, canvas in enumerate(
        artifact.canvases.select_related("source__image_service"), start=1
    ):
        # The IIIF views' rule: a published work's tiles are public (its source file is not).
        service = getattr(canvas.source, "image_service", None)
        if service is not None and not may_see_service(service, user):
            service = None
        web = canvas.web_image()
        restored = restorations.get(canvas.pk, {})
        canvases.append(
            {
                "id": canvas.pk,
                "label": canvas.label or _("Image %(number)s") % {"number": number},
                "width": canvas.width_px,
                "height": canvas.height_px,
                "infoUrl": f"{urls_for(service, request)}/info.json" if service else None,
                "webUrl": web.file.url if web is not None and web.pk in visible else None,
                "pixelsPerCm": canvas.pixels_per_cm,
                "scaleSource": canvas.scale_source,
                "restoredInfoUrl": restored.get("info_url"),
                "generatedRegionsUrl": restored.get("generated_regions_url"),
                "damageOverlays": overlays.get(canvas.pk, []),
            }
        )
    may_edit = user.has_perm("exhibits.add_annotation")
    return {
        "artifact": artifact.pk,
        "title": artifact.title,
        "canvases": canvases,
        "regions": [region_payload(a) for a in annotations if a.region],
        "canEdit": may_edit,
        "annotationsUrl": reverse("api:annotation-list") if may_edit else None,
        "classes": class_choices() if may_edit else [],
        "strings": viewer_strings(),
    }


def viewer_strings() -> dict[str, str]:
    """The viewer's UI strings, translated (placeholders in braces, filled by format.js)."""
    return {
        "loading": _("Loading the image…"),
        "loaded": _("Image loaded."),
        "error": _("The image could not be loaded. Please reload the page to try again."),
        "noTiles": _("This image is still being prepared for deep zoom."),
        "canvasShown": _("Showing {label} ({number} of {count})."),
        "region": _("Region {number}: {title}"),
        "measureStart": _(
            "Measuring: click two points on the image, or press Enter in the view to use its "
            "centre. Escape cancels."
        ),
        "measureSecond": _("Now choose the second point."),
        "measureResult": _("Distance: {distance} cm"),
        "measureCancelled": _("Measurement cancelled."),
        "drawStart": _(
            "Drag on the image to mark a region, or press Enter in the view to mark the "
            "visible part. Escape cancels."
        ),
        "drawPolygon": _(
            "Click the corners of the region on the image; double-click the last one to close "
            "it. Escape cancels."
        ),
        "drawTitleNeeded": _("Give the region a title."),
        "drawSaving": _("Saving the region…"),
        "drawSaved": _("Region saved."),
        "drawRefused": _("The region could not be saved: {reason}"),
        "layers": _("Layers"),
        "unclassified": _("Unclassified"),
        "dividerLabel": _("Original ◂ ▸ Virtual restoration"),
        "compareOn": _("Virtual restoration shown right of the divider."),
    }
