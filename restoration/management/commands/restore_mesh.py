"""`python manage.py restore_mesh IN OUT [--method auto|fill|symmetry|revolve]`: fill the holes
of a scan and write the repaired mesh; prints a JSON summary."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from restoration.management.commands._meshio import read_mesh, write_mesh
from restoration.mesh import (
    MeshRepairError,
    complete_by_revolution,
    complete_by_symmetry,
    fill_holes,
)
from restoration.mesh.confidence import ShapeConfidence
from restoration.restore.method_choice import plan_mesh


class Command(BaseCommand):
    help = (
        "Fill the holes of IN (GLB, OBJ, PLY or STL) and write OUT. --method auto tries hole "
        "filling, mirror symmetry and revolution per hole and keeps the best-scoring one."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("input", type=Path)
        parser.add_argument("output", type=Path)
        parser.add_argument(
            "--method", default="auto", choices=["auto", "fill", "symmetry", "revolve"]
        )
        parser.add_argument("--device", default="auto", help="auto, cpu or cuda[:n]")

    def handle(self, *args: Any, **options: Any) -> None:
        mesh = read_mesh(options["input"])
        method, device = options["method"], options["device"]
        start = time.perf_counter()
        try:
            summary = _restore(mesh, method=method, device=device, output=options["output"])
        except MeshRepairError as exc:
            raise CommandError(f"{options['input']}: {exc.message} ({exc.code})") from exc
        summary["seconds"] = round(time.perf_counter() - start, 3)
        self.stdout.write(json.dumps(summary, indent=2))


def _restore(mesh: Any, *, method: str, device: str, output: Path) -> dict:
    if method == "auto":
        plan = plan_mesh(mesh, device=device)
        repaired = plan.assemble()
        filled = [region for region in plan.regions if region.best.patch is not None]
        summary: dict[str, Any] = {
            "method": "auto",
            "holes_found": len(plan.regions),
            "holes_filled": len(filled),
            "holes_reported": len(plan.regions) - len(filled),
            "faces_added": sum(
                len(patch.faces) for region in filled if (patch := region.best.patch) is not None
            ),
            **plan.as_dict(),
        }
        # The chosen fill's calibrated confidence (None without a rehearsal or a fitted file).
        calibration = ShapeConfidence.load()
        for region, shown in zip(plan.regions, summary["regions"], strict=True):
            ring_error = region.best.terms.get("ring_error")
            shown["confidence"] = calibration.confidence(ring_error) if calibration else None
    else:
        if method == "fill":
            result = fill_holes(mesh, device=device)
            fit: dict = {}
        elif method == "symmetry":
            result, plane = complete_by_symmetry(mesh, device=device)
            fit = {"plane": plane.as_dict()}
        else:
            result, axis, _ = complete_by_revolution(mesh, device=device)
            fit = {"axis": axis.as_dict()}
        repaired = result.mesh
        summary = {"method": method, **result.summary(), **fit}
    write_mesh(repaired, output)
    summary["output"] = str(output)
    return summary
