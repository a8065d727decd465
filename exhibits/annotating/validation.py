"""The one check of a region drawn on a 3D model (`shape`) and of an annotation's medium,
used through Annotation.clean by the admin and the API (an image region: exhibits.imaging.
regions). Each returns a sentence for the curator, "" when the value is fine."""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

from exhibits.annotating.geometry import (
    MAX_POINTS,
    MIN_POINTS,
    inside_box,
    is_point_list,
    model_box,
)
from exhibits.annotating.media_kind import EXTENSIONS, claimed, sniff_format
from museum.common.images import TEXTURE_FORMATS, ImageReadError, open_image

DEFAULT_MEDIA_MAX_BYTES = 16 * 1024 * 1024
FAR_OUT_M = 100.0  # with no recorded size, a point farther than this from the origin is a mistake


def media_max_bytes() -> int:
    return int(getattr(settings, "MOUSEION_ANNOTATION_MEDIA_MAX_BYTES", DEFAULT_MEDIA_MAX_BYTES))


def points_errors(kind: Any, points: Any, *, dims: int) -> str:
    """A drawn region's type and points: [x, y, z] on a model (dims 3), [x, y] on an image."""
    if kind not in MIN_POINTS:
        return _('The type of a drawn region is "polygon" or "polyline".')
    if not is_point_list(points, dims):
        if dims == 3:
            return _("Expected points as a list of [x, y, z] of finite numbers.")
        return _("Expected points as a list of [x, y] pairs of finite numbers.")
    if len(points) < MIN_POINTS[kind]:
        return _("A %(type)s needs at least %(count)d points.") % {
            "type": kind,
            "count": MIN_POINTS[kind],
        }
    if len(points) > MAX_POINTS:
        return _("A drawn region has at most %(count)d points.") % {"count": MAX_POINTS}
    return ""


def shape_errors(shape: Any, *, dimensions_m: tuple[Any, Any, Any]) -> str:
    """{"type": "polyline"|"polygon", "points": [[x, y, z], ...], "normals"?: same length}
    in model metres, near the model's box (width, height, depth: `dimensions_m`)."""
    if not isinstance(shape, dict) or set(shape) - {"type", "points", "normals"}:
        return _('Expected {"type": "polygon" or "polyline", "points": [[x, y, z], ...]}.')
    kind, points, normals = shape.get("type"), shape.get("points"), shape.get("normals")
    if message := points_errors(kind, points, dims=3):
        return message
    assert isinstance(points, list)  # points_errors checked them
    if normals is not None and not (is_point_list(normals, 3) and len(normals) == len(points)):
        return _("Expected one normal [x, y, z] per point, or none.")
    width, height, depth = dimensions_m
    box = model_box(width, height, depth) or (
        [-FAR_OUT_M] * 3,
        [FAR_OUT_M] * 3,
    )
    if not inside_box(points, box):
        return _("A point lies far outside the model; draw on its surface.")
    return ""


def media_errors(file: IO[bytes], name: str, size: int | None) -> str:
    """An image (JPEG, PNG, WebP) or a sound (MP3, OGG, M4A, WAV) under the size cap whose
    bytes are what its name says; images also pass the safe reader's caps (no bombs)."""
    limit = media_max_bytes()
    if size is not None and size > limit:
        return _("The file is too large: at most %(mb)d MB.") % {"mb": limit >> 20}
    claim = claimed(name)
    if claim is None:
        return _("Attach an image or a sound: %(types)s.") % {
            "types": ", ".join(sorted(EXTENSIONS))
        }
    file.seek(0)
    head = file.read(64)
    file.seek(0)
    if not head:
        return _("The file is empty.")
    if sniff_format(head) != claim[1]:
        return _("The file is not the %(format)s its name says.") % {"format": claim[1].upper()}
    if claim[0] == "image":
        data = file.read(limit + 1)  # under the cap (checked above): Pillow reads a copy
        file.seek(0)
        try:
            open_image(data, formats=TEXTURE_FORMATS, max_bytes=limit).close()
        except ImageReadError as error:
            return _("The image cannot be used: %(reason)s.") % {"reason": error}
    return ""
