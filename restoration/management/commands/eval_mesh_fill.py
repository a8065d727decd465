"""`python manage.py eval_mesh_fill --meshes DIR [--holes N --seed S [S ..]]`: punch holes into
each distinct intact scan (thin parts and folds included), fill each with every candidate (CGAL's
triangulate_refine_and_fair_hole with tangent and with curvature continuity, ours, symmetry,
revolution, the fan) and with the guarded choice, and print a per-hole table of Chamfer
distances to the removed surface, the means and the ratios of the choice to the fan and to
CGAL. A hole left open scores the worst case. The filled holes' confidence is reported against
their real error (`--confidence`), or fitted on this run's holes (`--fit-confidence`)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from museum.common.calibration import spearman
from restoration.management.commands._meshio import MESH_SUFFIXES, read_mesh
from restoration.mesh import MeshRepairError
from restoration.mesh.candidates import DEFAULT_METHODS, check_methods
from restoration.mesh.confidence import DEFAULT_PATH as CONFIDENCE_PATH
from restoration.mesh.confidence import ShapeConfidence, fit
from restoration.mesh.evaluate import BASELINES, MAX_NORMAL_SPREAD, distinct_scans, evaluate_mesh

COLUMNS = ("cgal", "curvature", "fill", "symmetry", "revolve", "fan")


class Command(BaseCommand):
    help = "Benchmark the guarded hole fill against CGAL's hole filling and a fan on punched scans."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--meshes", type=Path, required=True)
        parser.add_argument("--holes", type=int, default=6, help="Holes per scan")
        parser.add_argument(
            "--seed", type=int, nargs="+", default=[0], help="One or more punching seeds"
        )
        parser.add_argument(
            "--max-spread",
            type=float,
            default=MAX_NORMAL_SPREAD,
            help="Punch only regions whose normals stay within this many degrees of their "
            "mean (95th percentile); 180 (the default) punches anywhere, folds included",
        )
        parser.add_argument(
            "--methods",
            nargs="+",
            default=list(DEFAULT_METHODS),
            help="Candidates the guarded choice picks from (cgal, fan and fill are measured "
            "either way: they are the baselines)",
        )
        parser.add_argument(
            "--fit-confidence",
            type=Path,
            default=None,
            help="Fit the filled holes' confidence on this run's holes and write it here "
            "(validation seeds only; the project's is restoration/weights/"
            "mesh_fill.confidence.json)",
        )
        parser.add_argument(
            "--confidence",
            type=Path,
            default=CONFIDENCE_PATH,
            help="The confidence whose rank correlation with the real error is reported",
        )
        parser.add_argument("--device", default="cpu")

    def handle(self, *args: Any, **options: Any) -> None:
        folder: Path = options["meshes"]
        if not folder.is_dir():
            raise CommandError(f"{folder}: not a folder")
        if options["holes"] < 1:
            raise CommandError("--holes must be at least 1")
        try:
            check_methods(options["methods"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        methods = tuple(dict.fromkeys([*options["methods"], *BASELINES]))
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in MESH_SUFFIXES)
        if not paths:
            raise CommandError(f"{folder}: no meshes ({', '.join(MESH_SUFFIXES)})")
        scans, skipped = distinct_scans((path.name, read_mesh(path)) for path in paths)
        for name, twin in skipped.items():
            self.stdout.write(f"{name}: skipped, the same geometry as {twin}")
        self.stdout.write(table_header())
        rows: list[dict] = []
        for seed, (name, mesh) in itertools.product(options["seed"], scans):
            try:
                mesh_rows = evaluate_mesh(
                    mesh,
                    holes=options["holes"],
                    seed=seed,
                    max_spread=options["max_spread"],
                    methods=methods,
                    choose_from=options["methods"],
                    device=options["device"],
                )
            except MeshRepairError as exc:
                self.stdout.write(f"{name:22s} skipped: {exc.message} ({exc.code})")
                continue
            for row in mesh_rows:
                row["scan"], row["seed"] = name, seed
                rows.append(row)
                self.stdout.write(table_row(row))
        summary = summarise(rows)
        summary["skipped_duplicates"] = skipped
        if rows:
            ring = np.array([_finite_or_nan(row.get("ring_error")) for row in rows])
            ratio = np.array([_ratio(row, "fan") for row in rows])
            calibration = ShapeConfidence.load(options["confidence"])
            if options["fit_confidence"]:
                seeds = " ".join(map(str, options["seed"]))
                try:
                    calibration = fit(
                        ring,
                        ratio,
                        fitted_on=f"eval_mesh_fill --holes {options['holes']} "
                        f"--seed {seeds} ({', '.join(name for name, _ in scans)})",
                    )
                    calibration.save(options["fit_confidence"])
                except (ValueError, OSError) as exc:
                    raise CommandError(f"--fit-confidence: {exc}") from exc
                self.stdout.write(f"confidence fitted on {calibration.holes} holes: {calibration}")
            if calibration is not None:
                summary["confidence"] = confidence_report(calibration, ring, ratio)
        self.stdout.write(json.dumps(summary, indent=1))


def table_header() -> str:
    methods = " ".join(f"{m:>9s}" for m in COLUMNS)
    return (
        f"{'scan':22s} {'seed':>4s} {'#':>2s} {'size':>4s} {'t/r':>5s} {'chosen':>9s} "
        f"{'ours':>9s} {methods} {'/fan':>5s} {'/cgal':>5s}  refused"
    )


def table_row(row: dict) -> str:
    chamfer = row["chamfer"]
    values = " ".join(f"{chamfer.get(m, np.nan):9.3g}" for m in COLUMNS)
    fan, cgal = chamfer.get("fan", np.nan), chamfer.get("cgal", np.nan)
    refused = ", ".join(sorted(row["refused"])) or "-"
    if row["chosen"] is None:
        refused = f"left open ({row['reason']})"
    return (
        f"{row['scan'][:22]:22s} {row.get('seed', 0):4d} {row['hole']:2d} {row['size']:4.2f} "
        f"{row['thickness_radii']:5.2f} {row['chosen'] or 'open':>9s} {row['ours']:9.3g} "
        f"{values} {row['ours'] / fan:5.2f} {row['ours'] / cgal:5.2f}  {refused}"
    )


def summarise(rows: list[dict]) -> dict:
    """Means of per-hole ratios (each scan's Chamfer is in its own units), over every punched
    hole; the same for thin parts (local thickness below the hole's radius)."""
    if not rows:
        return {"holes": 0}
    summary: dict[str, Any] = {"holes": len(rows), **_ratios(rows)}
    thin = [row for row in rows if row["thickness_radii"] < 1.0]
    summary["thin_part_holes"] = len(thin)
    if thin:
        summary["thin_parts"] = _ratios(thin)
    summary["unfilled"] = sum(row["chosen"] is None for row in rows)
    summary["chosen"] = {
        str(method): sum(row["chosen"] == method for row in rows)
        for method in sorted({str(row["chosen"]) for row in rows})
    }
    summary["added_open_edges"] = int(
        max(row["added_open_edges"] for row in rows if "added_open_edges" in row)
    )
    scans = sorted({row["scan"] for row in rows})
    summary["per_scan_mean_ours_to_fan"] = {
        scan: round(float(np.mean([_ratio(r, "fan") for r in rows if r["scan"] == scan])), 3)
        for scan in scans
    }
    return summary


def _finite_or_nan(value: float | None) -> float:
    return float(value) if value is not None and np.isfinite(value) else float("nan")


def confidence_report(calibration: ShapeConfidence, ring: np.ndarray, ratio: np.ndarray) -> dict:
    """How the shown confidence ranks with the real error (Spearman with the improvement over
    the fan, 1 - ratio: positive is right) and, in three bands, the mean confidence beside the
    share of holes that really came within good_ratio of the fan."""
    confidence = np.array([_finite_or_nan(calibration.confidence(r)) for r in ring])
    known = np.isfinite(confidence)
    good = ratio <= calibration.good_ratio
    bands = {}
    for low, high in ((0.0, 1 / 3), (1 / 3, 2 / 3), (2 / 3, 1.01)):
        inside = known & (confidence >= low) & (confidence < high)
        if inside.any():
            bands[f"{low:.2f}-{min(high, 1.0):.2f}"] = {
                "holes": int(inside.sum()),
                "mean_confidence": round(float(confidence[inside].mean()), 3),
                "share_within_good_ratio": round(float(good[inside].mean()), 3),
            }
    return {
        "holes_with_confidence": int(known.sum()),
        "holes_without_rehearsal": int((~known).sum()),
        "spearman_with_improvement_over_fan": round(
            spearman(confidence[known], 1.0 - ratio[known]), 3
        ),
        "good_ratio": calibration.good_ratio,
        "bands": bands,
    }


def _ratio(row: dict, baseline: str, method: str = "ours") -> float:
    value = row["ours"] if method == "ours" else row["chamfer"][method]
    return float(value / max(row["chamfer"][baseline], 1e-300))


def _ratios(rows: list[dict]) -> dict:
    to_fan = np.array([_ratio(row, "fan") for row in rows])
    to_cgal = np.array([_ratio(row, "cgal") for row in rows])
    cgal_to_fan = np.array([_ratio(row, "fan", "cgal") for row in rows])
    fill_to_fan = np.array([_ratio(row, "fan", "fill") for row in rows])
    return {
        "mean_ours_to_fan": round(float(to_fan.mean()), 3),
        "median_ours_to_fan": round(float(np.median(to_fan)), 3),
        "max_ours_to_fan": round(float(to_fan.max()), 3),
        "mean_ours_to_cgal": round(float(to_cgal.mean()), 3),
        "mean_cgal_to_fan": round(float(cgal_to_fan.mean()), 3),
        "mean_handwritten_fill_to_fan": round(float(fill_to_fan.mean()), 3),
        "holes_worse_than_fan": int((to_fan > 1.0 + 1e-9).sum()),
        "holes_worse_than_cgal": int((to_cgal > 1.0 + 1e-9).sum()),
    }
