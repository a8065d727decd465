""" "Drawn by a conservator": the region annotations whose class maps to a damage class
(exhibits AnnotationClass.damage_class), counted and measured per class beside the detector's
figures on the condition report (page, API, PDF).

Areas: a polygon drawn on a 3D model, from its points in model metres (Newell's vector area,
exhibits.annotating.geometry), in cm²; a region on an image (polygon or box) in the canvas's
full-resolution pixels, and in cm² where the canvas knows its pixels per cm. Polylines and
points count but have no area. Who sees them: those who may see a condition record of the
artifact (a visitor, once one is released), and staff always (`shown_to`)."""

from __future__ import annotations

from typing import Any

from exhibits.annotating.geometry import polygon_area_2d, polygon_area_3d
from exhibits.models import Annotation, Artifact
from restoration.condition.serializers import damage_classes

M2_TO_CM2 = 10_000.0


def _image_area(region: dict[str, Any]) -> float:
    """The area of an image region in pixels² (a polyline has none)."""
    if region.get("type") == "polygon":
        return polygon_area_2d(region["points"])
    if region.get("type") == "polyline":
        return 0.0
    if region.get("points"):
        return polygon_area_2d(region["points"])
    return float(region["xywh"][2] * region["xywh"][3])


def drawn_damage(artifact: Artifact) -> list[dict[str, Any]]:
    """Per damage class with at least one drawn region, in the condition check's class order:
    {class, label, colour, count, area_cm2 (None when no region of it has a known scale),
    area_px (image regions; None on a 3D object), unscaled (image regions without a scale)}."""
    rows: dict[str, dict[str, Any]] = {
        entry["name"]: {
            "class": entry["name"],
            "label": entry["label"],
            "colour": entry["colour"],
            "count": 0,
            "area_cm2": None,
            "area_px": None,
            "unscaled": 0,
        }
        for entry in damage_classes()
    }
    annotations = Annotation.objects.filter(
        artifact=artifact, annotation_class__damage_class__gt=""
    ).select_related("annotation_class")
    scales = dict(artifact.canvases.values_list("pk", "pixels_per_cm"))
    for annotation in annotations:
        assert annotation.annotation_class is not None  # filtered above
        row = rows.get(annotation.annotation_class.damage_class)
        if row is None:
            continue
        row["count"] += 1
        shape, region = annotation.shape, annotation.region
        if shape and shape.get("type") == "polygon":
            area = polygon_area_3d(shape["points"]) * M2_TO_CM2
            row["area_cm2"] = (row["area_cm2"] or 0.0) + area
        elif region:
            pixels = _image_area(region)
            row["area_px"] = (row["area_px"] or 0.0) + pixels
            scale = scales.get(region.get("canvas"))
            if scale:
                row["area_cm2"] = (row["area_cm2"] or 0.0) + pixels / (scale * scale)
            elif pixels:
                row["unscaled"] += 1
    return [row for row in rows.values() if row["count"]]


def shown_to(artifact: Artifact, *, records_seen: bool, staff: bool) -> list[dict[str, Any]]:
    """The drawn figures for a reader: staff, or one who sees a condition record; else []."""
    return drawn_damage(artifact) if staff or records_seen else []
