"""Importing a collection export: idempotent by object number, bad rows reported (never fatal),
other encodings and mapping files, embeddings refreshed, and the whole Walters sample."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from exhibits.curation import embedding_store, importer
from exhibits.curation import services as curation_services
from exhibits.curation.embeddings import HashingEncoder, TfidfEncoder, default_encoder
from exhibits.models import Artifact, ArtifactEmbedding, PublicationStatus
from tests.unit.factories import make_artifact

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "collection_small.csv"
GOOD = {"54.1001", "57.1002", "48.1003", "51.1004", "22.1008"}


def run_import(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_collection", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_parse_year_and_rows() -> None:
    assert importer.parse_year("-1479") == -1479
    assert importer.parse_year("1544.0") == 1544
    with pytest.raises(ValueError):
        importer.parse_year("about 1400")
    rows, rejected, header = importer.parse_rows(FIXTURE.read_bytes())
    assert {row.fields["object_number"] for row in rows} == GOOD
    assert header == []
    reasons = {r.object_number: " ".join(r.reasons) for r in rejected}
    assert reasons == {
        "54.1005": "title: missing",
        "54.1006": "date_start: not a year: 'about 1400'",
        "71.1007": "earliest year 1200 is after latest year 1101",
    }
    assert [r.line for r in rejected] == [6, 7, 8]


def test_duplicate_object_numbers_and_long_keys_are_rejected() -> None:
    data = FIXTURE.read_bytes() + b"999,54.1001,Second Helmet,,,,,,,,,,,,,,,,,,,,,\n"
    data += b"998," + b"X" * 80 + b",Too Long,,,,,,,,,,,,,,,,,,,,,\n"
    rows, rejected, _ = importer.parse_rows(data, max_lengths={"object_number": 64})
    assert len(rows) == 5
    assert "duplicate object number (first on line 2)" in rejected[-2].reasons
    assert rejected[-1].reasons == ["accession_number: longer than 64 characters"]


@pytest.mark.django_db
def test_import_creates_drafts_maps_fields_and_reports_bad_rows() -> None:
    out, err = run_import(str(FIXTURE))
    assert "8 rows" in out and "5 created" in out and "3 rejected" in out
    assert "rejected line 6 (54.1005): title: missing" in out
    assert "not a year" in out and "is after latest year" in out
    assert "5/5 rows" in err  # the progress bar
    assert set(Artifact.objects.values_list("object_number", flat=True)) == GOOD
    assert set(Artifact.objects.values_list("status", flat=True)) == {PublicationStatus.DRAFT}
    helmet = Artifact.objects.get(object_number="54.1001")
    assert helmet.external_id == "101"
    assert helmet.materials == "bronze"
    assert (helmet.date_start_year, helmet.date_end_year) == (-625, -575)
    assert (helmet.country, helmet.continent, helmet.culture) == ("Ellás", "Europe", "Greek")
    assert helmet.keywords == "warfare | armor"
    assert helmet.period == "Archaic"
    assert helmet.source_url == "http://art.thewalters.org/detail/101"


@pytest.mark.django_db
def test_import_twice_is_idempotent_and_updates_in_place(tmp_path: Path) -> None:
    first = curation_services.import_collection(data=FIXTURE.read_bytes())
    helmet = Artifact.objects.get(object_number="54.1001")
    helmet.status = PublicationStatus.PUBLISHED  # a curator published it meanwhile
    helmet.save()
    second = curation_services.import_collection(data=FIXTURE.read_bytes())
    assert (first.created, first.updated, len(first.rejected)) == (5, 0, 3)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 5)
    assert Artifact.objects.count() == 5
    changed = FIXTURE.read_text(encoding="utf-8").replace("Corinthian Helmet", "Bronze Helmet")
    third = curation_services.import_collection(data=changed.encode())
    assert (third.created, third.updated, third.unchanged) == (0, 1, 4)
    helmet.refresh_from_db()
    assert helmet.title == "Bronze Helmet"
    assert helmet.status == PublicationStatus.PUBLISHED  # an update never unpublishes
    assert Artifact.objects.count() == 5
    assert ArtifactEmbedding.objects.count() == 5  # one per artifact, the stale one replaced


@pytest.mark.django_db
def test_latin1_file_rows_are_reported_then_import_with_the_right_encoding(tmp_path) -> None:
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(FIXTURE.read_text(encoding="utf-8").encode("latin-1"))
    out, _ = run_import(str(latin), "--no-embeddings")
    assert "4 created" in out and "4 rejected" in out
    assert "origin_country: not valid text in the file's encoding" in out
    assert "--encoding latin-1" in out
    out, _ = run_import(str(latin), "--encoding", "latin-1", "--no-embeddings")
    assert "1 created" in out
    assert Artifact.objects.get(object_number="54.1001").country == "Ellás"


@pytest.mark.django_db
def test_mapping_file_and_its_errors(tmp_path: Path) -> None:
    data = tmp_path / "other.csv"
    data.write_text(
        "Inv. no.,Name,Material,Type\nA-1,Bronze Helmet,bronze,Arms\nA-2,,gold,Jewels\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {"object_number": "Inv. no.", "title": "Name", "materials": "Material"}
            | {"classification": "Type", "description": "Name"}
        )
    )
    out, _ = run_import(str(data), "--mapping", str(mapping), "--no-embeddings")
    assert "1 created" in out and "1 rejected" in out
    assert "header: column not in the file: accession_number" not in out
    helmet = Artifact.objects.get(object_number="A-1")
    assert (helmet.materials, helmet.classification, helmet.description) == (
        "bronze",
        "Arms",
        "Bronze Helmet",
    )
    mapping.write_text(json.dumps({"colour": "Colour"}))
    with pytest.raises(CommandError, match="unknown fields in the mapping: colour"):
        run_import(str(data), "--mapping", str(mapping))
    mapping.write_text("[1, 2]")
    with pytest.raises(CommandError, match="JSON object"):
        run_import(str(data), "--mapping", str(mapping))


@pytest.mark.django_db
def test_missing_key_column_imports_nothing(tmp_path: Path) -> None:
    data = tmp_path / "bad.csv"
    data.write_text("name,medium\nHelmet,bronze\n", encoding="utf-8")
    out, _ = run_import(str(data))
    assert "a required column is missing" in out
    assert Artifact.objects.count() == 0


class CountingEncoder(HashingEncoder):
    def __init__(self) -> None:
        super().__init__()
        self.encoded: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.encoded.extend(texts)
        return super().encode(texts)


@pytest.mark.django_db
def test_embedding_cache_recomputes_only_changed_texts() -> None:
    artifacts = [make_artifact(title=f"Bronze helmet {i}", materials="bronze") for i in range(3)]
    encoder = CountingEncoder()
    first = embedding_store.embeddings_for(artifacts, encoder)
    assert first.shape == (3, encoder.dim) and first.dtype == np.float32
    assert len(encoder.encoded) == 3
    artifacts[1].title = "Gold ring"
    artifacts[1].save()
    second = embedding_store.embeddings_for(artifacts, encoder)
    assert encoder.encoded[3:] == ["Gold ring. bronze"]
    np.testing.assert_array_equal(first[[0, 2]], second[[0, 2]])
    row = ArtifactEmbedding.objects.get(artifact=artifacts[1], model_name=encoder.name)
    assert row.dimensions == encoder.dim
    np.testing.assert_array_equal(np.frombuffer(bytes(row.vector), "<f4"), second[1])


@pytest.mark.django_db
def test_tfidf_is_never_cached() -> None:
    artifacts = [make_artifact(title=t) for t in ("Bronze helmet", "Gold ring", "Stone scarab")]
    vectors = embedding_store.embeddings_for(artifacts, TfidfEncoder())
    assert vectors.shape[0] == 3
    assert curation_services.refresh_embeddings(encoder=TfidfEncoder()) == 0
    assert not ArtifactEmbedding.objects.exists()


@pytest.mark.data
@pytest.mark.django_db
def test_import_the_whole_walters_sample() -> None:
    data_dir = os.environ.get("MOUSEION_DATA")
    if not data_dir:
        pytest.skip("MOUSEION_DATA is not set (needs collections/walters-sample.csv)")
    path = Path(data_dir) / "collections" / "walters-sample.csv"
    if not path.is_file():
        pytest.skip(f"no Walters sample at {path}")
    assert default_encoder().name.startswith("hashing")  # tests/conftest.py keeps it fast
    report = curation_services.import_collection(data=path.read_bytes())
    rows = path.read_bytes().count(b"\n") - 1  # one record per line in this file (README)
    assert report.rows == rows == 2498
    assert report.created + len(report.rejected) == 2498
    assert Artifact.objects.count() == report.created == 2496
    reasons = sorted(" ".join(r.reasons) for r in report.rejected)
    assert reasons == [
        "accession_number: longer than 64 characters",
        "earliest year 1725 is after latest year 1299",
    ]
    assert ArtifactEmbedding.objects.count() == 2496
    again = curation_services.import_collection(data=path.read_bytes(), update_embeddings=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2496)
