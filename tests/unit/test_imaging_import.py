"""`import_collection CSV --images DIR` (#20): images attached to records by object number,
in order, labelled from their names; a second run adds nothing; refusals listed, never fatal."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from exhibits.imaging.matching import match_images
from exhibits.models import Artifact, ArtifactForm, Canvas, ImageService
from tests.unit.flat_images import gradient, write

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "collection_small.csv"


def test_matching_by_object_number() -> None:
    names = [
        Path("54.1001.jpg"),
        Path("54_1001_verso.TIF"),
        Path("54.1001-2.png"),
        Path("A_12 f1r.png"),
        Path("54.10011.jpg"),  # another number, not 54.1001's eleventh
        Path("unknown.jpg"),
    ]
    found = match_images(names, ["54.1001", "A/12", "54.100"])
    assert [(m.path.name, m.label) for m in found.matches["54.1001"]] == [
        ("54.1001.jpg", ""),
        ("54.1001-2.png", ""),
        ("54_1001_verso.TIF", "verso"),
    ]
    assert [(m.path.name, m.label) for m in found.matches["A/12"]] == [("A_12 f1r.png", "f1r")]
    assert [p.name for p in found.unmatched] == ["54.10011.jpg", "unknown.jpg"]
    ambiguous = match_images([Path("a-1.jpg")], ["A-1", "a.1"])
    assert ambiguous.ambiguous == [(Path("a-1.jpg"), ["A-1", "a.1"])]


@pytest.mark.django_db
def test_import_collection_attaches_images(tmp_path, django_capture_on_commit_callbacks) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    write(gradient(400, 300), folder / "54.1001.jpg")
    write(gradient(300, 400), folder / "54.1001_verso.png")
    (folder / "57.1002.jpg").write_bytes(b"not an image at all\n" * 4)
    write(gradient(), folder / "99.9999.png")
    (folder / "notes.txt").write_text("ignored")

    def run() -> dict:
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command(
                "import_collection", str(FIXTURE), "--no-embeddings", "--json",
                "--images", str(folder), "--run-image-jobs", stdout=out, stderr=io.StringIO(),
            )  # fmt: skip
        return json.loads(out.getvalue())["images"]

    report = run()
    assert [(a["object_number"], a["file"]) for a in report["attached"]] == [
        ("54.1001", "54.1001.jpg"),
        ("54.1001", "54.1001_verso.png"),
    ]
    assert report["refused"][0]["file"] == "57.1002.jpg"
    assert "not an image we read" in report["refused"][0]["reason"]
    assert report["unmatched"] == ["99.9999.png"]
    helmet = Artifact.objects.get(object_number="54.1001")
    assert helmet.form == ArtifactForm.FLAT
    canvases = list(Canvas.objects.filter(artifact=helmet).values_list("order", "label"))
    assert canvases == [(0, ""), (1, "verso")]
    assert ImageService.objects.filter(asset__artifact=helmet).count() == 2
    again = run()
    assert again["attached"] == [] and len(again["skipped"]) == 2
    assert Canvas.objects.filter(artifact=helmet).count() == 2
