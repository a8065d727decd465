"""Small builders of collection records and real files for the unit tests."""

from __future__ import annotations

import io
from typing import Any

import trimesh
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from exhibits.collection import services
from exhibits.models import (
    Annotation,
    Artifact,
    Asset,
    Exhibition,
    PublicationStatus,
)

VECTOR = [0.0, 1.0, 0.0]
# "visitor" is a signed-in user without a group; visitors proper are anonymous.
ROLES = ("anonymous", "visitor", "educator", "curator", "superuser")
WRITERS = {"curator", "superuser"}  # may write the collection


def glb_bytes() -> bytes:
    """A real, tiny GLB: a unit box (8 vertices, 12 faces)."""
    return trimesh.creation.box().export(file_type="glb")


def png_bytes(size: int = 8) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (200, 180, 150)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


_counter = iter(range(1, 1_000_000))


def make_artifact(*, published: bool = True, **fields: Any) -> Artifact:
    number = next(_counter)
    values: dict[str, Any] = {
        "object_number": f"T.{number:04d}",
        "title": f"Test object {number}",
        "status": PublicationStatus.PUBLISHED if published else PublicationStatus.DRAFT,
    }
    return Artifact.objects.create(**(values | fields))


def make_source(artifact: Artifact, *, name: str = "scan.glb") -> Asset:
    """A GLB source stored through the intake service (no thumbnail job)."""
    return services.store_source_asset(
        artifact=artifact, upload=upload(name, glb_bytes()), filename=name
    )


def make_thumbnail(source: Asset) -> Asset:
    return services.create_thumbnail(source=source, size=32)


def make_annotation(artifact: Artifact, **fields: Any) -> Annotation:
    values: dict[str, Any] = {
        "title": "Crack",
        "position": VECTOR,
        "normal": VECTOR,
        "camera_position": [0.0, 0.0, 2.0],
        "camera_target": [0.0, 0.0, 0.0],
    }
    return Annotation.objects.create(artifact=artifact, **(values | fields))


def make_exhibition(
    *artifacts: Artifact, published: bool = True, slug: str = "", **fields: Any
) -> Exhibition:
    number = next(_counter)
    exhibition = Exhibition.objects.create(
        title=fields.pop("title", f"Exhibition {number}"),
        slug=slug or f"exhibition-{number}",
        status=PublicationStatus.PUBLISHED if published else PublicationStatus.DRAFT,
        **fields,
    )
    services.set_exhibition_items(exhibition=exhibition, artifacts=artifacts)
    return exhibition
