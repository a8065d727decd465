"""Benchmarks of shape restoration, each against a baseline measured in the same run:

- hole filling on the real scans (MOUSEION_DATA/meshes, each object once, holes punched anywhere,
  thin parts included): Chamfer to the removed surface of the guarded choice against the fan
  (target mean <= 0.5, no hole worse) and CGAL's triangulate_refine_and_fair_hole (target mean
  <= 1.0), both measured in the same run on the same holes; open edges added (target 0);
- axis-of-revolution completion on synthetic broken vessels: axis error (target <= 1 degree) and
  completion Chamfer / rim radius (target <= 1 %), against a plain smooth fill;
- hole filling on a 1.6M-face scan with ten holes, seconds, ours / baseline;
- the method bandit on a simulated curator, against a random choice.
`make bench` runs them; they report, the asserts are sanity checks only.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
import trimesh

from exhibits.demo.content import DEMO_DIR
from exhibits.intake.gltf import load_glb
from restoration.management.commands.eval_mesh_fill import summarise, table_header, table_row
from restoration.mesh import complete_by_revolution, fill_holes, find_holes
from restoration.mesh.evaluate import (
    baseline_fill,
    distinct_scans,
    evaluate_mesh,
    intact_surface,
    punch_holes,
)
from restoration.mesh.fairing import resolve_device
from restoration.mesh.holes import HOLE, open_edge_count
from restoration.mesh.metrics import surface_distance
from restoration.restore.method_bandit import MethodBandit, SimulatedCurator, simulate_curator
from tests.unit.mesh_shapes import cut_sherd, vessel


def meshes_dir() -> Path:
    data = os.environ.get("MOUSEION_DATA")
    if not data or not (Path(data) / "meshes").is_dir():
        pytest.skip("MOUSEION_DATA with meshes/ is not available")
    return Path(data) / "meshes"


def test_bench_mesh_fill_real_scans() -> None:
    paths = sorted(meshes_dir().glob("*.glb"))
    scans, skipped = distinct_scans((path.name, load_glb(path.read_bytes())) for path in paths)
    rows = []
    print(f"\nHole filling on real scans, 6 punched holes each; skipped as duplicates: {skipped}")
    print("  " + table_header())
    for name, mesh in scans:
        for row in evaluate_mesh(mesh, holes=6, seed=0, device="cpu"):
            rows.append({**row, "scan": name})
            print("  " + table_row(rows[-1]))
    summary = summarise(rows)
    print(
        f"  ratio to the fan: mean {summary['mean_ours_to_fan']} (target <= 0.5), max "
        f"{summary['max_ours_to_fan']} (target <= 1); ratio to CGAL: mean "
        f"{summary['mean_ours_to_cgal']} (target <= 1.0); CGAL to the fan "
        f"{summary['mean_cgal_to_fan']}; open edges added {summary['added_open_edges']}"
    )
    print("  summary:", json.dumps(summary))
    assert summary["added_open_edges"] == 0
    assert summary["holes"] == len(rows) and len(scans) == len(paths) - len(skipped)


def test_bench_mesh_axis_of_revolution_on_broken_vessels() -> None:
    rng = np.random.default_rng(0)
    angles, ours, smooth, seconds = [], [], [], []
    for seed in range(10):
        mesh, truth = vessel(seed=seed)
        start_angle = rng.uniform(0, 2 * np.pi)
        broken, removed = cut_sherd(
            mesh, truth, start=start_angle, width=rng.uniform(0.6, 1.5), low=0.2, high=0.75
        )
        noise = 0.003 * truth["rim_radius"]
        broken.vertices = broken.vertices + rng.normal(scale=noise, size=broken.vertices.shape)
        begin = time.perf_counter()
        result, axis, _ = complete_by_revolution(broken, device="cpu")
        seconds.append(time.perf_counter() - begin)
        angles.append(axis.angle_to(truth["direction"]))
        patch = result.filled[0]
        patch_mesh = trimesh.Trimesh(patch.points, patch.faces, process=False)
        ours.append(surface_distance(patch_mesh, removed)["chamfer"] / truth["rim_radius"])
        plain = fill_holes(broken, device="cpu").filled[0]
        plain_mesh = trimesh.Trimesh(plain.points, plain.faces, process=False)
        smooth.append(surface_distance(plain_mesh, removed)["chamfer"] / truth["rim_radius"])
    ours_a, smooth_a = np.array(ours), np.array(smooth)
    print(
        f"\nAxis of revolution, 10 random vessels, sherd cut, noise 0.3 % of the rim radius: "
        f"axis error median {np.median(angles):.3f} deg, max {max(angles):.3f} deg "
        f"(target <= 1); completion chamfer / rim radius median {np.median(ours_a):.4f}, "
        f"max {ours_a.max():.4f} (target <= 0.01); plain fill median {np.median(smooth_a):.4f}; "
        f"ratio revolve/fill {np.median(ours_a / smooth_a):.2f}; "
        f"{np.mean(seconds):.2f} s per vessel"
    )
    assert max(angles) < 5.0


def test_bench_mesh_fill_million_faces() -> None:
    mesh = intact_surface(load_glb((DEMO_DIR / "whale_cranium_draco.glb").read_bytes()))
    big = mesh.subdivide().subdivide()
    # Height-field regions only (80 degrees): this one times the fill, folds are measured above.
    punched, holes = punch_holes(big, count=10, seed=0, sizes=(0.01, 0.02, 0.03), max_spread=80.0)
    report = find_holes(punched)
    chosen = [i for i, hole in enumerate(report.holes) if hole.kind == HOLE]
    device = resolve_device("auto")
    start = time.perf_counter()
    ours = fill_holes(punched, holes=chosen, device=device)
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    baseline_fill(punched, [report.holes[i].original_ids for i in chosen])
    base_s = time.perf_counter() - start
    open_added = open_edge_count(ours.mesh.faces) - open_edge_count(big.faces)
    print(
        f"\nHole filling, whale cranium subdivided to {len(big.faces):,} faces, "
        f"{len(holes)} holes ({ours.summary()['faces_added']:,} faces added) on {device}: "
        f"ours {ours_s:.2f} s, trimesh fill_holes + fan {base_s:.2f} s, "
        f"ratio ours/baseline {ours_s / base_s:.2f}; open edges added {open_added}"
    )
    assert len(ours.filled) == len(chosen) and open_added == 0


def test_bench_mesh_bandit_against_random_choice() -> None:
    table = {
        ("loss", "ceramic"): {"fill": 0.3, "symmetry": 0.4, "revolve": 0.8},
        ("loss", "stone"): {"fill": 0.35, "symmetry": 0.75, "revolve": 0.2},
        ("loss", "bone"): {"fill": 0.6, "symmetry": 0.5, "revolve": 0.1},
        ("crack", "bone"): {"fill": 0.7, "symmetry": 0.4, "revolve": 0.1},
        ("crack", "ceramic"): {"fill": 0.4, "symmetry": 0.3, "revolve": 0.75},
        ("crack", "stone"): {"fill": 0.5, "symmetry": 0.6, "revolve": 0.2},
    }
    methods = ["fill", "symmetry", "revolve"]
    bandit = MethodBandit(methods, ["loss", "crack"], ["ceramic", "stone", "bone"])
    learned = simulate_curator(bandit, SimulatedCurator(table, seed=1), rounds=2000, seed=0)
    random = simulate_curator(
        None, SimulatedCurator(table, seed=1), rounds=2000, seed=0, methods=methods
    )
    best = np.mean([max(row.values()) for row in table.values()])
    print(
        f"\nLinUCB on a simulated curator (6 contexts, 3 methods, 2000 reviews): best-method "
        f"pick rate by tenth {learned['best_pick_rate_by_tenth']}; acceptance "
        f"{learned['acceptance_rate']:.3f} vs random {random['acceptance_rate']:.3f} "
        f"(ratio {learned['acceptance_rate'] / random['acceptance_rate']:.2f}; oracle {best:.3f})"
    )
    assert learned["acceptance_rate"] > random["acceptance_rate"]
