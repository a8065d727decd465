"""Benchmark (#20): a 100-megapixel TIFF to a published IIIF Image service, beside `vips dzsave`.

Same file, same machine, same run, each measurement in its own child process (its peak memory
is its own: `ru_maxrss`). Baseline: what `vips dzsave in out --layout iiif3 --tile-size 512`
does (the wheel of libvips ships no CLI): `new_from_file(f, access="sequential").dzsave(...)`.
Ours: the whole intake as `manage.py ingest` runs it, timed from the file to the job done: the
header checks, the source stored untouched, the web copy and thumbnail published, the tiles
written from the sRGB pixels, stored through the storage API, the ImageService row (SQLite in a
temporary var dir, migrated before the clock starts). Targets: time <= 1.3x dzsave's, peak
memory <= 1 GB. Figures are printed, not asserted. `make bench` runs it.
MOUSEION_BENCH_FLAT_SIDE: the square image's side (default 10000: 100 megapixels).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SIDE = int(os.environ.get("MOUSEION_BENCH_FLAT_SIDE", "10000"))

MAKE_TIFF = """
import sys, pyvips
side = int(sys.argv[2])
# A painting-like texture: smooth colour fields, fine grain (so tiles compress like a scan's).
x = pyvips.Image.xyz(side, side)
fields = ((x[0] / 900).sin() * 40 + (x[1] / 1300).cos() * 40)
grain = pyvips.Image.gaussnoise(side, side, sigma=12, mean=0)
image = (fields.bandjoin([fields * 0.7, fields * 0.4]) + grain + [140, 120, 90])
image.cast("uchar").copy(interpretation="srgb").tiffsave(
    sys.argv[1], tile=True, tile_width=256, tile_height=256, compression="lzw", bigtiff=True
)
"""
BASELINE = """
import json, resource, sys, time, pyvips
start = time.perf_counter()
pyvips.Image.new_from_file(sys.argv[1], access="sequential").dzsave(
    sys.argv[2], layout="iiif3", tile_size=512
)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
OURS = """
import json, resource, sys, time
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from exhibits.imaging.services import ingest_image
from exhibits.intake.services import run_intake_job
from exhibits.models import ImageService
from pathlib import Path
from museum.celery import app
app.backend  # loaded once per process: a web process or worker has it already
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
job = ingest_image(artifact=None, title="Bench", path_or_file=Path(sys.argv[1]),
                   filename="bench.tif")
job = run_intake_job(job_id=job.pk)
seconds = time.perf_counter() - start
assert job.status == "done", job.error
service = ImageService.objects.get()
print(json.dumps({"seconds": seconds, "tiles": job.report["tiles"],
                  "levels": service.scale_factors, "before_mb": before,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_json(script: str, *args: str, env: dict[str, str] | None = None) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1]) if result.stdout.strip() else {}


def verdict(value: float, target: float) -> str:
    return "meets" if value <= target else "MISSES"


@pytest.mark.timeout(1800)
def test_bench_flat_intake_against_dzsave(tmp_path: Path) -> None:
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    tiff = folder / f"flat_{SIDE}.tif"
    if not tiff.exists():
        run_json(MAKE_TIFF, str(tiff), str(SIDE))
    baseline = run_json(BASELINE, str(tiff), str(tmp_path / "dz"))
    var = tmp_path / "var"
    ours = run_json(
        OURS,
        str(tiff),
        env={
            "DJANGO_SETTINGS_MODULE": "museum.settings",
            "MOUSEION_VAR_DIR": str(var),
            "MEDIA_ROOT": str(var / "media"),
            "DATABASE_URL": f"sqlite:///{var / 'bench.sqlite3'}",
        },
    )
    ratio = ours["seconds"] / baseline["seconds"]
    print(
        "\n".join(
            [
                f"\nFlat work: {SIDE} x {SIDE} px ({SIDE * SIDE / 1e6:.0f} MP) tiled TIFF, "
                f"{tiff.stat().st_size / 1e6:.0f} MB",
                f"  dzsave iiif3 alone:      {baseline['seconds']:7.2f} s, "
                f"peak {baseline['peak_mb']:6.0f} MB",
                f"  ours, file to published: {ours['seconds']:7.2f} s, peak {ours['peak_mb']:6.0f}"
                f" MB (Django and the migrated database before the clock: "
                f"{ours['before_mb']:.0f} MB); {ours['tiles']} tile files, "
                f"levels {ours['levels']}",
                f"  ratio ours / dzsave = {ratio:.2f} (target <= 1.3: {verdict(ratio, 1.3)}); "
                f"peak memory {ours['peak_mb']:.0f} MB "
                f"(target <= 1024 MB: {verdict(ours['peak_mb'], 1024)})",
            ]
        )
    )
    assert ours["tiles"] > 0 and baseline["seconds"] > 0
