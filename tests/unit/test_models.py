"""Model invariants and the services the API and the admin call."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from exhibits.collection import services
from exhibits.models import Annotation, Artifact, Asset, Exhibition, Job, PublicationStatus
from tests.unit.factories import (
    glb_bytes,
    make_artifact,
    make_exhibition,
    make_source,
    make_thumbnail,
    png_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


def read(asset: Asset) -> bytes:
    with asset.file.open("rb") as handle:
        return handle.read()


# --- the source file is evidence -------------------------------------------------------------


def test_source_file_cannot_be_swapped_at_model_level() -> None:
    source = make_source(make_artifact())
    content, name, sha = read(source), source.file.name, source.sha256

    source.file.save("other.glb", ContentFile(png_bytes()), save=False)
    with pytest.raises(ValidationError, match="cannot be overwritten"):
        source.save()

    stored = Asset.objects.get(pk=source.pk)
    assert (stored.file.name, stored.sha256) == (name, sha)
    assert read(stored) == content


def test_source_sha_cannot_be_rewritten_at_model_level() -> None:
    source = make_source(make_artifact())
    source.sha256 = "0" * 64
    with pytest.raises(ValidationError):
        source.save()
    assert Asset.objects.get(pk=source.pk).sha256 != "0" * 64


def test_source_label_can_change_at_model_level() -> None:
    source = make_source(make_artifact())
    services.relabel_asset(asset=source, label="raw scan")
    assert Asset.objects.get(pk=source.pk).label == "raw scan"


def test_a_second_upload_of_the_same_name_never_replaces_the_first() -> None:
    artifact = make_artifact()
    first = make_source(artifact, name="scan.glb")
    second = services.store_source_asset(
        artifact=artifact, upload=upload("scan.glb", glb_bytes()), filename="scan.glb"
    )
    assert first.file.name != second.file.name
    assert read(Asset.objects.get(pk=first.pk)) == glb_bytes()


# --- other invariants ------------------------------------------------------------------------


def test_artifact_date_range_constraint() -> None:
    artifact = Artifact(object_number="X.1", title="Cup", date_start_year=10, date_end_year=5)
    with pytest.raises(ValidationError, match="earliest year must not be after"):
        artifact.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        artifact.save()


def test_derived_asset_must_name_its_origin() -> None:
    artifact = make_artifact()
    orphan = Asset(
        artifact=artifact, kind=Asset.Kind.THUMBNAIL, sha256="a" * 64, byte_size=1, format="png"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        orphan.save()


def test_annotation_clean_checks_vectors() -> None:
    annotation = Annotation(
        artifact=make_artifact(),
        title="Chip",
        position=[0, 0],
        camera_position=[0, 0, 1],
        camera_target=[0, 0, 0],
    )
    with pytest.raises(ValidationError) as caught:
        annotation.full_clean()
    assert set(caught.value.message_dict) == {"position"}


# --- services added with the API -------------------------------------------------------------


def test_add_source_asset_labels_and_queues_intake_for_a_mesh() -> None:
    artifact = make_artifact()
    asset, job = services.add_source_asset(
        artifact=artifact, upload=upload("a.glb", glb_bytes()), filename="a.glb", label="scan"
    )
    assert asset.label == "scan" and asset.kind == "source"
    assert job is not None and job.input_asset == asset
    assert (job.kind, job.status) == ("intake", "queued")


def test_add_source_asset_queues_the_image_intake_for_images() -> None:
    asset, job = services.add_source_asset(
        artifact=make_artifact(), upload=upload("p.png", png_bytes()), filename="p.png"
    )
    assert job is not None and (job.kind, job.status) == ("intake", "queued")  # #20: a canvas
    assert (asset.width_px, asset.height_px) == (8, 8) and asset.canvases.count() == 1


def test_delete_derived_asset_refuses_sources() -> None:
    source = make_source(make_artifact())
    with pytest.raises(ValidationError, match="cannot be deleted"):
        services.delete_derived_asset(asset=source)
    assert Asset.objects.filter(pk=source.pk).exists()


def test_delete_derived_asset_takes_its_derivatives_and_files(
    django_capture_on_commit_callbacks,
) -> None:
    source = make_source(make_artifact())
    lod = Asset.objects.create(
        artifact=source.artifact,
        kind=Asset.Kind.LOD,
        file=ContentFile(glb_bytes(), name="web.glb"),
        sha256="b" * 64,
        byte_size=10,
        format="glb",
        derived_from=source,
    )
    thumbnail = make_thumbnail(lod)
    paths = [Path(lod.file.path), Path(thumbnail.file.path)]
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_derived_asset(asset=lod)
    assert list(Asset.objects.values_list("pk", flat=True)) == [source.pk]
    assert not any(path.exists() for path in paths)
    assert Path(source.file.path).exists()


def test_delete_artifact_with_derived_assets() -> None:
    artifact = make_artifact()
    make_thumbnail(make_source(artifact))
    Job.objects.create(kind="thumbnail", artifact=artifact)
    services.delete_artifact(artifact=artifact)
    assert not Artifact.objects.exists() and not Asset.objects.exists()
    assert not Job.objects.exists()


def test_set_publication_status() -> None:
    draft, published = make_artifact(published=False), make_artifact()
    changed = services.set_publication_status(
        objects=Artifact.objects.all(), status=PublicationStatus.PUBLISHED
    )
    assert changed == 1
    assert set(Artifact.objects.published()) == {draft, published}
    with pytest.raises(ValidationError):
        services.set_publication_status(objects=Artifact.objects.all(), status="lost")


def test_save_exhibition_sets_items_in_order_only_when_given() -> None:
    a, b = make_artifact(), make_artifact()
    exhibition = Exhibition(title="Pair", slug="pair")
    services.save_exhibition(exhibition=exhibition, artifacts=[b, a])
    assert [item.artifact for item in exhibition.items.all()] == [b, a]
    exhibition.title = "Pair, renamed"
    services.save_exhibition(exhibition=exhibition)
    assert [item.artifact for item in exhibition.items.all()] == [b, a]
    assert make_exhibition(a).items.count() == 1
