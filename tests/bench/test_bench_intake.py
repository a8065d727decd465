"""Benchmark: our whole intake against gltfpack on a real scan subdivided to >= 1.5M faces.

Same input, same machine, same run. Baselines: gltfpack making the web level alone
(`-cc -si R`), and gltfpack making the same three levels from the source (3 runs). Each
side runs in its own process so peak memory (ru_maxrss) is its own. `make bench` runs it.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import trimesh
from django.conf import settings
from PIL import Image

from exhibits.demo.content import DEMO_DIR
from exhibits.intake.glb_document import GltfDocument
from exhibits.intake.gltf import load_glb

ROOT = Path(__file__).resolve().parents[2]
OUR_INTAKE = """
import json, resource, sys, time
from exhibits.intake.limits import IntakeLimits
from exhibits.intake.lod import LadderSettings
from exhibits.intake.pipeline import run_intake
data = open(sys.argv[1], "rb").read()
start = time.perf_counter()
result = run_intake(data, "scan.glb", IntakeLimits(), LadderSettings(gltfpack_cli=sys.argv[2]))
seconds = time.perf_counter() - start
usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
peak = max(item.ru_maxrss for item in usage)
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024,
                  "lods": {lod.label: [lod.faces, len(lod.data)] for lod in result.lods}}))
"""
GLTFPACK = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
for ratio, out in zip(sys.argv[3::2], sys.argv[4::2]):
    subprocess.run(["node", sys.argv[2], "-i", sys.argv[1], "-o", out, "-cc", "-si", ratio],
                   check=True, capture_output=True)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak}))
"""


def heavy_scan(folder: Path) -> Path:
    """The whale cranium subdivided twice (1.6M faces), texture kept as JPEG like the source."""
    target = folder / "whale_1m6.glb"
    if target.exists():
        return target
    data_dir = os.environ.get("MOUSEION_DATA")
    original = Path(data_dir, "meshes", "whale_cranium.glb") if data_dir else None
    if original is None or not original.exists():
        # The committed Draco copy is the same scan; decode it to a plain GLB first.
        document = GltfDocument.from_glb((DEMO_DIR / "whale_cranium_draco.glb").read_bytes())
        document.decode_draco()
        source_bytes = document.to_glb()
    else:
        source_bytes = original.read_bytes()
    scene = trimesh.load(io.BytesIO(source_bytes), file_type="glb", force="scene")
    mesh = next(iter(scene.geometry.values())).subdivide().subdivide()
    document = GltfDocument.from_glb(mesh.export(file_type="glb"))
    for index, _ in enumerate(document.json.get("images", [])):
        # trimesh re-encodes textures as PNG; scans ship JPEG, so give it JPEG back.
        with Image.open(io.BytesIO(document.image_bytes(index))) as image:
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="JPEG", quality=90)
        document.replace_image(index, buffer.getvalue(), "image/jpeg")
    target.write_bytes(document.to_glb())
    return target


def run_json(script: str, *args: str) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "museum.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.timeout(900)
def test_bench_intake_against_gltfpack(tmp_path: Path) -> None:
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    scan = heavy_scan(folder)
    faces = len(load_glb(scan.read_bytes()).faces)
    assert faces >= 1_500_000
    cli = str(settings.MOUSEION_GLTFPACK)
    web_ratio, inspection_ratio, thumb_ratio = 150_000 / faces, 500_000 / faces, 6_000 / faces
    ours = run_json(OUR_INTAKE, str(scan), cli)
    web_only = run_json(GLTFPACK, str(scan), cli, f"{web_ratio:.6f}", str(tmp_path / "w.glb"))
    ladder = run_json(
        GLTFPACK,
        str(scan),
        cli,
        *[f"{inspection_ratio:.6f}", str(tmp_path / "i.glb")],
        *[f"{web_ratio:.6f}", str(tmp_path / "w2.glb")],
        *[f"{thumb_ratio:.6f}", str(tmp_path / "t.glb")],
    )
    our_web_bytes = ours["lods"]["web"][1]
    gltfpack_web_bytes = (tmp_path / "w.glb").stat().st_size
    print(
        f"\nIntake of {scan.name} ({faces:,} faces, {scan.stat().st_size / 1e6:.1f} MB)\n"
        f"  ours, whole intake (validate, clean, normalise, thumb+web+inspection, PNG): "
        f"{ours['seconds']:.2f} s, peak {ours['peak_mb']:.0f} MB, levels {ours['lods']}\n"
        f"  gltfpack, web level only: {web_only['seconds']:.2f} s, peak "
        f"{web_only['peak_mb']:.0f} MB, {gltfpack_web_bytes:,} bytes\n"
        f"  gltfpack, same three levels: {ladder['seconds']:.2f} s\n"
        f"  time ratio ours/gltfpack web-only = {ours['seconds'] / web_only['seconds']:.2f} "
        f"(target <= 1.5); ours/gltfpack three levels = "
        f"{ours['seconds'] / ladder['seconds']:.2f}\n"
        f"  web LOD size ratio ours/gltfpack = {our_web_bytes / gltfpack_web_bytes:.2f} "
        f"(target <= 1.1)"
    )
    assert ours["seconds"] > 0 and web_only["seconds"] > 0
