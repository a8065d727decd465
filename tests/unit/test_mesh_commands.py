"""restore_mesh and eval_mesh_fill end to end on tiny meshes written by the test."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
import trimesh
from django.core.management import CommandError, call_command

from restoration.mesh.confidence import ShapeConfidence
from restoration.mesh.holes import open_edge_count
from tests.unit.mesh_shapes import sphere_with_hole


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("suffix", [".ply", ".obj", ".stl", ".glb"])
def test_restore_mesh_fills_and_writes_each_format(tmp_path: Path, suffix: str) -> None:
    holed, _ = sphere_with_hole(subdivisions=3)
    source = tmp_path / f"holed{suffix}"
    holed.export(source)
    target = tmp_path / f"repaired{suffix}"
    summary = json.loads(_run("restore_mesh", str(source), str(target), "--method", "fill"))
    assert summary["holes_found"] == 1 and summary["holes_filled"] == 1
    assert summary["faces_added"] > 0 and summary["seconds"] >= 0
    repaired = trimesh.load(target, force="mesh")
    assert isinstance(repaired, trimesh.Trimesh)
    assert open_edge_count(repaired.faces, repaired.vertices) == 0
    assert open_edge_count(holed.faces, holed.vertices) > 0


def test_restore_mesh_auto_reports_every_candidate(tmp_path: Path) -> None:
    holed, _ = sphere_with_hole(subdivisions=3)
    source = tmp_path / "holed.ply"
    holed.export(source)
    summary = json.loads(_run("restore_mesh", str(source), str(tmp_path / "out.ply")))
    assert summary["method"] == "auto" and summary["holes_filled"] == 1
    methods = {c["method"] for c in summary["regions"][0]["candidates"]}
    assert methods == {"cgal", "curvature", "fill", "symmetry", "revolve", "fan"}
    assert summary["regions"][0]["chosen"] in methods
    # The committed calibration speaks for a rehearsed smooth hole, with a fraction.
    assert 0.0 <= summary["regions"][0]["confidence"] <= 1.0


def test_restore_mesh_refuses_a_closed_mesh_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "closed.ply"
    trimesh.creation.icosphere(subdivisions=2).export(source)
    target = tmp_path / "out.ply"
    with pytest.raises(CommandError, match="no_holes"):
        _run("restore_mesh", str(source), str(target), "--method", "fill")
    assert not target.exists()


def test_restore_mesh_refuses_unreadable_input(tmp_path: Path) -> None:
    source = tmp_path / "junk.ply"
    source.write_bytes(b"not a mesh at all")
    with pytest.raises(CommandError):
        _run("restore_mesh", str(source), str(tmp_path / "out.ply"))
    with pytest.raises(CommandError, match="unsupported"):
        _run("restore_mesh", str(tmp_path / "scan.fbx"), str(tmp_path / "out.ply"))


def test_eval_mesh_fill_beats_the_fan_on_a_smooth_scan_and_counts_it_once(tmp_path: Path) -> None:
    sphere = trimesh.creation.icosphere(subdivisions=4)
    sphere.export(tmp_path / "sphere.ply")
    sphere.export(tmp_path / "sphere_copy.stl")  # the same geometry again: skipped
    output = _run("eval_mesh_fill", "--meshes", str(tmp_path), "--holes", "3", "--seed", "1")
    summary = json.loads(output[output.index("\n{") + 1 :])
    assert summary["holes"] >= 2  # the smallest size may find no room on so coarse a sphere
    assert summary["added_open_edges"] == 0 and summary["unfilled"] == 0
    # A faired fill follows the sphere, a fan cuts across.
    assert summary["mean_ours_to_fan"] < 0.5
    assert summary["holes_worse_than_fan"] == 0
    assert summary["skipped_duplicates"] == {"sphere_copy.stl": "sphere.ply"}
    assert "sphere.ply" in output and "/cgal" in output


def test_eval_mesh_fill_chooses_only_among_the_methods_asked_for(tmp_path: Path) -> None:
    trimesh.creation.icosphere(subdivisions=4).export(tmp_path / "sphere.ply")
    args = ("--meshes", str(tmp_path), "--holes", "2", "--seed", "1", "--methods")
    output = _run("eval_mesh_fill", *args, "symmetry", "revolve")
    summary = json.loads(output[output.index("\n{") + 1 :])
    # The baselines are measured (every ratio needs them) but never chosen.
    assert set(summary["chosen"]) <= {"symmetry", "revolve", "None"}
    assert np.isfinite(summary["mean_ours_to_cgal"]) and np.isfinite(summary["mean_ours_to_fan"])
    with pytest.raises(CommandError, match="unknown methods"):
        _run("eval_mesh_fill", *args, "cgal", "magic")


def test_eval_mesh_fill_fits_the_confidence_on_its_holes_and_reports_it(tmp_path: Path) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    trimesh.creation.icosphere(subdivisions=4).export(scans / "sphere.ply")
    trimesh.creation.capsule(height=1.0, radius=0.5, count=[48, 48]).export(scans / "capsule.ply")
    fitted = tmp_path / "confidence.json"
    evaluate = ("eval_mesh_fill", "--meshes", str(scans), "--holes", "3", "--seed")
    output = _run(*evaluate, "1", "2", "3", "--fit-confidence", str(fitted))
    summary = json.loads(output[output.index("\n{") + 1 :])
    calibration = ShapeConfidence.load(fitted)
    assert calibration is not None and calibration.holes >= 10
    assert "--seed 1 2 3" in calibration.fitted_on
    assert summary["holes"] >= calibration.holes  # one row per punched hole, every seed
    report = summary["confidence"]
    assert report["holes_with_confidence"] == calibration.holes
    assert sum(band["holes"] for band in report["bands"].values()) == calibration.holes
    # Reported against a fitted file, that file is read, never refitted.
    before = fitted.read_bytes()
    output = _run(*evaluate, "4", "5", "--confidence", str(fitted))
    assert '"spearman_with_improvement_over_fan"' in output and fitted.read_bytes() == before
    assert "confidence fitted" not in output


def test_eval_mesh_fill_refuses_to_fit_the_confidence_on_too_few_holes(tmp_path: Path) -> None:
    trimesh.creation.icosphere(subdivisions=4).export(tmp_path / "sphere.ply")
    fitted = tmp_path / "confidence.json"
    args = ("--meshes", str(tmp_path), "--holes", "2", "--fit-confidence", str(fitted))
    with pytest.raises(CommandError, match="at least 10"):
        _run("eval_mesh_fill", *args)
    assert not fitted.exists()
    trimesh.creation.capsule(height=1.0, radius=0.5, count=[48, 48]).export(tmp_path / "c.ply")
    nowhere = str(tmp_path / "missing" / "c.json")
    with pytest.raises(CommandError, match=r"--fit-confidence: .*No such file"):
        _run("eval_mesh_fill", "--meshes", str(tmp_path), "--holes", "3", "--seed", "1", "2", "3",
             "--fit-confidence", nowhere)  # fmt: skip


def test_eval_mesh_fill_needs_a_folder_with_meshes(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no meshes"):
        _run("eval_mesh_fill", "--meshes", str(tmp_path))
    with pytest.raises(CommandError, match="not a folder"):
        _run("eval_mesh_fill", "--meshes", str(tmp_path / "missing"))
