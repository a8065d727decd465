"""The damage overlays of a flat work's deep-zoom page: per canvas and class, a PNG at the web
copy's size (the class's colour where damaged, transparent elsewhere), from the newest finished
condition check, as `user` may see it (visitors: released records, accepted or corrected
findings only; restoration.condition.visibility)."""

from __future__ import annotations

from typing import Any

from exhibits.models import Artifact
from restoration.condition import images, services, visibility


def flat_work_overlays(artifact: Artifact, user: Any) -> list[dict[str, Any]]:
    """[{canvas, class, label, colour, url, pixel_share, area_cm2, regions, width, height}]:
    `url` is a /media/ URL the user may fetch, the picture `width` x `height` (the web copy's
    size), `regions` boxes [x, y, w, h] in the full image's pixels. Classes with no damage are
    left out; an empty list when nothing is to be shown."""
    _job, records = services.latest_records(artifact)
    overlays: list[dict[str, Any]] = []
    for record in visibility.visible_records(records, user):
        if record.canvas_id is None:
            continue
        preview = record.summary.get("preview") or {}
        for finding in visibility.visible_findings(record, user):
            if not finding.overlay or finding.pixel_share <= 0:
                continue
            overlays.append(
                {
                    "canvas": record.canvas_id,
                    "class": finding.damage_class,
                    "label": str(finding.get_damage_class_display()),
                    "colour": images.hex_colour(finding.damage_class),
                    "url": finding.overlay.url,
                    "pixel_share": finding.pixel_share,
                    "area_cm2": finding.area_cm2,
                    "regions": finding.regions,
                    "width": preview.get("width"),
                    "height": preview.get("height"),
                    "review": finding.review,
                }
            )
    return overlays
