"""Intake published in stages (#24): web, then thumb go live before the inspection level, the
job's stage says so, a failure after the web copy leaves the artifact viewable and the job
failed with the reason, and a retry finishes the job without duplicating a level. Real
gltfpack, real storage, the real artifact page and media view."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
import trimesh
from django.conf import settings as django_settings
from django.test import Client
from PIL import Image

from exhibits.collection import services
from exhibits.intake import cleaning
from exhibits.intake import services as intake
from exhibits.intake.errors import IntakeError
from exhibits.intake.limits import IntakeLimits
from exhibits.intake.lod import LadderBuild, LadderSettings
from exhibits.intake.pipeline import WEB_PUBLISHED, run_intake
from exhibits.models import Artifact, Asset, Job
from museum import jobs
from tests.unit.factories import make_artifact, upload
from tests.unit.test_intake_pipeline import decode_meshopt

# Small budgets so a 1,280-face sphere has all three levels (inspection above 1.2 x 200).
LADDER = {"web_faces": 100, "inspection_faces": 200, "thumb_faces": 40}


def sphere_glb() -> bytes:
    return trimesh.creation.icosphere(subdivisions=3).export(file_type="glb")


def queued_job(artifact: Artifact) -> Job:
    source = services.store_source_asset(
        artifact=artifact, upload=upload("sphere.glb", sphere_glb()), filename="sphere.glb"
    )
    return Job.objects.create(kind=intake.INTAKE_KIND, artifact=artifact, input_asset=source)


def levels(job: Job) -> list[tuple[str, str]]:
    return sorted(Asset.objects.filter(created_by_job=job).values_list("kind", "label"))


def viewer_lods(artifact: Artifact) -> tuple[dict, bool]:
    """What an anonymous visitor's artifact page offers: the viewer's LOD URLs, and whether it
    shows the "Inspect in full detail" button."""
    response = Client().get(f"/artifacts/{artifact.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    start = page.index('id="viewer-config"')
    config = json.loads(page[page.index(">", start) + 1 : page.index("</script>", start)])
    return config["lods"], 'id="viewer-inspect"' in page


@pytest.fixture
def small_ladder(settings):
    settings.MOUSEION_LADDER = LADDER


@pytest.mark.django_db
def test_the_web_copy_is_live_before_the_inspection_level(small_ladder, monkeypatch) -> None:
    artifact = make_artifact()
    job = queued_job(artifact)
    seen: list[dict] = []
    real_publish = intake.publish_intake_stage

    def publish_and_look(**kwargs):
        assets = real_publish(**kwargs)
        row = Job.objects.get(pk=job.pk)
        lods, inspect_button = viewer_lods(artifact)
        web = lods.get("web")
        seen.append(
            {
                "status": row.status,
                "stage": row.stage,
                "lods": {label for label, url in lods.items() if url},
                "inspect_button": inspect_button,
                "web_served": web and Client().get(web).status_code == 200,
            }
        )
        return assets

    monkeypatch.setattr(intake, "publish_intake_stage", publish_and_look)
    done = intake.run_intake_job(job_id=job.pk)
    first = seen[0]
    assert first == {
        "status": Job.Status.RUNNING,
        "stage": WEB_PUBLISHED,
        "lods": {"web"},  # viewable at once: the page loads the web level alone
        "inspect_button": False,  # the page works without the inspection level
        "web_served": True,
    }
    assert seen[1]["lods"] == {"thumb", "web"} and seen[1]["stage"] == WEB_PUBLISHED
    assert done.status == Job.Status.DONE and len(seen) == 4  # web, thumb, preview, inspection
    assert levels(done) == [
        ("lod", "inspection"),
        ("lod", "thumb"),
        ("lod", "web"),
        ("thumbnail", "preview"),
    ]
    lods, inspect_button = viewer_lods(artifact)
    assert lods["inspection"] and inspect_button


@pytest.mark.django_db
def test_a_small_scan_publishes_its_levels_then_completes(settings) -> None:
    """No inspection level below 1.2 x its budget: the preview stage completes the job."""
    settings.MOUSEION_LADDER = {**LADDER, "inspection_faces": 5_000}
    job = intake.run_intake_job(job_id=queued_job(make_artifact()).pk)
    assert job.status == Job.Status.DONE
    assert levels(job) == [("lod", "thumb"), ("lod", "web"), ("thumbnail", "preview")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("error", "code", "reason"),
    [
        (IntakeError("lod_failed", "gltfpack failed: out of disk"), "lod_failed", "out of disk"),
        (MemoryError("no room"), "later_stage_failed", "MemoryError: no room"),
    ],
)
def test_a_failure_after_the_web_copy_keeps_it_and_a_retry_finishes(
    small_ladder, monkeypatch, django_capture_on_commit_callbacks, error, code, reason
) -> None:
    artifact = make_artifact()
    job = queued_job(artifact)

    def inspection_fails(self, matrix):
        raise error

    monkeypatch.setattr(LadderBuild, "inspection", inspection_fails)
    with django_capture_on_commit_callbacks(execute=True):
        failed = intake.run_intake_job(job_id=job.pk)
    assert failed.status == Job.Status.FAILED
    assert "web copy is published and stays viewable" in failed.error and reason in failed.error
    assert failed.report["error_code"] == code
    assert failed.report["faces"] == 1280  # the validation report is kept
    kept = Asset.objects.filter(created_by_job=job)
    assert levels(failed) == [("lod", "thumb"), ("lod", "web"), ("thumbnail", "preview")]
    storage = Asset._meta.get_field("file").storage
    earlier_files = [asset.file.name for asset in kept]
    assert all(storage.exists(name) for name in earlier_files)
    lods, inspect_button = viewer_lods(artifact)
    assert lods["web"] and not lods["inspection"] and not inspect_button
    assert Client().get(lods["web"]).status_code == 200

    monkeypatch.undo()
    jobs.retry(job=failed)
    with django_capture_on_commit_callbacks(execute=True):
        retried = intake.run_intake_job(job_id=job.pk)
    assert retried.status == Job.Status.DONE and retried.error == ""
    assert levels(retried) == [
        ("lod", "inspection"),
        ("lod", "thumb"),
        ("lod", "web"),
        ("thumbnail", "preview"),
    ]  # each level once: the retry replaced what the failed attempt had published
    assert not any(storage.exists(name) for name in earlier_files)
    now = Asset.objects.filter(created_by_job=job)
    assert all(storage.exists(asset.file.name) for asset in now)
    # A duplicate delivery of the finished job changes nothing.
    again = intake.run_intake_job(job_id=job.pk)
    assert again.attempts == retried.attempts and levels(again) == levels(retried)


@pytest.mark.django_db
def test_a_failure_before_the_web_copy_publishes_nothing(small_ladder, monkeypatch) -> None:
    def web_fails(self, matrix):
        raise IntakeError("lod_failed", "gltfpack failed: broken")

    monkeypatch.setattr(LadderBuild, "web", web_fails)
    failed = intake.run_intake_job(job_id=queued_job(make_artifact()).pk)
    assert failed.status == Job.Status.FAILED and failed.error == "gltfpack failed: broken"
    assert levels(failed) == []


@pytest.mark.django_db
def test_an_attempt_superseded_between_stages_stops(small_ladder, monkeypatch) -> None:
    job = queued_job(make_artifact())
    real_publish = intake.publish_intake_stage

    def newer_claim_after_the_first_stage(**kwargs):
        assets = real_publish(**kwargs)
        Job.objects.filter(pk=job.pk).update(attempts=5)  # another worker took it over
        return assets

    monkeypatch.setattr(intake, "publish_intake_stage", newer_claim_after_the_first_stage)
    after = intake.run_intake_job(job_id=job.pk)
    assert after.status == Job.Status.RUNNING and after.attempts == 5
    assert levels(after) == [("lod", "web")]  # the newer attempt will replace it


def test_an_upload_that_cleaning_changes_is_simplified_as_cleaned() -> None:
    """gltfpack starts on the upload as it is; when cleaning removes faces, the web level is
    built again from the cleaned document (duplicates must not come back)."""
    mesh = trimesh.creation.icosphere(subdivisions=2)  # 320 faces
    doubled = trimesh.Trimesh(mesh.vertices, np.vstack([mesh.faces, mesh.faces]), process=False)
    ladder = LadderSettings(gltfpack_cli=str(django_settings.MOUSEION_GLTFPACK))
    result = run_intake(doubled.export(file_type="glb"), "scan.glb", IntakeLimits(), ladder)
    assert result.report["duplicate_faces"] == 320
    assert {lod.label: lod.faces for lod in result.lods}["web"] == 320


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_cleaning_in_chunks_finds_what_one_pass_finds(monkeypatch, chunk) -> None:
    """Degenerate and duplicate faces found across chunk borders, as in one pass."""
    rng = np.random.default_rng(5)
    positions = rng.normal(size=(60, 3)).astype(np.float32)
    positions[7] = np.nan
    faces = rng.integers(0, 60, size=(150, 3))
    faces = np.vstack([faces, faces[[3, 90, 140]][:, [1, 2, 0]], [[4, 4, 9], [1, 2, 1]]])
    whole, counts = cleaning.clean_triangles(positions, faces)
    monkeypatch.setattr(cleaning, "CHUNK_FACES", chunk)
    chunked, chunked_counts = cleaning.clean_triangles(positions, faces)
    assert counts["duplicate_faces"] >= 3 and counts["degenerate_faces"] >= 2
    assert chunked_counts == counts and np.array_equal(chunked, whole)


def test_a_web_level_whose_textures_do_not_fit_gets_them_shrunk(tmp_path: Path) -> None:
    """Textures above the web level's side: gltfpack simplifies only (-noq), the textures are
    shrunk, then it compresses; the levels stand on y = 0 like those made in one run."""
    mesh = trimesh.creation.icosphere(subdivisions=3)
    uv = (mesh.vertices[:, :2] + 1) / 2
    texture = Image.fromarray(np.random.default_rng(1).integers(0, 255, (256, 256, 3), np.uint8))
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, image=texture)
    ladder = LadderSettings(
        gltfpack_cli=str(django_settings.MOUSEION_GLTFPACK), web_texture=64, **LADDER
    )
    result = run_intake(mesh.export(file_type="glb"), "ball.glb", IntakeLimits(), ladder)
    sides = {lod.label: lod.texture_side for lod in result.lods}
    assert sides["web"] == 64 and sides["inspection"] == 256  # inspection: made in one run
    for lod in result.lods:
        low, high = decode_meshopt(lod.data, tmp_path, lod.label).bounds
        assert high[1] == pytest.approx(2.0, rel=0.02) and low[1] == pytest.approx(0.0, abs=0.02)


def test_gltfpack_started_early_is_stopped_when_validation_refuses(tmp_path: Path) -> None:
    """The web level starts on the upload before validation ends; a refused file stops it at
    once (a stand-in gltfpack that would run for a minute) and leaves no process behind."""
    slow = tmp_path / "slow_gltfpack.py"
    slow.write_text("import time\ntime.sleep(60)\n")
    ladder = LadderSettings(node=sys.executable, gltfpack_cli=str(slow))
    mesh = trimesh.creation.icosphere(subdivisions=1)
    faces = mesh.faces.copy()
    faces[3] = [0, 1, 10_000]  # an index past the vertex list
    data = trimesh.Trimesh(mesh.vertices, faces, process=False).export(file_type="glb")
    started = time.monotonic()
    with pytest.raises(IntakeError) as refused:
        run_intake(data, "scan.glb", IntakeLimits(), ladder)
    assert refused.value.code == "bad_indices"
    assert time.monotonic() - started < 20
    # Only the stand-in counts: a whole-suite run has other children (the live museum's servers).
    left = [
        child
        for child in psutil.Process().children(recursive=True)
        if any(str(slow) in part for part in _cmdline(child))
    ]
    assert left == []


LOD_PLAN = """
import { lodPlan } from '%s';
const plans = JSON.parse(process.argv[2]).map(([lods, search]) => lodPlan({ lods }, search));
console.log(JSON.stringify(plans.map((plan) => plan.steps.map((step) => step.label))));
"""


def test_the_viewer_plans_the_levels_that_exist_so_far(tmp_path: Path) -> None:
    """The viewer's LOD choice (static/js/lib/lod-loader.js, run in Node) for each stage: web
    alone, thumb + web, and a request for an inspection level not built yet."""
    module = Path(django_settings.BASE_DIR, "static/js/lib/lod-loader.js").as_uri()
    script = tmp_path / "plan.mjs"
    script.write_text(LOD_PLAN % module)
    web_only = {"thumb": None, "web": "/w.glb", "inspection": None}
    cases = [
        [web_only, ""],
        [{**web_only, "thumb": "/t.glb"}, ""],
        [web_only, "?lod=inspection"],
        [{**web_only, "inspection": "/i.glb"}, ""],
    ]
    output = subprocess.run(
        ["node", "--no-warnings", str(script), json.dumps(cases)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=django_settings.BASE_DIR,
    ).stdout
    assert json.loads(output) == [["web"], ["thumb", "web"], ["web"], ["web"]]


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:  # gone or not ours to read: not a stand-in left behind
        return []
