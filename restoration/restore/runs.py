"""The work of a restoration job: the surface (inpaint every texture's crack, loss and
corrosion masks, the curator's corrections first) and the shape (plan_mesh on the model's holes,
then inpaint the texture under the new faces). Each returns an Output of files and regions that
restoration_services publishes in one transaction; nothing here writes to the database but
the job's progress."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from exhibits.intake.glb_document import GltfDocument
from exhibits.intake.limits import IntakeLimits
from exhibits.models import Asset
from restoration.condition import images, services
from restoration.models import ConditionRecord, DamageFinding, RestorationJob, RestoredRegion
from restoration.restore import files, preferences

RESTORED_CLASSES = ("crack", "loss", "corrosion")
SKIPPED_CLASSES = {
    "fading": "a colour change over large areas, not missing paint: inpainting would repaint "
    "intact surface",
}
PROGRESS_INTERVAL_S = 0.5


class RestorationFailed(Exception):
    """A job that cannot go on; the message is stored on the job for the curator."""


def set_stage(job: RestorationJob, stage: str, progress: int) -> None:
    job.stage, job.progress = stage, progress
    RestorationJob.objects.filter(pk=job.pk).update(
        stage=stage[:200], progress=min(99, max(1, progress))
    )


def progress_callback(
    job: RestorationJob, text: str, low: int, high: int
) -> Callable[[float], None]:
    """A callback taking the done fraction of one step, written at most every 0.5 s."""
    last = [0.0]

    def report(fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_INTERVAL_S:
            return
        last[0] = now
        set_stage(job, text, low + int((high - low) * min(max(fraction, 0.0), 1.0)))

    return report


@dataclass
class OutputFile:
    label: str
    name: str
    data: bytes
    fmt: str
    size: tuple[int, int] | None = None


@dataclass
class Output:
    source: Asset
    record: ConditionRecord | None
    model: OutputFile | None = None
    textures: list[OutputFile] = field(default_factory=list)
    masks: list[OutputFile] = field(default_factory=list)
    regions: list[RestoredRegion] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    device: str = ""


def _open_document(asset: Asset) -> tuple[GltfDocument, np.ndarray | None]:
    """The glTF of a model asset and the matrix that takes it to the web LODs' coordinates."""
    with asset.file.open("rb") as handle:
        data = handle.read()
    if asset.kind == Asset.Kind.SOURCE:
        # Imported here (the worker's path): the scan reader brings trimesh (~0.5 s per start).
        from exhibits.intake.sources import open_source

        name = asset.original_filename or asset.file.name or ""
        scan = open_source(data, name, IntakeLimits.from_settings())
        return scan.document, services._normalisation(asset)
    return GltfDocument.from_glb(data), None


def restore_surface(job: RestorationJob) -> Output:
    from restoration.inpaint import restore_texture

    clock = time.perf_counter()
    set_stage(job, "reading the condition record", 3)
    condition, records = services.latest_records(job.artifact)
    if not records:
        raise RestorationFailed(
            _("No condition record: run a condition check of this artifact first.")
        )
    source = records[0].source_asset
    if source is None:
        raise RestorationFailed(_("The condition record's model file no longer exists."))
    document, matrix = _open_document(source)
    timings = {"read": time.perf_counter() - clock}
    method = job.options.get("method", "auto")
    out = Output(source=source, record=records[0])
    textures_report, skipped = [], dict(SKIPPED_CLASSES)
    inpaint_seconds = 0.0
    for number, record in enumerate(records):
        image_bytes = document.image_bytes(record.image_index)
        rgb, alpha = files.decode_texture(image_bytes)
        height, width = rgb.shape[:2]
        masks = _damage_masks(record, width, height)
        mask = np.zeros((height, width), dtype=bool)
        for class_mask in masks.values():
            mask |= class_mask
        entry: dict[str, Any] = {
            "image_index": record.image_index,
            "record": record.pk,
            "pixels": 0,
        }
        if not mask.any():
            entry["note"] = "no crack, loss or corrosion on this texture"
            textures_report.append(entry)
            continue
        low = 10 + int(80 * number / len(records))
        high = 10 + int(80 * (number + 1) / len(records))
        text = f"inpainting texture {number + 1} of {len(records)}"
        set_stage(job, text, low)
        prefer = None
        if method == "plan":  # curators' bandit picks among near-best candidates
            prefer = preferences.texture_preference(
                materials=job.artifact.materials or "", damage_class="+".join(masks)
            )
        result = restore_texture(
            rgb,
            mask,
            method=method,
            device=job.device,
            progress=progress_callback(job, text, low, high),
            prefer=prefer,
        )
        inpaint_seconds += result.seconds
        out.device = result.device
        # Only the masked pixels change (the core guarantees it; kept true here too).
        restored = np.where(mask[..., None], result.image, rgb).astype(np.uint8)
        png = files.encode_texture(restored, alpha)
        document.replace_image(record.image_index, png, "image/png")
        stem = f"restored-t{record.image_index}"
        out.textures.append(
            OutputFile("surface-texture", f"{stem}.png", png, "png", (width, height))
        )
        out.masks.append(
            OutputFile(
                "surface-mask", f"{stem}-mask.png", images.mask_png(mask), "png", (width, height)
            )
        )
        for region in result.regions:
            x0, y0, x1, y1 = region.bbox
            classes = [n for n, m in masks.items() if m[y0:y1, x0:x1].any()]
            out.regions.append(
                texture_region(
                    region,
                    image_index=record.image_index,
                    classes=classes,
                    bbox=list(region.bbox),
                )
            )
        entry.update(
            pixels=int(mask.sum()),
            share=round(float(mask.mean()), 6),
            classes={name: int(m.sum()) for name, m in masks.items()},
            regions=len(result.regions),
            method=result.method,
        )
        textures_report.append(entry)
    if not out.textures:
        raise RestorationFailed(
            _("Nothing to restore: the condition check found no crack, loss or corrosion.")
        )
    timings["inpaint"] = inpaint_seconds
    set_stage(job, "writing the restored model", 92)
    if matrix is not None:
        document.wrap_roots(matrix)
    out.model = OutputFile("surface", "restored-surface.glb", document.to_glb(), "glb")
    out.timings = timings
    out.report = {
        "condition_job": condition.pk if condition else None,
        "source_asset": source.pk,
        "method": method,
        "textures": textures_report,
        "skipped_classes": skipped,
        "score": "higher is better: with method 'plan' and a calibration installed, the "
        "predicted PSNR inside the region (dB); else boundary consistency, and realism where "
        "the model has it",
    }
    return out


def _damage_masks(record: ConditionRecord, width: int, height: int) -> dict[str, np.ndarray]:
    """Per restored class: the newest curator correction in force for the record's texture
    (carried forward from earlier checks) where there is one, else the finding."""
    corrected: dict[str, Any] = {}
    for correction in record.applied_corrections:  # newest first (model ordering)
        corrected.setdefault(correction.damage_class, correction.mask)
    masks = {}
    for finding in record.findings.all():
        if finding.damage_class not in RESTORED_CLASSES:
            continue
        if finding.review == DamageFinding.Review.DISMISSED:  # a curator said: not damage
            continue
        field_file = corrected.pop(finding.damage_class, None) or finding.mask
        with field_file.open("rb") as handle:
            masks[finding.damage_class] = files.read_binary_mask(
                handle.read(), width=width, height=height
            )
    for name, field_file in corrected.items():  # a class the curator added by hand
        if name in RESTORED_CLASSES:
            with field_file.open("rb") as handle:
                masks[name] = files.read_binary_mask(handle.read(), width=width, height=height)
    return masks


def texture_region(
    region: Any, *, image_index: int, classes: list[str], bbox: list[int]
) -> RestoredRegion:
    """The provenance row of one filled region of an image (a texture or a flat work's canvas),
    `bbox` in that image's pixels; unsaved."""
    return RestoredRegion(
        kind=RestoredRegion.Kind.TEXTURE,
        image_index=image_index,
        damage_class=",".join(classes)[:32],
        bbox=bbox,
        size=region.pixels,
        method=region.method[:60],
        model_version=region.model_version[:120],
        score=region.score,
        confidence=region.confidence,
        seconds=region.seconds,
        candidates=[_candidate(c) for c in region.candidates],
    )


def _candidate(candidate: Any) -> dict[str, Any]:
    data = candidate if isinstance(candidate, dict) else vars(candidate)
    return {k: v for k, v in data.items() if k in ("method", "score", "parts", "terms", "error")}


def restore_shape(job: RestorationJob) -> Output:
    from exhibits.intake.gltf import load_glb
    from restoration.mesh.confidence import ShapeConfidence
    from restoration.restore.method_choice import plan_mesh

    clock = time.perf_counter()
    set_stage(job, "reading the mesh", 3)
    web = job.artifact.web_model()
    source = web.derived_from if web is not None and web.kind == Asset.Kind.LOD else web
    if source is None:
        raise RestorationFailed(_("The artifact has no 3D model to restore."))
    document, matrix = _open_document(source)
    mesh = load_glb(document.to_glb())
    timings = {"read": time.perf_counter() - clock}
    set_stage(job, "trying fill, symmetry and revolution on every hole", 10)
    clock = time.perf_counter()
    device = "cuda" if job.device.startswith("cuda") else "cpu"
    plan = plan_mesh(mesh, device=device)
    calibration = ShapeConfidence.load()
    # With reviews to learn from, the curators' bandit picks among candidates whose scores are
    # within the planner's tolerance of the best; without, the best score wins.
    bandit, context = preferences.shape_context(materials=job.artifact.materials or "")
    chosen = [region.choose(bandit, context=context) for region in plan.regions]
    repaired = plan.assemble(chosen)
    timings["plan"] = time.perf_counter() - clock
    original_faces = len(mesh.faces)
    out = Output(source=source, record=None, device=job.device)
    for region, best in zip(plan.regions, chosen, strict=True):
        if best.patch is None:
            continue
        out.regions.append(
            RestoredRegion(
                kind=RestoredRegion.Kind.GEOMETRY,
                damage_class="hole",
                bbox=_bbox(best.patch.points),
                size=len(best.patch.faces),
                method=best.method,
                model_version="restoration.restore.method_choice",
                score=float(best.score),
                confidence=(
                    calibration.confidence(best.terms.get("ring_error")) if calibration else None
                ),
                seconds=round(best.patch.seconds, 4),
                candidates=[c.as_dict() for c in region.candidates],
            )
        )
    if not out.regions:
        reasons = "; ".join({c.error for r in plan.regions for c in r.candidates if c.error})
        raise RestorationFailed(_("No hole could be filled: %s") % (reasons or "unknown"))
    set_stage(job, "filling the texture under the new faces", 70)
    clock = time.perf_counter()
    texture_note = _fill_new_texture(job, repaired, original_faces, out)
    timings["texture"] = time.perf_counter() - clock
    set_stage(job, "writing the restored model", 92)
    glb = files.shape_glb(repaired, original_faces, matrix)
    out.model = OutputFile("shape", "restored-shape.glb", glb, "glb")
    out.timings = timings
    out.report = {
        "source_asset": source.pk,
        "holes_found": len(plan.regions),
        "holes_filled": len(out.regions),
        "faces_added": len(repaired.faces) - original_faces,
        "texture": texture_note,
        "score": "lower is better: the rehearsal's ring error relative to the flat cap (another "
        "method than CGAL's fill divided by the margin it must beat it by); the seam crease, "
        "curvature jump and fit terms where the rehearsal could not run",
        "confidence": "estimated probability that the fill is at most half as far from the lost "
        "surface as a flat cap (calibrated on validation holes); none where no rehearsal ran",
        "plan": plan.as_dict(),
    }
    return out


def _bbox(points: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in (*points.min(axis=0), *points.max(axis=0))]


def _fill_new_texture(job: RestorationJob, repaired: Any, original_faces: int, out: Output) -> str:
    """Inpaint the texels under the new faces (texels that original faces still use are left
    alone: the original's appearance never changes). Returns a note for the report."""
    from PIL import Image

    from restoration.inpaint import InpaintInputError, restore_texture

    image = files.material_image(repaired)
    if image is None:
        return "the mesh has no texture: only geometry was restored"
    rgb = np.asarray(image.convert("RGB")).copy()
    height, width = rgb.shape[:2]
    uv = np.asarray(repaired.visual.uv)
    new = files.uv_mask(uv, repaired.faces[original_faces:], width, height)
    used = files.uv_mask(uv, repaired.faces[:original_faces], width, height)
    mask = new & ~used
    if not mask.any():
        return "the new faces map onto texels the original uses: texture left unchanged"
    try:
        result = restore_texture(
            rgb, mask, method=job.options.get("method", "auto"), device=job.device
        )
    except InpaintInputError as exc:
        return f"texture not filled: {exc}"
    restored = np.where(mask[..., None], result.image, rgb).astype(np.uint8)
    files.set_material_image(repaired, Image.fromarray(restored))
    size, png = (width, height), files.encode_texture(restored)
    out.textures.append(OutputFile("shape-texture", "restored-shape-texture.png", png, "png", size))
    out.masks.append(
        OutputFile("shape-mask", "restored-shape-mask.png", images.mask_png(mask), "png", size)
    )
    return f"{int(mask.sum())} texels under the new faces inpainted ({result.method})"
