"""Intake from bytes to web exhibit, framework-free: validate and clean, normalise, build the
LOD ladder, render a thumbnail (textured through GL, clay without it). Django glue (storage,
jobs, progress) lives in services.

Published in stages (`publish`): thumb, web and the thumbnail image first, the first viewable
copy; then the inspection level of a large source. Memory stays near gltfpack's own: gltfpack
reads the source file itself (an unchanged GLB upload is passed as it is, and its web level is
started while Python still validates it), the parsed document is released before the levels
are built, and a large source's preview is drawn in a child process before its inspection run.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exhibits.intake.errors import IntakeError
from exhibits.intake.glb_document import DRACO, GltfDocument, glb_json
from exhibits.intake.limits import IntakeLimits
from exhibits.intake.lod import LadderBuild, LadderSettings, LodOutput
from exhibits.intake.normalise import Normalisation, normalisation_for
from exhibits.intake.preview_apart import render_preview_apart
from exhibits.intake.sources import SourceScan, open_source, scene_bounds
from exhibits.intake.textures import largest_texture_side
from exhibits.intake.thumbnail_gl import render_preview
from exhibits.intake.viewpoints import default_view, normalised_bounds

Progress = Callable[[int, str], None]
WEB_PUBLISHED = "web copy published; building the inspection level"
LADDER = ("thumb", "web", "inspection")
PREVIEW_NEXT = "web copy published; drawing the preview image"


@dataclass(frozen=True)
class IntakeOptions:
    unit: str | None = None
    scale: float | None = None
    up_axis: str | None = None
    thumbnail_px: int = 512


@dataclass
class IntakeStage:
    """What one stage publishes: levels, or the preview image (None: not in this stage).
    `final` is the stage that completes the intake."""

    report: dict[str, Any]
    normalisation: Normalisation
    lods: list[LodOutput]
    thumbnail_png: bytes | None
    thumbnail_px: int
    final: bool
    after: str = ""  # what the job does next, for its progress text


@dataclass
class IntakeResult:
    report: dict[str, Any]
    normalisation: Normalisation
    lods: list[LodOutput]
    thumbnail_png: bytes
    thumbnail_px: int
    stages: list[IntakeStage] = field(default_factory=list)


def _quiet(percent: int, stage: str) -> None:
    return None


def _ignore(stage: IntakeStage) -> None:
    return None


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None


def _return_freed_memory() -> None:
    """Hand freed heap back to the system (glibc keeps it otherwise, and a worker's RSS then
    stays at its high-water mark while gltfpack runs beside it); a no-op elsewhere."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _early_start(data: bytes, limits: IntakeLimits) -> tuple[int, int] | None:
    """(faces, largest texture side) of a GLB gltfpack can read as uploaded (no Draco) within
    the limits, else None: its web level may start before validation ends (and is stopped if
    validation refuses the file)."""
    header = glb_json(data) if len(data) <= limits.max_bytes else None
    if header is None or DRACO in header.get("extensionsUsed", []):
        return None
    try:
        document = GltfDocument.from_glb(data)  # views are windows on `data`: no copy
        faces = document.declared_face_count()
        side = largest_texture_side(document) if document.json.get("images") else 0
    except (IntakeError, LookupError, TypeError, ValueError, AttributeError):
        return None  # validation will say why
    return (faces, side) if 0 < faces <= limits.max_faces else None


def _texture_side(scan: SourceScan) -> int:
    return max((max(t["width"], t["height"]) for t in scan.textures), default=0)


def _unchanged(scan: SourceScan) -> bool:
    """The cleaned document is the uploaded GLB as gltfpack reads it."""
    cleaning = scan.cleaning
    return scan.file_format == "glb" and not (
        cleaning.nonfinite_vertices or cleaning.degenerate_faces or cleaning.duplicate_faces
    )


def _report(scan: SourceScan, normalisation: Normalisation) -> dict[str, Any]:
    return {
        **scan.report(),
        "units": normalisation.unit_reason,
        "up_axis": normalisation.up_axis,
        "normalisation_matrix": [[round(float(v), 9) for v in row] for row in normalisation.matrix],
        "dimensions_m": {
            "height": round(normalisation.dimensions_m[0], 4),
            "width": round(normalisation.dimensions_m[1], 4),
            "depth": round(normalisation.dimensions_m[2], 4),
        },
        # The raised three-quarter view framing the whole object (square view, the viewer's
        # field of view): where a view is needed and nobody saved one.
        "default_view": default_view(normalised_bounds(normalisation.dimensions_m)).as_dict(),
    }


def run_intake(
    source: bytes | Path,
    filename: str,
    limits: IntakeLimits,
    ladder: LadderSettings,
    options: IntakeOptions | None = None,
    progress: Progress = _quiet,
    publish: Callable[[IntakeStage], None] = _ignore,
) -> IntakeResult:
    """Everything intake derives from one uploaded file (bytes, or a file the caller keeps
    until this returns), handed to `publish` stage by stage; raises IntakeError on bad input."""
    options = options or IntakeOptions()
    px = options.thumbnail_px
    with LadderBuild(ladder) as build:
        progress(5, "validating")
        data = source.read_bytes() if isinstance(source, Path) else source
        early = _early_start(data, limits)
        if early:
            upload = source if isinstance(source, Path) else build.write("upload", data)
            build.start_web(upload, *early)
        scan = open_source(data, filename, limits)
        del data  # the caller's copy aside, only the parsed document remains
        _return_freed_memory()  # what cleaning used
        progress(25, "normalising")
        normalisation = normalisation_for(
            scene_bounds(scan.document),
            scan.file_format,
            unit=options.unit,
            scale=options.scale,
            up_axis=options.up_axis,
        )
        report = _report(scan, normalisation)
        matrix = normalisation.matrix
        if not (early and _unchanged(scan)):
            cleaned = build.write("cleaned", scan.document.to_glb())
            build.start_web(cleaned, scan.cleaning.faces, _texture_side(scan))
        del scan  # gltfpack reads the file; the full-resolution document is not needed again
        _return_freed_memory()
        progress(35, "building the web copy")
        inspection = build.has_inspection
        after = WEB_PUBLISHED if inspection else PREVIEW_NEXT
        stages = [IntakeStage(report, normalisation, [build.web(matrix)], None, px, False, after)]
        publish(stages[-1])  # the first viewable copy
        progress(60, after)
        stages.append(IntakeStage(report, normalisation, [build.thumb()], None, px, False, after))
        publish(stages[-1])
        render = build.render_glb()
        if inspection:
            # Drawn apart and before the inspection run: the GL driver's memory leaves with
            # the child, so the worker stays near its own size beside gltfpack (#24).
            image = render_preview_apart(render, size=px)
            build.start_inspection()
        else:
            image = render_preview(render, size=px)
        del render
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        png = buffer.getvalue()
        stages.append(IntakeStage(report, normalisation, [], png, px, not inspection, after))
        publish(stages[-1])
        _return_freed_memory()
        if inspection:
            levels = [build.inspection(matrix)]
            stages.append(IntakeStage(report, normalisation, levels, None, px, final=True))
            publish(stages[-1])
    every_level = sorted(
        (lod for stage in stages for lod in stage.lods), key=lambda lod: LADDER.index(lod.label)
    )
    return IntakeResult(report, normalisation, every_level, png, px, stages)
