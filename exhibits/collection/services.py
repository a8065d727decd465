"""State changes of the collection: small typed functions, one transaction each."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import models, router, transaction
from django.db.models.deletion import Collector
from django.utils import timezone
from django.utils.translation import gettext as _

from exhibits.intake import sniff as ingest_sniff
from exhibits.intake.errors import IntakeError
from exhibits.models import (
    Artifact,
    Asset,
    DimensionsSource,
    Exhibition,
    Job,
    PublicationStatus,
)
from museum.uploads import stored_first

MESH_FORMATS = set(ingest_sniff.MESH_FORMATS)
IMAGE_FORMATS = {"png", "jpg", "webp"}


def sniff_format(head: bytes, filename: str, size: int | None = None) -> str:
    """The real format of a file from its first bytes, checked against its extension."""
    try:
        return ingest_sniff.sniff(head, filename, size)
    except IntakeError as exc:
        raise ValidationError(str(exc), code=exc.code) from exc


def _digest(stream: IO[bytes]) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    stream.seek(0)
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        sha.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return sha.hexdigest(), size


def store_source_asset(
    *, artifact: Artifact, upload: File, filename: str, max_bytes: int | None = None
) -> Asset:
    """Store an uploaded file untouched as a new source asset (never replaces an existing one)."""
    asset = checked_source_asset(
        artifact=artifact, upload=upload, filename=filename, max_bytes=max_bytes
    )
    with stored_first(asset.file, Path(filename).name, upload), transaction.atomic():
        asset.save()
    return asset


def checked_source_asset(
    *, artifact: Artifact, upload: File, filename: str, max_bytes: int | None = None
) -> Asset:
    """An unsaved source asset for `upload` once its size and real format are accepted."""
    sha256, size = _digest(upload)
    if size == 0:
        raise ValidationError(_("The file is empty."))
    head = upload.read(4096)
    upload.seek(0)
    file_format = sniff_format(head, filename, size)
    if file_format not in MESH_FORMATS | IMAGE_FORMATS:
        raise ValidationError(_("Unsupported file format: %(f)s") % {"f": file_format})
    if max_bytes is not None and size > max_bytes:
        raise ValidationError(
            _("The file is %(size)d bytes; the limit is %(limit)d bytes.")
            % {"size": size, "limit": max_bytes}
        )
    return Asset(
        artifact=artifact,
        kind=Asset.Kind.SOURCE,
        original_filename=Path(filename).name[:255],
        sha256=sha256,
        byte_size=size,
        format=file_format,
    )


def start_job(*, kind: str, artifact: Artifact, input_asset: Asset | None = None) -> Job:
    """Create a queued job; the caller enqueues its task with transaction.on_commit."""
    return Job.objects.create(kind=kind, artifact=artifact, input_asset=input_asset)


def mark_job(job: Job, *, status: str, progress: int | None = None, stage: str = "") -> None:
    job.status = status
    if progress is not None:
        job.progress = progress
    if stage:
        job.stage = stage
    now = timezone.now()
    if status == Job.Status.RUNNING and job.started_at is None:
        job.started_at = now
    if status in (Job.Status.DONE, Job.Status.FAILED):
        job.finished_at = now
    job.save(update_fields=["status", "progress", "stage", "started_at", "finished_at"])


def derived_asset(
    *,
    source: Asset,
    kind: str,
    label: str,
    content: ContentFile,
    file_format: str,
    job: Job | None = None,
    **counts: int | None,
) -> Asset:
    """An unsaved asset derived from `source`, with its digest; `counts` are the optional
    vertex_count, face_count, width_px and height_px."""
    sha256, byte_size = _digest(content)
    return Asset(
        artifact=source.artifact,
        kind=kind,
        label=label,
        sha256=sha256,
        byte_size=byte_size,
        format=file_format,
        derived_from=source,
        created_by_job=job,
        **counts,
    )


def create_thumbnail(*, source: Asset, job: Job | None = None, size: int = 512) -> Asset:
    """Render a PNG thumbnail of a GLB asset and store it as a derived asset."""
    # Imported here: the renderer brings trimesh (~0.5 s), which web processes never need.
    from exhibits.intake.thumbnail_gl import render_preview

    with source.file.open("rb") as handle:
        data = handle.read()
    buffer = io.BytesIO()
    render_preview(data, size=size).save(buffer, format="PNG", optimize=True)
    content = ContentFile(buffer.getvalue())
    thumbnail = derived_asset(
        source=source,
        kind=Asset.Kind.THUMBNAIL,
        label="preview",
        content=content,
        file_format="png",
        job=job,
        width_px=size,
        height_px=size,
    )
    with transaction.atomic():
        thumbnail.file.save(f"{Path(source.file.name or '').stem}-thumb.png", content, save=False)
        thumbnail.save()
    return thumbnail


DIMENSION_FIELDS = frozenset({"height_m", "width_m", "depth_m"})


def save_artifact(*, artifact: Artifact, changed_fields: Iterable[str]) -> Artifact:
    """Save an artifact a person edited. Dimensions among `changed_fields` become the
    person's (`dimensions_source="person"`): intake never overwrites them afterwards."""
    with transaction.atomic():
        if DIMENSION_FIELDS & set(changed_fields):
            artifact.dimensions_source = DimensionsSource.PERSON
        artifact.save()
    return artifact


def set_exhibition_items(*, exhibition: Exhibition, artifacts: Iterable[Artifact]) -> None:
    """Make an exhibition's items exactly `artifacts`, in the given order.

    Items of artifacts still listed are kept and only reordered, so their room, labels (in every
    language) and text status survive; new artifacts get new items; unlisted ones are removed."""
    from exhibits.models import ExhibitionItem

    wanted = list(artifacts)
    if len({artifact.pk for artifact in wanted}) != len(wanted):
        raise ValidationError(_("An artifact is listed twice; each may appear once."))
    with transaction.atomic():
        existing = {item.artifact_id: item for item in exhibition.items.select_for_update()}
        keep = {artifact.pk for artifact in wanted}
        exhibition.items.exclude(artifact_id__in=keep).delete()
        moved = []
        for index, artifact in enumerate(wanted):
            item = existing.get(artifact.pk)
            if item is not None and item.order != index:
                item.order = index
                moved.append(item)
        ExhibitionItem.objects.bulk_update(moved, ["order"])
        ExhibitionItem.objects.bulk_create(
            ExhibitionItem(exhibition=exhibition, artifact=artifact, order=index)
            for index, artifact in enumerate(wanted)
            if artifact.pk not in existing
        )


# --- API and admin entry points (appended with the REST API) ---------------------------------


def add_source_asset(
    *,
    artifact: Artifact,
    upload: File,
    filename: str,
    max_bytes: int | None = None,
    label: str = "",
    intake_options: dict[str, object] | None = None,
    width_cm: float | None = None,
    height_cm: float | None = None,
) -> tuple[Asset, Job | None]:
    """Store an upload as a new source asset and, for a mesh or an image, queue its intake job.

    The file is written first, outside any transaction (on SQLite the write lock would be held
    for the whole copy); one short transaction then creates the rows. If they fail, or the write
    does (a full disk raises StorageFull), no file is left. An image becomes a new canvas of
    the artifact, with the image intake job (exhibits.imaging.services.add_canvas)."""
    head = upload.read(64)
    upload.seek(0)
    from exhibits.imaging import services as imaging

    if imaging.is_image_upload(head, filename):
        image_job = imaging.add_canvas(
            artifact=artifact, path_or_file=upload, filename=filename, label=label,
            max_bytes=max_bytes, width_cm=width_cm, height_cm=height_cm,
        )  # fmt: skip
        assert image_job.input_asset is not None
        return image_job.input_asset, image_job
    asset = checked_source_asset(
        artifact=artifact, upload=upload, filename=filename, max_bytes=max_bytes
    )
    # Names carry a random segment and storage never overwrites: no clash with another upload.
    with stored_first(asset.file, Path(filename).name, upload), transaction.atomic():
        asset.save()
        if label:
            relabel_asset(asset=asset, label=label)
        job = None
        if asset.format in MESH_FORMATS:
            from exhibits.intake.services import request_intake

            job = request_intake(source=asset, options=intake_options)
    return asset, job


def relabel_asset(*, asset: Asset, label: str) -> Asset:
    """Change an asset's label, the only field of a stored asset that may change."""
    asset.label = label
    asset.save(update_fields=["label"])
    return asset


def _with_derivatives(ids: set[int]) -> set[int]:
    """`ids` and every asset derived from them, transitively."""
    found, frontier = set(ids), set(ids)
    while frontier:
        derived = Asset.objects.filter(derived_from__in=frontier).values_list("pk", flat=True)
        frontier = set(derived) - found
        found |= frontier
    return found


def _delete_assets(ids: set[int]) -> None:
    """Delete assets derivatives first, then their files once committed.

    Derivatives go before their origins because `derived_from` is SET_NULL on delete while a
    derived asset must name its origin (constraint asset_derived_has_origin).
    """
    files = [
        (asset.file.storage, asset.file.name)
        for asset in Asset.objects.filter(pk__in=ids)
        if asset.file.name
    ]
    remaining = set(ids)
    while remaining:
        origins = Asset.objects.filter(pk__in=remaining).values_list("derived_from", flat=True)
        leaves = remaining - set(origins)
        Asset.objects.filter(pk__in=leaves).delete()
        remaining -= leaves
    for storage, name in files:
        transaction.on_commit(partial(storage.delete, name))


def delete_derived_asset(*, asset: Asset) -> None:
    """Delete a derived asset, what derives from it, and their files. Never a source."""
    if asset.kind == Asset.Kind.SOURCE:
        raise ValidationError(_("A source asset cannot be deleted."))
    with transaction.atomic():
        _delete_assets(_with_derivatives({asset.pk}))


def delete_source_asset(*, asset: Asset) -> None:
    """Delete a source asset with everything derived from it (admin, superusers: a mistake)."""
    with transaction.atomic():
        _delete_assets(_with_derivatives({asset.pk}))


def _owned_files(artifact: Artifact) -> list[tuple[Any, str]]:
    """(storage, name) of every file a row deleted with `artifact` holds, whatever app its model
    belongs to (condition records, findings, corrections, tour stops' audio...): Django's own
    deletion collector finds the rows, so exhibits names no other app."""
    collector = Collector(using=router.db_for_write(Artifact))
    collector.collect([artifact])
    rows: list[models.Model] = [row for group in collector.data.values() for row in group]
    for queryset in collector.fast_deletes:
        rows += list(queryset)
    files = []
    for row in rows:
        for field in row._meta.concrete_fields:
            if isinstance(field, models.FileField) and (value := getattr(row, field.attname)):
                files.append((field.storage, str(value)))
    return files


def delete_artifact(*, artifact: Artifact) -> None:
    """Delete an artifact with its assets (derivatives first), jobs, annotations, and every file
    it owns (assets, condition images, corrections, tour audio) once committed."""
    with transaction.atomic():
        owned = _owned_files(artifact)
        _delete_assets(_with_derivatives(set(artifact.assets.values_list("pk", flat=True))))
        artifact.delete()
        for storage, name in set(owned):
            transaction.on_commit(partial(storage.delete, name))


def set_source_public(*, assets: models.QuerySet[Asset], public: bool) -> int:
    """Let visitors fetch these source files, once their artifact is published (a curator's
    decision: sources are private by default), or make them private again. Returns how many
    changed; other kinds are left alone (restored files follow their review)."""
    with transaction.atomic():
        sources = assets.filter(kind=Asset.Kind.SOURCE).exclude(public=public)
        return sources.update(public=public)


def set_publication_status(*, objects: models.QuerySet, status: str) -> int:
    """Publish or unpublish artifacts or exhibitions; returns how many changed."""
    if status not in PublicationStatus.values:
        raise ValidationError(_("Unknown publication status: %(s)s") % {"s": status})
    with transaction.atomic():
        return objects.exclude(status=status).update(status=status, updated_at=timezone.now())


def save_exhibition(*, exhibition: Exhibition, artifacts: Iterable[Artifact] | None = None) -> None:
    """Save an exhibition and, when `artifacts` is given, replace its items in that order."""
    with transaction.atomic():
        exhibition.save()
        if artifacts is not None:
            set_exhibition_items(exhibition=exhibition, artifacts=artifacts)


def delete_unreferenced_job_files(*, artifact_id: int, job_pk: int, kinds: Iterable[str]) -> None:
    """Delete the stored files of job `job_pk` (named job<pk>-...) in the artifact's folders of
    `kinds` that no asset references: what a failed or killed attempt left behind."""
    storage = Asset._meta.get_field("file").storage
    referenced = set(Asset.objects.filter(artifact_id=artifact_id).values_list("file", flat=True))
    for kind in kinds:
        folder = f"artifacts/{artifact_id}/{kind}"
        try:
            _dirs, names = storage.listdir(folder)
        except FileNotFoundError:
            continue
        for name in names:
            path = f"{folder}/{name}"
            if name.startswith(f"job{job_pk}-") and path not in referenced:
                storage.delete(path)
