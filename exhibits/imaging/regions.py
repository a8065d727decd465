"""The one check of an annotation's region on a flat work (model clean, API, admin)."""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def region_errors(region: Any, *, artifact_id: int) -> str:
    """Why `region` is not a region of one of the artifact's canvases ("" when it is):
    {"canvas": <pk>, "xywh": [x, y, w, h]} inside the canvas, w and h > 0, optional "points"
    (at least 3 [x, y] inside the canvas)."""
    from exhibits.imaging.models import Canvas

    if not isinstance(region, dict) or set(region) - {"canvas", "xywh", "points"}:
        return _('Expected {"canvas": id, "xywh": [x, y, w, h]} (and optionally "points").')
    canvas_id, xywh = region.get("canvas"), region.get("xywh")
    if not isinstance(canvas_id, int) or isinstance(canvas_id, bool):
        return _("The region must name its canvas by id.")
    if not (isinstance(xywh, list) and len(xywh) == 4 and all(_number(v) for v in xywh)):
        return _("Expected xywh as four numbers [x, y, w, h] in pixels.")
    canvas = Canvas.objects.filter(pk=canvas_id, artifact_id=artifact_id).first()
    if canvas is None:
        return _("The region's canvas is not an image of this artifact.")
    x, y, w, h = xywh
    if w <= 0 or h <= 0:
        return _("A region needs a width and a height.")
    if x < 0 or y < 0 or x + w > canvas.width_px or y + h > canvas.height_px:
        return _("The region must lie inside the image (%(w)d × %(h)d pixels).") % {
            "w": canvas.width_px,
            "h": canvas.height_px,
        }
    points = region.get("points")
    if points is not None:
        if not (
            isinstance(points, list)
            and len(points) >= 3
            and all(
                isinstance(p, list) and len(p) == 2 and all(_number(v) for v in p) for p in points
            )
        ):
            return _("Expected points as a list of at least three [x, y].")
        if any(
            not (0 <= px <= canvas.width_px and 0 <= py <= canvas.height_px) for px, py in points
        ):
            return _("The polygon must lie inside the image.")
    return ""
