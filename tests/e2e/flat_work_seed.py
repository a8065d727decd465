"""Seed of the deep-zoom browser tests, run inside the live museum (`manage.py shell -c`): a
published flat work with two canvases (recto with a known scale, verso without), IIIF level-0
tiles written by the imaging core, one region, a released condition check with a crack overlay
and an accepted virtual restoration with its own tiles and generated-regions mask. Rows are made
here, as the jobs would make them, so the live worker runs nothing. seed() returns the ids."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from exhibits.collection import services as exhibit_services
from exhibits.imaging.models import Canvas, ImageService, new_identifier
from exhibits.imaging.stored_tiles import store_tiles, tile_root
from exhibits.imaging.tiles import write_iiif_tiles
from exhibits.models import Annotation, Artifact, Asset, Job, PublicationStatus
from restoration.models import ConditionRecord, DamageFinding, RestorationJob

RECTO = (2400, 1600)  # px; 100 px per cm: a 24 x 16 cm sheet
VERSO = (1000, 1400)
WEB = (600, 400)  # the overlays' size (the web copy's)


def _encode(array: np.ndarray, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, quality=90)
    return buffer.getvalue()


def picture(width: int, height: int, seed: int) -> np.ndarray:
    """Warm ramps, a grid every 200 px and discs: detail to zoom into."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack(
        [120 + 100 * x / width, 90 + 80 * y / height, 60 + 40 * np.sin(x / 37.0 + seed)], axis=2
    )
    rgb[(x % 200 < 3) | (y % 200 < 3)] = (30, 25, 20)
    for cx, cy, r in ((0.3, 0.4, 0.12), (0.7, 0.6, 0.08)):
        disc = (x - cx * width) ** 2 + (y - cy * height) ** 2 < (r * width) ** 2
        rgb[disc] = (40, 60 + 40 * seed, 140)
    return rgb.clip(0, 255).astype(np.uint8)


def _image_asset(artifact: Artifact, array: np.ndarray, **fields: object) -> Asset:
    data = _encode(array, "JPEG")
    asset = Asset(
        artifact=artifact,
        byte_size=len(data),
        format="jpeg",
        width_px=array.shape[1],
        height_px=array.shape[0],
        **fields,
    )
    asset.file.save("image.jpg", ContentFile(data), save=False)
    asset.save()
    return asset


def publish_tiles(asset: Asset, array: np.ndarray) -> ImageService:
    """The asset's IIIF service, tiled by the imaging core, as the intake job stores it."""
    identifier = new_identifier()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "image.png"
        path.write_bytes(_encode(array))
        tiles = write_iiif_tiles(path, Path(folder) / "tiles", tile_size=512)
        store_tiles(Path(folder) / "tiles", tile_root(identifier))
    return ImageService.objects.create(
        asset=asset, identifier=identifier, width=tiles.width, height=tiles.height,
        tile_size=tiles.tile_size, scale_factors=list(tiles.scale_factors),
        sizes=[list(size) for size in tiles.sizes], root=tile_root(identifier),
    )  # fmt: skip


def _condition(artifact: Artifact, canvas: Canvas) -> None:
    """A released check whose accepted crack finding has an overlay (a diagonal band)."""
    check = Job.objects.create(
        kind="condition", artifact=artifact, status=Job.Status.DONE, finished_at=timezone.now()
    )
    w, h = WEB
    y, x = np.mgrid[0:h, 0:w]
    crack = np.abs(y - x * h / w) < 6
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[crack] = (230, 40, 40, 204)
    record = ConditionRecord.objects.create(
        artifact=artifact, job=check, source_asset=canvas.source, canvas=canvas,
        origin="image", image_index=0, width_px=RECTO[0], height_px=RECTO[1],
        model_version="e2e", released=True, summary={"preview": {"width": w, "height": h}},
        texture=ContentFile(_encode(picture(w, h, 0)), name="t.png"),
    )  # fmt: skip
    DamageFinding.objects.create(
        record=record, damage_class="crack", pixel_share=float(crack.mean()), review="accepted",
        mask=ContentFile(_encode(np.where(crack, 255, 0).astype(np.uint8)), name="crack.png"),
        overlay=ContentFile(_encode(rgba), name="crack-overlay.png"),
    )  # fmt: skip


def _restoration(artifact: Artifact, canvas: Canvas, original: np.ndarray) -> None:
    """An accepted surface restoration: the image greyed (easy to tell apart), its tiles, and
    a mask of generated pixels (a band across the middle)."""
    restored = original.copy()
    restored[:] = original.mean(axis=2, keepdims=True).astype(np.uint8)
    image = _image_asset(
        artifact, restored, kind=Asset.Kind.RESTORED, derived_from=canvas.source, public=True
    )
    publish_tiles(image, restored)
    mask = np.zeros((WEB[1], WEB[0]), np.uint8)
    mask[180:220, :] = 255
    data = _encode(mask)
    mask_asset = Asset(
        artifact=artifact, kind=Asset.Kind.RESTORED, label="generated-mask", byte_size=len(data),
        format="png", width_px=WEB[0], height_px=WEB[1], derived_from=canvas.source, public=True,
    )  # fmt: skip
    mask_asset.file.save("mask.png", ContentFile(data), save=False)
    mask_asset.save()
    RestorationJob.objects.create(
        artifact=artifact, kind="surface", status="done", review="accepted",
        finished_at=timezone.now(), restored_texture=image, generated_mask=mask_asset,
        report={"flat": True, "canvases": [{"canvas": canvas.pk, "image": image.pk,
                                             "mask": mask_asset.pk}]},
    )  # fmt: skip


def seed() -> dict[str, int]:
    artifact = Artifact.objects.create(
        object_number="E2E.FLAT.1",
        title="Deep zoom test sheet",
        status=PublicationStatus.PUBLISHED,
        form="flat",
    )
    canvases = []
    for order, (label, size, scale) in enumerate((("recto", RECTO, 100.0), ("verso", VERSO, None))):
        array = picture(*size, seed=order)
        source = _image_asset(artifact, array, kind=Asset.Kind.SOURCE)
        publish_tiles(source, array)
        canvas = Canvas.objects.create(
            artifact=artifact, order=order, label=label, source=source, width_px=size[0],
            height_px=size[1], pixels_per_cm=scale, scale_source="curator" if scale else "",
        )  # fmt: skip
        canvases.append(canvas)
        if order == 0:
            recto = array
    # The full-resolution tiles are the source's: released to visitors by the curator.
    exhibit_services.set_source_public(
        assets=artifact.assets.filter(kind=Asset.Kind.SOURCE), public=True
    )
    region = Annotation.objects.create(
        artifact=artifact, title="The blue disc", text="A disc painted in one stroke.",
        region={"canvas": canvases[0].pk, "xywh": [432, 352, 576, 576]},
        position=[], normal=[], camera_position=[], camera_target=[],
    )  # fmt: skip
    _condition(artifact, canvases[0])
    _restoration(artifact, canvases[0], recto)
    return {
        "artifact": artifact.pk,
        "recto": canvases[0].pk,
        "verso": canvases[1].pk,
        "region": region.pk,
    }
