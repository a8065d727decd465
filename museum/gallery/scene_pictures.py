"""Flat works in the gallery scene (museum/gallery/scene.py): their size to hang at, their web
copy, their entry in the scene's items, and why a work could not be hung."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from exhibits.models import WEB_IMAGE, Artifact, Asset
from museum.gallery.layout import RoomLayout
from museum.gallery.walls import (
    FRAME_DEPTH,
    NO_SPACE,
    TOO_TALL,
    TOO_WIDE,
    Picture,
    picture_label_pose,
    picture_size,
    viewing_distance,
)


def picture_of(artifact: Artifact) -> Picture:
    """The size to hang `artifact` at (its canvases prefetched): the catalogue's width and
    height, else its first image's pixels and scale, else an approximate default."""
    first = next(iter(artifact.canvases.all()), None)
    return picture_size(
        artifact.width_m,
        artifact.height_m,
        (first.width_px, first.height_px) if first else None,
        first.pixels_per_cm if first else None,
    )


def web_image(artifact: Artifact) -> Asset | None:
    """The web copy of the first image among the prefetched (visible) assets: the newest one
    derived from the first canvas's source, else the artifact's newest web copy."""
    first = next(iter(artifact.canvases.all()), None)
    copies = [
        asset
        for asset in artifact.assets.all()
        if asset.kind == Asset.Kind.IMAGE and asset.label == WEB_IMAGE and asset.file
    ]
    if first is not None and (own := [a for a in copies if a.derived_from_id == first.source_id]):
        copies = own
    return max(copies, key=lambda asset: (asset.created_at, asset.pk), default=None)


def size_text(picture: Picture) -> str:
    """The size line of the wall label: height before width, in centimetres."""
    if picture.approximate:
        return _("Size not recorded: shown about %(cm)s cm on its long side") % {
            "cm": round(max(picture.width, picture.height) * 100)
        }
    return _("%(height)s × %(width)s cm") % {
        "height": _cm(picture.height),
        "width": _cm(picture.width),
    }


def _cm(metres: float) -> str:
    value = round(metres * 100, 1)
    return str(int(value)) if value == int(value) else str(value)


def flat_fields(
    artifact: Artifact, picture: Picture, where: dict[str, Any] | None, layout: RoomLayout | None
) -> dict[str, Any]:
    """What a hung picture adds to its scene item (position None when it is not hung)."""
    image = web_image(artifact)
    fields: dict[str, Any] = {
        "form": "flat",
        "image": image.file.url if image else None,
        "size": [round(picture.width, 4), round(picture.height, 4)],
        "approximate": picture.approximate,
        "size_text": size_text(picture),
        "frame": {"width": picture.frame, "depth": FRAME_DEPTH},
        "plinth": None,
        "position": None,
        "yaw": 0.0,
        "label_pose": None,
    }
    if where is None or layout is None:
        return fields
    return fields | {
        "position": [round(where["x"], 3), round(where["centre"], 3), round(where["z"], 3)],
        "yaw": round(where["yaw"], 4),
        "wall": where["wall"],
        "hang": where["hang"],
        "label_pose": picture_label_pose(where),
        "view_distance": viewing_distance(layout, where, picture),
    }


def refusal(artifact: Artifact, reason: str) -> dict[str, Any]:
    """A flat work left off the walls, and why (shown by the gallery; the list below keeps it)."""
    messages = {
        TOO_TALL: _("taller than the walls of this gallery"),
        TOO_WIDE: _("wider than any free stretch of wall in this gallery"),
        NO_SPACE: _("no free wall left in this gallery"),
    }
    return {
        "artifact_id": artifact.pk,
        "title": artifact.title,
        "url": artifact.get_absolute_url(),
        "reason": reason,
        "message": messages[reason],
    }
