"""All five real CC0/CC-BY scans of $MOUSEION_DATA/meshes go through intake cleanly, and every
LOD passes the Khronos glTF validator. Prints a table of faces and bytes per level.

    MOUSEION_DATA=/work/shared/data .venv/bin/pytest tests/integration/test_intake_real_scans.py -s
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from exhibits.intake.limits import IntakeLimits
from exhibits.intake.lod import THUMB_MAX_BYTES, LadderSettings
from exhibits.intake.pipeline import IntakeResult, run_intake

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT / "tests" / "tools" / "validate_gltf.cjs"
SCANS = (
    "whale_cranium.glb",
    "whale_cranium_draco.glb",
    "venus.glb",
    "saxophone_draco.glb",
    "lamp_post.glb",
)

pytestmark = pytest.mark.data


def meshes_dir() -> Path:
    data = os.environ.get("MOUSEION_DATA")
    if not data:
        pytest.skip("MOUSEION_DATA is not set (the real scans live in $MOUSEION_DATA/meshes)")
    folder = Path(data) / "meshes"
    if not folder.is_dir():
        pytest.skip(f"MOUSEION_DATA has no meshes/ folder ({folder})")
    if shutil.which("node") is None:
        pytest.skip("node is not installed (gltfpack and the validator run on it)")
    return folder


@pytest.fixture(scope="module")
def results() -> dict[str, IntakeResult]:
    folder = meshes_dir()
    ladder = LadderSettings(gltfpack_cli=str(settings.MOUSEION_GLTFPACK))
    return {
        name: run_intake((folder / name).read_bytes(), name, IntakeLimits(), ladder)
        for name in SCANS
        if (folder / name).exists()
    }


def test_all_five_scans_ingest_cleanly(results: dict[str, IntakeResult]) -> None:
    assert sorted(results) == sorted(SCANS)
    rows = [f"{'scan':<26}{'source faces':>13}{'LOD':>7}{'faces':>9}{'bytes':>12}{'tex':>6}"]
    for name, result in results.items():
        report = result.report
        assert report["faces"] > 10_000
        assert report["nonfinite_vertices"] == 0
        assert [lod.label for lod in result.lods] == ["thumb", "web"]
        thumb, web = result.lods
        assert len(thumb.data) < THUMB_MAX_BYTES
        assert thumb.faces <= 6_000
        assert web.faces <= 150_000
        assert web.texture_side <= 2048
        assert result.thumbnail_png.startswith(b"\x89PNG")
        assert min(report["dimensions_m"].values()) > 0.01  # a real object, in metres
        for lod in result.lods:
            rows.append(
                f"{name:<26}{report['faces']:>13,}{lod.label:>7}{lod.faces:>9,}"
                f"{len(lod.data):>12,}{lod.texture_side:>6}"
            )
    print("\n" + "\n".join(rows))


def test_every_lod_passes_the_validator(results: dict[str, IntakeResult], tmp_path: Path) -> None:
    paths = []
    for name, result in results.items():
        for lod in result.lods:
            paths.append(tmp_path / f"{Path(name).stem}-{lod.label}.glb")
            paths[-1].write_bytes(lod.data)
    output = subprocess.run(
        ["node", str(VALIDATOR), *map(str, paths)],
        capture_output=True, text=True, check=True, timeout=300, cwd=ROOT,
    ).stdout  # fmt: skip
    reports = [json.loads(line) for line in output.splitlines()]
    assert len(reports) == len(paths)
    for report in reports:
        print(
            f"{Path(report['path']).name}: {report['errors']} errors, {report['warnings']} warnings"
        )
        assert report["errors"] == 0, report
