"""The one check of an annotation's region on a flat work (model clean, API, admin)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from exhibits.annotating.geometry import MAX_POINTS, MIN_POINTS, is_number, is_point_list
from exhibits.annotating.validation import points_errors

BOX_KEYS = {"canvas", "xywh", "points"}
DRAWN_KEYS = {"canvas", "type", "points"}


def region_errors(region: Any, *, artifact_id: int) -> str:
    """Why `region` is not a region of one of the artifact's canvases ("" when it is):
    {"canvas": <pk>, "xywh": [x, y, w, h]} inside the canvas, w and h > 0, optional "points"
    (at least 3 [x, y] inside the canvas); or a drawn {"canvas": <pk>, "type": "polygon" |
    "polyline", "points": [[x, y], ...]} (at least 3 / 2 points, at most MAX_POINTS)."""
    from exhibits.imaging.models import Canvas

    drawn = isinstance(region, dict) and "type" in region
    keys = DRAWN_KEYS if drawn else BOX_KEYS
    if not isinstance(region, dict) or set(region) - keys:
        return _(
            'Expected {"canvas": id, "xywh": [x, y, w, h]} or {"canvas": id, "type": '
            '"polygon" or "polyline", "points": [[x, y], ...]}.'
        )
    canvas_id = region.get("canvas")
    if not isinstance(canvas_id, int) or isinstance(canvas_id, bool):
        return _("The region must name its canvas by id.")
    if drawn:
        if message := drawn_errors(region):
            return message
    else:
        xywh = region.get("xywh")
        if not (isinstance(xywh, list) and len(xywh) == 4 and all(is_number(v) for v in xywh)):
            return _("Expected xywh as four numbers [x, y, w, h] in pixels.")
        if xywh[2] <= 0 or xywh[3] <= 0:
            return _("A region needs a width and a height.")
        points = region.get("points")
        if points is not None and not (
            is_point_list(points, 2) and MIN_POINTS["polygon"] <= len(points) <= MAX_POINTS
        ):
            return _("Expected points as a list of at least three [x, y].")
    canvas = Canvas.objects.filter(pk=canvas_id, artifact_id=artifact_id).first()
    if canvas is None:
        return _("The region's canvas is not an image of this artifact.")
    inside = {"w": canvas.width_px, "h": canvas.height_px}
    if not drawn:
        x, y, w, h = region["xywh"]
        if x < 0 or y < 0 or x + w > canvas.width_px or y + h > canvas.height_px:
            return _("The region must lie inside the image (%(w)d × %(h)d pixels).") % inside
    if any(
        not (0 <= px <= canvas.width_px and 0 <= py <= canvas.height_px)
        for px, py in region.get("points") or []
    ):
        return _("The polygon must lie inside the image (%(w)d × %(h)d pixels).") % inside
    return ""


def drawn_errors(region: dict[str, Any]) -> str:
    """The shape part of a drawn region: its type and its [x, y] points."""
    return points_errors(region.get("type"), region.get("points"), dims=2)
