"""The condition check of a flat work: each canvas's source image analysed at full resolution by
strips (restoration.damage.tiled_image over `exhibits.imaging.raster.open_srgb`), stored in the
same ConditionRecord and DamageFinding as a texture's.

Full resolution: each finding's mask (1-bit PNG, the image's size: what a restoration inpaints)
and its regions (boxes in image pixels). At the web copy's size: the record's pictures (image,
overlay, probability, Grad-CAM) and each finding's probability and overlay (the class's colour,
transparent elsewhere: the deep-zoom page lays it over the image).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pyvips

from exhibits.collection.services import mark_job
from exhibits.imaging.stored_tiles import local_image_path
from exhibits.models import Artifact, Asset, Canvas, Job
from restoration.condition import change, images, services
from restoration.condition.services import _Output
from restoration.models import ConditionRecord, DamageFinding

PREVIEW_SIDE = 2048  # the web copy's long side at most (contract): pictures when it is missing


def check(job: Job, model: Any) -> None:
    """The condition job's body for a flat work (services._check): every canvas, stored at
    once by services._finish like a model's textures."""
    assert job.artifact is not None
    mark_job(job, status=Job.Status.RUNNING, progress=1, stage="reading images")
    found = canvases(job.artifact)
    if not found:
        report = {"canvases": 0, "note": "no image", "problems": []}
        services._finish(job, [], report=report, stage=services.NOTHING_ANALYSED_FLAT)
        return
    from restoration.damage import load_model

    model = model or load_model(services.damage_weights())
    outputs = []
    for number, canvas in enumerate(found):
        progress = services._progress(job, number, len(found), unit="image")
        outputs.append(analyse_canvas(canvas, model, progress, job=job))
    report = {
        "canvases": len(outputs),
        "origin": ConditionRecord.Origin.IMAGE,
        "asset_ids": [canvas.source_id for canvas in found],
        "problems": [],
        "model_version": outputs[0].record.model_version,
        "megapixels": round(sum(c.width_px * c.height_px for c in found) / 1e6, 3),
    }
    services._finish(job, outputs, report=report)


def canvases(artifact: Artifact) -> list[Canvas]:
    """The artifact's canvases in order, with their sources."""
    return list(artifact.canvases.select_related("source").order_by("order", "pk"))


def _decode(asset: Asset) -> np.ndarray:
    from restoration.damage import load_image

    with asset.file.open("rb") as handle:
        return load_image(handle.read())


def _web_pixels(canvas: Canvas, path: Path) -> np.ndarray:
    """The canvas's web copy as RGB, or (before the intake made it) a reduced copy of the source."""
    from exhibits.imaging.raster import open_srgb

    web = canvas.web_image()
    if web is not None:
        return _decode(web)
    image = open_srgb(path)
    scale = min(1.0, PREVIEW_SIDE / max(image.width, image.height))
    small = image.resize(scale) if scale < 1.0 else image
    return np.asarray(small.numpy(), dtype=np.uint8)[..., :3]


def _fit(array: np.ndarray, width: int, height: int, *, nearest: bool) -> np.ndarray:
    mode = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    return cv2.resize(array, (width, height), interpolation=mode)


def class_overlay(mask: np.ndarray, name: str) -> bytes:
    """RGBA PNG: the class's colour (80 % opaque) where damaged, transparent elsewhere."""
    rgba = np.zeros((*mask.shape, 4), np.uint8)
    rgba[mask] = (*images.CLASS_COLOURS.get(name, (255, 255, 255)), 204)
    return images.encode_png(rgba)


def _colour(values: np.ndarray, colormap: int) -> np.ndarray:
    u8 = np.clip(np.rint(values * 255.0), 0, 255).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(u8, colormap), cv2.COLOR_BGR2RGB)


def analyse_canvas(
    canvas: Canvas, model: Any, progress: Callable[[float], None], *, job: Job
) -> _Output:
    """Detect damage on one canvas's source image; nothing is stored here (services._finish)."""
    from exhibits.imaging.raster import open_srgb, read_error
    from restoration.damage import explain
    from restoration.damage.tiled_image import detect_image

    source = canvas.source
    metres = 0.01 / canvas.pixels_per_cm if canvas.pixels_per_cm else None
    with local_image_path(source.file) as path, tempfile.TemporaryDirectory() as folder:
        web = _web_pixels(canvas, path)
        height, width = web.shape[:2]
        try:
            result = detect_image(
                open_srgb(path), Path(folder), model=model, progress=progress,
                preview_side=max(width, height),
            )  # fmt: skip
        except pyvips.Error as exc:  # a truncated or damaged file: said for people
            raise read_error(exc) from exc
        masks = {name: file.read_bytes() for name, file in result.mask_paths.items()}
    web_masks = {
        name: _fit(m.astype(np.uint8), width, height, nearest=True).astype(bool)
        for name, m in result.preview_masks.items()
    }
    probabilities = [_fit(p, width, height, nearest=False) for p in result.preview_probabilities]
    cam = explain(web, model, "crack")
    heat = cv2.addWeighted(web, 0.5, _colour(cam, cv2.COLORMAP_JET), 0.5, 0)
    stem = f"c{canvas.pk}"
    summary = json.loads(json.dumps(result.summary(metres_per_pixel=metres), default=str))
    summary.update(canvas=canvas.pk, preview={"width": width, "height": height})
    summary["explain_class"] = "crack"
    record = ConditionRecord(
        artifact=canvas.artifact,
        source_asset=source,
        canvas=canvas,
        origin=ConditionRecord.Origin.IMAGE,
        image_index=canvas.order,
        texture_name=(canvas.label or source.original_filename or "")[:200],
        material_names=[],
        width_px=result.width,
        height_px=result.height,
        metres_per_pixel=metres,
        model_version=result.model_version[:120],
        summary=summary,
        seconds=round(float(result.seconds), 3),
        # The same image analysed again gives the same key (corrections carry forward).
        texture_key=f"{result.width}x{result.height}-img-{source.sha256[:32]}",
    )
    peak = np.max(np.stack(probabilities), axis=0) if probabilities else np.zeros_like(cam)
    files = {
        "texture": (f"{stem}-image.jpg", images.encode_jpeg(web)),
        "overlay": (
            f"{stem}-overlay.png",
            images.encode_png(images.overlay_image(web, web_masks, max(width, height))),
        ),
        "probability": (
            f"{stem}-probability.png",
            images.encode_png(_colour(peak, cv2.COLORMAP_INFERNO)),
        ),
        "explanation": (f"{stem}-gradcam.jpg", images.encode_jpeg(heat)),
    }
    previous = change.previous_record(artifact=canvas.artifact, image_index=canvas.order, job=job)
    if previous is not None and previous.canvas_id == canvas.pk:
        record.summary["change"], heat_map = change.change_since(previous, web, record.texture_key)
        if heat_map is not None:
            files["change_map"] = (f"{stem}-change.png", heat_map)
    findings = []
    for index, name in enumerate(result.classes):
        area = result.pixels[name] * metres**2 * 1e4 if metres is not None else None
        finding = DamageFinding(
            damage_class=name,
            pixel_share=result.pixels[name] / (result.width * result.height),
            area_cm2=round(area, 4) if area is not None else None,
            regions=result.regions[name],
        )
        probability = np.rint(np.clip(probabilities[index], 0, 1) * 255).astype(np.uint8)
        findings.append(
            (
                finding,
                f"{stem}-{name}-mask.png",
                masks[name],
                f"{stem}-{name}-p.png",
                images.encode_png(probability),
                f"{stem}-{name}-overlay.png",
                class_overlay(web_masks[name], name),
            )
        )
    return _Output(record, files, findings)
