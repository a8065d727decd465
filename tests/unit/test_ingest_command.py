"""`manage.py ingest`: one JSON object on success; a one-line reason and exit 1 on failure."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import trimesh
from django.core.management import call_command
from django.core.management.base import CommandError

from exhibits.models import Artifact, Asset, Job

pytestmark = pytest.mark.django_db


def run_ingest(*args: str) -> dict:
    out = io.StringIO()
    call_command("ingest", *args, stdout=out)
    return json.loads(out.getvalue())


def test_ingest_prints_artifact_assets_and_report(tmp_path: Path) -> None:
    path = tmp_path / "column.stl"
    path.write_bytes(trimesh.creation.cylinder(radius=100, height=1500).export(file_type="stl"))
    summary = run_ingest(str(path), "--title", "Column drum", "--unit", "mm")
    artifact = Artifact.objects.get(pk=summary["artifact_id"])
    assert artifact.title == "Column drum"
    assert summary["status"] == "done" and summary["error"] is None
    kinds = sorted((asset["kind"], asset["label"]) for asset in summary["assets"])
    assert kinds == [("lod", "thumb"), ("lod", "web"), ("thumbnail", "preview")]
    assert all(asset["bytes"] > 0 for asset in summary["assets"])
    assert summary["report"]["format"] == "stl"
    assert summary["report"]["units"] == "unit 'mm' given by the curator"
    # STL is Z-up by default: the 1.5 m cylinder axis becomes the height.
    assert artifact.height_m == pytest.approx(1.5, rel=1e-3)
    assert artifact.width_m == pytest.approx(0.2, rel=1e-2)


def test_ingest_into_an_existing_artifact(tmp_path: Path) -> None:
    artifact = Artifact.objects.create(object_number="A-1", title="Amphora")
    path = tmp_path / "amphora.glb"
    path.write_bytes(trimesh.creation.icosphere().export(file_type="glb"))
    summary = run_ingest(str(path), "--artifact", str(artifact.pk))
    assert summary["artifact_id"] == artifact.pk
    assert artifact.assets.filter(kind="source").count() == 1


def test_bad_file_exits_with_one_line_reason_and_stores_nothing(tmp_path: Path) -> None:
    path = tmp_path / "scan.glb"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(CommandError) as caught:
        run_ingest(str(path), "--title", "Fake")
    assert str(caught.value) == "The file is named .glb but its content is PNG."
    assert not Artifact.objects.exists() and not Asset.objects.exists()


def test_broken_mesh_keeps_its_source_and_fails_the_job(tmp_path: Path) -> None:
    path = tmp_path / "broken.glb"
    path.write_bytes(b"glTF\x02\x00\x00\x00\xff\xff\x00\x00")
    with pytest.raises(CommandError, match="truncated"):
        call_command("ingest", str(path), "--title", "Broken", stdout=io.StringIO())
    job = Job.objects.get()
    assert job.status == "failed" and "truncated" in job.error
    assert list(Asset.objects.values_list("kind", flat=True)) == ["source"]


def test_missing_title_and_artifact_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.glb"
    path.write_bytes(trimesh.creation.box().export(file_type="glb"))
    with pytest.raises(CommandError, match="--title"):
        run_ingest(str(path))
