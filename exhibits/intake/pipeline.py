"""Intake from bytes to web exhibit, framework-free: validate and clean, normalise, build the
LOD ladder, render a thumbnail. Django glue (storage, jobs, progress) lives in services."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from exhibits.intake.gltf import load_glb
from exhibits.intake.limits import IntakeLimits
from exhibits.intake.lod import LadderSettings, LodOutput, build_ladder
from exhibits.intake.normalise import Normalisation, normalisation_for
from exhibits.intake.sources import open_source, scene_bounds
from exhibits.intake.thumbnail import render_thumbnail

Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class IntakeOptions:
    unit: str | None = None
    scale: float | None = None
    up_axis: str | None = None
    thumbnail_px: int = 512


@dataclass
class IntakeResult:
    report: dict[str, Any]
    normalisation: Normalisation
    lods: list[LodOutput]
    thumbnail_png: bytes
    thumbnail_px: int


def _quiet(percent: int, stage: str) -> None:
    return None


def run_intake(
    data: bytes,
    filename: str,
    limits: IntakeLimits,
    ladder: LadderSettings,
    options: IntakeOptions | None = None,
    progress: Progress = _quiet,
) -> IntakeResult:
    """Everything intake derives from one uploaded file; raises IntakeError on bad input."""
    options = options or IntakeOptions()
    progress(5, "validating")
    scan = open_source(data, filename, limits)
    progress(25, "normalising")
    normalisation = normalisation_for(
        scene_bounds(scan.document),
        scan.file_format,
        unit=options.unit,
        scale=options.scale,
        up_axis=options.up_axis,
    )
    scan.document.wrap_roots(normalisation.matrix)
    progress(35, "building levels of detail")
    lods, render_glb = build_ladder(scan.document, scan.cleaning.faces, ladder)
    progress(85, "rendering thumbnail")
    mesh = load_glb(render_glb)
    image = render_thumbnail(mesh, size=options.thumbnail_px)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    report = {
        **scan.report(),
        "units": normalisation.unit_reason,
        "up_axis": normalisation.up_axis,
        "normalisation_matrix": [[round(float(v), 9) for v in row] for row in normalisation.matrix],
        "dimensions_m": {
            "height": round(normalisation.dimensions_m[0], 4),
            "width": round(normalisation.dimensions_m[1], 4),
            "depth": round(normalisation.dimensions_m[2], 4),
        },
    }
    return IntakeResult(report, normalisation, lods, buffer.getvalue(), options.thumbnail_px)
