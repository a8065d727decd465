"""Benchmark: reading a Draco-compressed GLB (DracoPy path) against the same mesh as plain GLB
(trimesh path), measured in the same run. Prints the ratio; `make bench` runs it."""

from __future__ import annotations

import statistics
import time

import trimesh

from exhibits.demo.content import DEMO_DIR
from exhibits.intake.gltf import load_glb


def best_of(function, repeats: int = 7) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def test_bench_draco_vs_plain_glb_read() -> None:
    draco_bytes = (DEMO_DIR / "whale_cranium_draco.glb").read_bytes()
    mesh = load_glb(draco_bytes)
    plain_bytes = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False).export(file_type="glb")
    draco_s = best_of(lambda: load_glb(draco_bytes))
    plain_s = best_of(lambda: load_glb(plain_bytes))
    print(
        f"\nGLB read, whale cranium ({len(mesh.faces)} faces): draco {draco_s * 1000:.1f} ms "
        f"({len(draco_bytes) / 1e6:.2f} MB), plain {plain_s * 1000:.1f} ms "
        f"({len(plain_bytes) / 1e6:.2f} MB); ratio draco/plain = {draco_s / plain_s:.2f}; "
        f"size ratio = {len(draco_bytes) / len(plain_bytes):.2f}"
    )
    assert draco_s > 0 and plain_s > 0
