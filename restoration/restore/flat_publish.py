"""Publishing a flat work's surface restoration in one transaction: per canvas the restored
image (a RESTORED Asset derived from the source) with its IIIF Image service (tiles stored under
`iiif/<identifier>/`), the generated-regions mask, the regions' provenance; then the job's
completion. Only the attempt that holds the claim writes (museum.jobs.hold), and the files of a
rolled-back try are deleted."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction

from exhibits.models import Asset, ImageService
from museum import jobs
from restoration.models import RestorationJob, RestoredRegion

if TYPE_CHECKING:
    from restoration.restore.flat import CanvasOutput

IMAGE_LABEL = "surface-image"
MASK_LABEL = "surface-mask"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _image_asset(job: RestorationJob, output: CanvasOutput) -> Asset:
    canvas = output.record.canvas
    assert canvas is not None
    path = output.image_path
    asset = Asset(
        artifact=job.artifact,
        kind=Asset.Kind.RESTORED,
        label=IMAGE_LABEL,
        original_filename=f"restored-c{canvas.pk}.jpg",
        sha256=_sha256(path),
        byte_size=path.stat().st_size,
        format="jpeg",
        width_px=output.tileset.width,
        height_px=output.tileset.height,
        derived_from=canvas.source,
    )
    with path.open("rb") as handle:
        asset.file.save(f"job{job.pk}-restored-c{canvas.pk}.jpg", File(handle), save=False)
    asset.save()
    return asset


def _mask_asset(job: RestorationJob, output: CanvasOutput) -> Asset:
    canvas = output.record.canvas
    assert canvas is not None
    data = output.mask_png
    asset = Asset(
        artifact=job.artifact,
        kind=Asset.Kind.RESTORED,
        label=MASK_LABEL,
        original_filename=f"restored-c{canvas.pk}-mask.png",
        sha256=hashlib.sha256(data).hexdigest(),
        byte_size=len(data),
        format="png",
        width_px=output.mask_size[0],
        height_px=output.mask_size[1],
        derived_from=canvas.source,
    )
    asset.file.save(f"job{job.pk}-restored-c{canvas.pk}-mask.png", ContentFile(data), save=False)
    asset.save()
    return asset


def publish(
    job: RestorationJob,
    outputs: list[CanvasOutput],
    *,
    condition_job: int | None,
    notes: list[dict[str, Any]],
    seconds: float,
) -> None:
    """Store every canvas's files, services and regions at once, then complete the job.

    The tiles are copied into the storage first, under identifiers noted in the job's report
    (`pending_tiles`) so the clean-up of a killed attempt finds them (`remove_pending_tiles`)."""
    from exhibits.imaging.models import new_identifier
    from exhibits.imaging.stored_tiles import delete_tiles, store_tiles, tile_root

    identifiers = [new_identifier() for _ in outputs]
    pending = {**(job.report or {}), "pending_tiles": identifiers}
    RestorationJob.objects.filter(pk=job.pk).update(report=pending)
    saved_assets: list[Asset] = []
    stored: list[str] = []
    try:
        for output, identifier in zip(outputs, identifiers, strict=True):
            store_tiles(output.tiles_dir, tile_root(identifier))
            stored.append(identifier)
        with transaction.atomic():
            jobs.hold(job)  # only the attempt that holds the claim writes files
            canvases: list[dict[str, Any]] = []
            for output, identifier in zip(outputs, identifiers, strict=True):
                image = _image_asset(job, output)
                saved_assets.append(image)
                mask = _mask_asset(job, output)
                saved_assets.append(mask)
                tiles = output.tileset
                ImageService.objects.create(
                    asset=image,
                    identifier=identifier,
                    width=tiles.width,
                    height=tiles.height,
                    tile_size=tiles.tile_size,
                    scale_factors=list(tiles.scale_factors),
                    sizes=[list(size) for size in tiles.sizes],
                    root=tile_root(identifier),
                )
                for region in output.regions:
                    region.job = job
                RestoredRegion.objects.bulk_create(output.regions)
                canvases.append(
                    {**output.report, "image": image.pk, "mask": mask.pk, "service": identifier}
                )
            first = outputs[0].record.canvas
            assert first is not None
            report = {
                "condition_job": condition_job,
                "source_asset": first.source_id,
                "method": job.options.get("method", "auto"),
                "flat": True,
                "canvases": canvases,
                "skipped": notes,
                "score": "higher is better (boundary consistency, realism where the model has it)",
                "assets": {
                    "model": None,
                    "textures": [c["image"] for c in canvases],
                    "masks": [c["mask"] for c in canvases],
                },
            }
            inpaint = sum(c["inpaint_seconds"] for c in canvases)
            jobs.complete(
                job,
                device=job.device,
                timings={"total": round(seconds, 3), "inpaint": round(inpaint, 3)},
                report=report,
                condition_record=outputs[0].record,
                source_asset=first.source,
                restored_model=None,
                restored_texture=saved_assets[0],
                generated_mask=saved_assets[1],
            )
    except BaseException:
        for asset in saved_assets:
            if asset.file.name:
                asset.file.storage.delete(asset.file.name)
        for identifier in stored:
            delete_tiles(tile_root(identifier))
        raise


def remove_pending_tiles(job: RestorationJob) -> None:
    """Clean-up of a failed attempt: tile folders it noted but never published."""
    from exhibits.imaging.stored_tiles import delete_unpublished_tiles

    delete_unpublished_tiles(list((job.report or {}).get("pending_tiles", [])))
