"""Benchmark (#20): the condition check of a large flat work on the CPU, time per megapixel and
peak memory. A synthetic painting (tiled JPEG TIFF, `MOUSEION_BENCH_FLAT_MP` megapixels, 25 by
default; the issue's 100 takes ~4x as long) with a crack drawn at a known place:

- tiled: the flat-work path (open_srgb streaming + tiled_image.detect_image) on the whole image;
- the same path on a 2048 x 2048 crop, beside the texture path's `detect` on the same pixels
  loaded whole (the baseline, same run): the ratio says what streaming costs per pixel;
- job: the whole condition job of the image (records, full-size masks, overlays, Grad-CAM on
  the web copy), through the job runner, in this process.

Each core measurement runs in its own child process (spawn) so its peak RSS is its own. The
machine is shared (2 cores): one round each; run again to see the spread.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import resource
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from exhibits.models import Artifact, Asset, Canvas, Job
from restoration.condition import services
from tests.bench import flat_condition_child as child
from tests.unit.factories import make_artifact

pytestmark = pytest.mark.django_db
MEGAPIXELS = float(os.environ.get("MOUSEION_BENCH_FLAT_MP", "25"))
CROP = 2048


def _in_child(function, *args):  # type: ignore[no-untyped-def]
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


@pytest.fixture(scope="module")
def painting(tmp_path_factory) -> tuple[Path, int, int, tuple[int, int, int, int]]:
    width = int((MEGAPIXELS * 1e6 * 4 / 3) ** 0.5)
    height = int(width * 3 / 4)
    path = tmp_path_factory.mktemp("flat") / "painting.tif"
    box = _in_child(child.make_painting, path, width, height)
    return path, width, height, box


def _flat_work(path: Path, width: int, height: int) -> Artifact:
    from exhibits.imaging.derivatives import web_copy_and_thumbnail

    artifact = make_artifact(form=Artifact.Form.FLAT)
    data = path.read_bytes()
    source = Asset(
        artifact=artifact, kind=Asset.Kind.SOURCE, format="tiff", original_filename=path.name,
        sha256=hashlib.sha256(data).hexdigest(), byte_size=len(data),
        width_px=width, height_px=height,
    )  # fmt: skip
    source.file.save(path.name, ContentFile(data), save=False)
    source.save()
    web, _thumb = web_copy_and_thumbnail(path)
    copy = Asset(
        artifact=artifact, kind=Asset.Kind.IMAGE, label="web", format="jpeg",
        sha256=hashlib.sha256(web.data).hexdigest(), byte_size=len(web.data),
        width_px=web.width, height_px=web.height, derived_from=source,
    )  # fmt: skip
    copy.file.save("web.jpg", ContentFile(web.data), save=False)
    copy.save()
    Canvas.objects.create(
        artifact=artifact, source=source, width_px=width, height_px=height, pixels_per_cm=40.0
    )
    return artifact


@pytest.mark.timeout(3600)
def test_condition_check_time_per_megapixel(painting) -> None:
    path, width, height, box = painting
    megapixels = width * height / 1e6
    side = min(CROP, width, height)
    left = min(max(0, box[0] - side // 4), width - side)
    top = min(max(0, box[1] - side // 2), height - side)
    crop = (left, top, side, side)
    print(f"\nflat condition check, {width} x {height} = {megapixels:.1f} MP, crack at {box}")
    print(f"  load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared)")
    full = _in_child(child.tiled, str(path))
    near = [r for r in full["crack_regions"] if abs(r[0] - box[0]) < 32 and abs(r[1] - box[1]) < 48]
    assert near, (full["crack_regions"], box)  # found where it was drawn
    on_crop = _in_child(child.tiled, str(path), crop)
    baseline = _in_child(child.whole, str(path), crop)
    for name, row in (
        ("tiled, whole image", full),
        (f"tiled, {side}² crop", on_crop),
        ("detect on the crop loaded whole (baseline)", baseline),
    ):
        print(
            f"  {name:44s} {row['seconds']:7.1f} s  {row['seconds'] / row['megapixels']:5.2f} s/MP"
            f"  peak RSS {row['peak_mb']:6.0f} MB (warm model: {row['peak_before_mb']:.0f} MB)"
        )
    ratio = (on_crop["seconds"] / on_crop["megapixels"]) / (
        baseline["seconds"] / baseline["megapixels"]
    )
    print(f"  tiled / whole on the same pixels: {ratio:.2f}x time per megapixel")
    assert abs(on_crop["crack_pixels"] - baseline["crack_pixels"]) <= 0.01 * side * side
    artifact = _flat_work(path, width, height)
    job = services.request_condition_check(artifact=artifact)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    job = services.run_condition_job(job_id=job.pk)
    seconds = time.perf_counter() - start
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert job.status == Job.Status.DONE, job.error
    print(
        f"  condition job (records, masks, overlays):   {seconds:7.1f} s  "
        f"{seconds / megapixels:5.2f} s/MP  process peak RSS {rss_after:6.0f} MB "
        f"(before: {rss_before:.0f} MB)"
    )
    print(f"  load average after: {os.getloadavg()[0]:.1f}")
