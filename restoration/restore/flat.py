"""The surface restoration of a flat work: each canvas's source image inpainted where the newest
condition check (or a curator's correction) marks crack, loss or corrosion, by cells of
CELL x CELL pixels with MARGIN pixels of context, the image read and written by bands (never
whole in memory). The restored image is a RESTORED Asset derived from the source, with its own
IIIF Image service (static tiles, `exhibits.imaging.tiles`), and the generated-regions mask a
RESTORED PNG at the web copy's size (white where pixels were generated) the viewer tints.
Review and provenance as for textures: RestoredRegion per filled region, visitors see accepted
restorations only (restoration.restore.visibility)."""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pyvips
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from exhibits.imaging.stored_tiles import local_image_path
from restoration.condition import images, services
from restoration.models import ConditionRecord, DamageFinding, RestorationJob, RestoredRegion
from restoration.restore import preferences, runs
from restoration.restore.runs import RESTORED_CLASSES, RestorationFailed

CELL = 1024  # pixels inpainted per call, at most CELL² (+ context)
MARGIN = 96  # context around a cell: regions crossing a cell edge see both sides
JPEG_QUALITY = 95
WEB_SIDE = 2048  # the generated-regions mask's long side when the canvas has no web copy


@dataclass
class CanvasOutput:
    """One restored canvas, its files still in the job's temporary folder."""

    record: ConditionRecord
    image_path: Path
    tiles_dir: Path
    tileset: Any  # exhibits.imaging.tiles.TileSet
    mask_png: bytes
    mask_size: tuple[int, int]
    regions: list[RestoredRegion] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)


def damage_mask_files(record: ConditionRecord) -> dict[str, FieldFile]:
    """Per restored class: the newest curator correction in force, else the finding's mask
    (dismissed findings are not restored): what `runs._damage_masks` reads for a texture."""
    corrected: dict[str, FieldFile] = {}
    for correction in record.applied_corrections:  # newest first
        corrected.setdefault(correction.damage_class, correction.mask)
    chosen: dict[str, FieldFile] = {}
    for finding in record.findings.all():
        if finding.damage_class not in RESTORED_CLASSES:
            continue
        if finding.review == DamageFinding.Review.DISMISSED:
            continue
        chosen[finding.damage_class] = corrected.pop(finding.damage_class, finding.mask)
    chosen |= {name: f for name, f in corrected.items() if name in RESTORED_CLASSES}
    return chosen


def _union_mask(paths: list[Path], width: int, height: int) -> pyvips.Image:
    """The union of the class masks (any size: a correction drawn smaller is scaled, nearest)
    as a lazy one-band image, 255 = damage."""
    union = None
    for path in paths:
        mask = pyvips.Image.new_from_file(str(path), access="sequential")
        if mask.hasalpha():
            mask = mask.flatten(background=[0])
        mask = mask.colourspace("b-w")[0] if mask.bands > 1 else mask
        if (mask.width, mask.height) != (width, height):
            mask = mask.resize(width / mask.width, vscale=height / mask.height, kernel="nearest")
        if mask.format != "uchar":
            mask = mask.cast("uchar")
        binary = mask >= 128
        union = binary if union is None else union | binary
    return union


class _Rows:
    """Rows of a lazy image fetched once, in order, kept while a later band needs them."""

    def __init__(self, image: pyvips.Image) -> None:
        self.image = image
        self.top = 0
        self.rows = np.zeros((0, image.width, image.bands), np.uint8)

    def window(self, top: int, bottom: int) -> np.ndarray:
        have = self.top + len(self.rows)
        if bottom > have:
            crop = self.image.crop(0, have, self.image.width, bottom - have)
            new = np.frombuffer(crop.write_to_memory(), np.uint8)
            new = new.reshape(bottom - have, self.image.width, self.image.bands)
            self.rows = np.concatenate([self.rows, new])
        self.rows, self.top = self.rows[top - self.top :], top
        return self.rows[: bottom - top]


def _join(paths: list[Path]) -> pyvips.Image:
    parts = [pyvips.Image.new_from_file(str(p), access="sequential") for p in paths]
    while len(parts) > 1:  # balanced joins, top to bottom
        pairs = zip(parts[::2], parts[1::2], strict=False)
        parts = [a.join(b, "vertical") for a, b in pairs] + ([parts[-1]] if len(parts) % 2 else [])
    return parts[0]


def restore_canvas(
    job: RestorationJob,
    record: ConditionRecord,
    folder: Path,
    *,
    progress: Callable[[float], None],
) -> CanvasOutput:
    """Inpaint one canvas by cells and write the restored image, its tiles and mask."""
    from exhibits.imaging.raster import open_srgb
    from exhibits.imaging.tiles import write_iiif_tiles
    from restoration.inpaint import InpaintInputError, restore_texture

    canvas = record.canvas
    assert canvas is not None
    mask_files = damage_mask_files(record)
    if not mask_files:
        raise RestorationFailed(_("Nothing to restore: no crack, loss or corrosion was found."))
    method = job.options.get("method", "auto")
    prefer = None
    if method == "plan":
        prefer = preferences.texture_preference(
            materials=job.artifact.materials or "", damage_class="+".join(mask_files)
        )
    work = folder / f"canvas{canvas.pk}"
    work.mkdir()
    mask_paths = []
    for name, field_file in mask_files.items():
        path = work / f"mask-{name}.png"
        with field_file.open("rb") as source, path.open("wb") as target:
            target.write(source.read())
        mask_paths.append(path)
    web = canvas.web_image()
    with local_image_path(canvas.source.file) as source_path:
        image = open_srgb(source_path)
        width, height = image.width, image.height
        union = _union_mask(mask_paths, width, height)
        web_w, web_h = (web.width_px, web.height_px) if web and web.width_px else (0, 0)
        if not (web_w and web_h):
            scale = min(1.0, WEB_SIDE / max(width, height))
            web_w, web_h = max(1, round(width * scale)), max(1, round(height * scale))
        factor = max(1, math.ceil(max(width / web_w, height / web_h)))
        # Here, not at the top: tiled_image imports torch, and the web process imports this
        # module (flat_work_restorations) without ever restoring.
        from restoration.damage.tiled_image import Pooler

        pooler = Pooler(factor, width)
        pixels, damage = _Rows(image), _Rows(union)
        bands, regions, problems, filled, seconds = [], [], [], 0, 0.0
        tops = list(range(0, height, CELL))
        for number, y0 in enumerate(tops):
            y1 = min(height, y0 + CELL)
            top, bottom = max(0, y0 - MARGIN), min(height, y1 + MARGIN)
            rgb = pixels.window(top, bottom)
            mask = damage.window(top, bottom)[..., 0] > 0
            for x0 in range(0, width, CELL):
                x1 = min(width, x0 + CELL)
                core = mask[y0 - top : y1 - top, x0:x1]
                if not core.any():
                    continue
                left, right = max(0, x0 - MARGIN), min(width, x1 + MARGIN)
                try:
                    result = restore_texture(
                        rgb[:, left:right].copy(), mask[:, left:right], method=method,
                        device=job.device, prefer=prefer,
                    )  # fmt: skip
                except InpaintInputError as exc:
                    problems.append(f"cell at {x0},{y0}: {exc}")
                    continue
                seconds += result.seconds
                out = result.image[y0 - top : y1 - top, x0 - left : x1 - left]
                rgb[y0 - top : y1 - top, x0:x1][core] = out[core]
                filled += int(core.sum())
                regions += _regions(result.regions, record, (left, top), (x0, y0, x1, y1))
            band = np.ascontiguousarray(rgb[y0 - top : y1 - top])
            path = work / f"band{number:05d}.v"
            pyvips.Image.new_from_memory(band.tobytes(), width, y1 - y0, 3, "uchar").write_to_file(
                str(path)
            )
            bands.append(path)
            pooler.add(mask[None, y0 - top : y1 - top], last=y1 == height)
            progress((number + 1) / len(tops))
    if not filled:
        raise RestorationFailed(
            " ".join([_("Nothing to restore: the masks mark no pixel of the image."), *problems])
        )
    image_path = work / "restored.jpg"
    _join(bands).jpegsave(str(image_path), Q=JPEG_QUALITY, keep="none")
    for path in bands:
        path.unlink()
    tiles_dir = work / "tiles"
    tileset = write_iiif_tiles(image_path, tiles_dir)
    pooled = pooler.result(1, bool)[0].astype(np.uint8)
    generated = cv2.resize(pooled, (web_w, web_h), interpolation=cv2.INTER_NEAREST) > 0
    return CanvasOutput(
        record=record,
        image_path=image_path,
        tiles_dir=tiles_dir,
        tileset=tileset,
        mask_png=images.mask_png(generated),
        mask_size=(web_w, web_h),
        regions=regions,
        report={
            "canvas": canvas.pk,
            "record": record.pk,
            "width": width,
            "height": height,
            "pixels": filled,
            "share": round(filled / (width * height), 8),
            "classes": sorted(mask_files),
            "regions": len(regions),
            "method": method,
            "inpaint_seconds": round(seconds, 3),
            "problems": problems,
        },
    )


def _regions(
    found: list[Any],
    record: ConditionRecord,
    offset: tuple[int, int],
    core: tuple[int, int, int, int],
) -> list[RestoredRegion]:
    """The inpainter's regions in image pixels, clipped to the cell (context is not kept)."""
    left, top = offset
    out = []
    for region in found:
        x0, y0, x1, y1 = region.bbox
        x0, x1 = max(core[0], x0 + left), min(core[2], x1 + left)
        y0, y1 = max(core[1], y0 + top), min(core[3], y1 + top)
        if x0 >= x1 or y0 >= y1:
            continue
        classes = [
            f.damage_class
            for f in record.findings.all()
            if f.damage_class in RESTORED_CLASSES and _touches(f.regions, (x0, y0, x1, y1))
        ]
        out.append(
            runs.texture_region(
                region, image_index=record.image_index, classes=classes, bbox=[x0, y0, x1, y1]
            )
        )
    return out


def _touches(boxes: list[list[int]], box: tuple[int, int, int, int]) -> bool:
    x0, y0, x1, y1 = box
    return any(x < x1 and x0 < x + w and y < y1 and y0 < y + h for x, y, w, h in boxes)


def restore_flat(job: RestorationJob) -> None:
    """The surface job of a flat work: every canvas of the newest condition check with damage,
    published at once (restoration.restore.flat_publish)."""
    from restoration.restore import flat_publish

    clock = time.perf_counter()
    runs.set_stage(job, "reading the condition record", 3)
    condition, records = services.latest_records(job.artifact)
    records = [r for r in records if r.canvas_id is not None]
    if not records:
        raise RestorationFailed(
            _("No condition record of the images: run a condition check of this work first.")
        )
    outputs, notes = [], []
    with tempfile.TemporaryDirectory(prefix="mouseion-restore-") as folder:
        for number, record in enumerate(records):
            low, high = 5 + 85 * number // len(records), 5 + 85 * (number + 1) // len(records)
            text = f"inpainting image {number + 1} of {len(records)}"
            runs.set_stage(job, text, low)
            try:
                outputs.append(
                    restore_canvas(
                        job, record, Path(folder),
                        progress=runs.progress_callback(job, text, low, high),
                    )
                )  # fmt: skip
            except RestorationFailed as exc:
                notes.append({"canvas": record.canvas_id, "note": str(exc)})
            except pyvips.Error as exc:  # a truncated or damaged file: said for people
                from exhibits.imaging.raster import read_error

                raise read_error(exc) from exc
        if not outputs:
            raise RestorationFailed(
                _("Nothing to restore: the condition check found no crack, loss or corrosion.")
            )
        runs.set_stage(job, "publishing the restored images", 92)
        flat_publish.publish(
            job,
            outputs,
            condition_job=condition.pk if condition else None,
            notes=notes,
            seconds=time.perf_counter() - clock,
        )


def flat_work_restorations(artifact: Any, user: Any) -> list[dict[str, Any]]:
    """Per canvas, the newest finished surface restoration `user` may see (visitors: the
    accepted one only): [{canvas, job, review, info_url (the restored image's IIIF info.json,
    site-relative), generated_regions_url (white where generated, the web copy's size),
    width, height}]."""
    from exhibits.models import Asset, ImageService
    from restoration.restore.services import visible_restorations

    shown: dict[int, dict[str, Any]] = {}
    done = visible_restorations(artifact=artifact, user=user).filter(
        kind=RestorationJob.Kind.SURFACE, status=RestorationJob.Status.DONE
    )
    for job in done:
        for entry in (job.report or {}).get("canvases", []):
            if entry.get("canvas") in shown:
                continue  # a newer restoration of this canvas came first
            service = ImageService.objects.filter(asset_id=entry.get("image")).first()
            mask = Asset.objects.filter(pk=entry.get("mask")).first()
            if service is None or mask is None:
                continue
            shown[entry["canvas"]] = {
                "canvas": entry["canvas"],
                "job": job.pk,
                "review": job.review,
                "info_url": f"/iiif/3/{service.identifier}/info.json",
                "generated_regions_url": mask.file.url,
                "width": service.width,
                "height": service.height,
            }
    return list(shown.values())
