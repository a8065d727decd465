"""`python manage.py eval_mesh_fill --meshes DIR [--holes N --seed S]`: punch holes into each
intact scan, fill them with our method and with trimesh's fill_holes plus a fan fallback, and
print Chamfer / Hausdorff to the removed surface, open edges added, seconds and ratios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from restoration.management.commands._meshio import MESH_SUFFIXES, read_mesh
from restoration.mesh import MeshRepairError
from restoration.mesh.evaluate import MAX_NORMAL_SPREAD, evaluate_mesh


class Command(BaseCommand):
    help = "Benchmark hole filling against trimesh fill_holes + fan on punched scans."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--meshes", type=Path, required=True)
        parser.add_argument("--holes", type=int, default=6, help="Holes per scan")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--max-spread",
            type=float,
            default=MAX_NORMAL_SPREAD,
            help="Punch only regions whose normals stay within this many degrees of their "
            "mean (95th percentile); 180 punches anywhere, folds included",
        )
        parser.add_argument("--device", default="auto")

    def handle(self, *args: Any, **options: Any) -> None:
        folder: Path = options["meshes"]
        if not folder.is_dir():
            raise CommandError(f"{folder}: not a folder")
        if options["holes"] < 1:
            raise CommandError("--holes must be at least 1")
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in MESH_SUFFIXES)
        if not paths:
            raise CommandError(f"{folder}: no meshes ({', '.join(MESH_SUFFIXES)})")
        rows: list[dict] = []
        header = (
            f"{'scan':24s} {'size':>5s} {'chamfer':>10s} {'base':>10s} {'ratio':>6s} "
            f"{'hausdorff':>10s} {'base':>10s} {'open+':>5s}"
        )
        self.stdout.write(header)
        for path in paths:
            try:
                mesh_rows = evaluate_mesh(
                    read_mesh(path),
                    holes=options["holes"],
                    seed=options["seed"],
                    max_spread=options["max_spread"],
                    device=options["device"],
                )
            except MeshRepairError as exc:
                self.stdout.write(f"{path.name:24s} skipped: {exc.message} ({exc.code})")
                continue
            for row in mesh_rows:
                if "unmatched_holes" in row:
                    continue
                row["scan"] = path.name
                rows.append(row)
                self.stdout.write(
                    f"{path.name:24s} {row['size']:5.2f} {row['chamfer']:10.3g} "
                    f"{row['baseline_chamfer']:10.3g} {row['ratio']:6.2f} "
                    f"{row['hausdorff']:10.3g} {row['baseline_hausdorff']:10.3g} "
                    f"{row['added_open_edges']:5d}"
                )
            first = mesh_rows[0]
            measured = sum("unmatched_holes" not in row for row in mesh_rows)
            self.stdout.write(
                f"{path.name:24s} {measured} of {options['holes']} holes punched; seconds: "
                f"ours {first['seconds']:.2f}, baseline {first['baseline_seconds']:.2f}"
            )
        self.stdout.write(json.dumps(summarise(rows)))


def summarise(rows: list[dict]) -> dict:
    """Aggregate ratios (each scan's Chamfer is in its own units, so ratios, not sums)."""
    if not rows:
        return {"holes": 0}
    ratios = np.array([row["ratio"] for row in rows])
    per_scan = {}
    for scan in sorted({row["scan"] for row in rows}):
        own = [row for row in rows if row["scan"] == scan]
        per_scan[scan] = round(
            sum(r["chamfer"] for r in own) / sum(r["baseline_chamfer"] for r in own), 3
        )
    return {
        "holes": len(rows),
        "mean_ratio": round(float(np.nanmean(ratios)), 3),
        "median_ratio": round(float(np.nanmedian(ratios)), 3),
        "holes_better": int((ratios < 1.0).sum()),
        "total_ratio_per_scan": per_scan,
        "unfilled": int(np.isnan(ratios).sum()),
        "added_open_edges": int(max(row["added_open_edges"] for row in rows)),
    }
