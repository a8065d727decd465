"""Flat works in: store an image untouched as a canvas's source, and the intake job that
publishes it in stages (through the one job runner, museum.jobs, as scans are). The source is
read once, streaming: libvips writes the IIIF tiles, and the web copy and thumbnail are made
from the pyramid's level above the web size (a second read of a 100-megapixel scan would cost
as much as the tiles). Then, one transaction each:

1. web copy + thumbnail: the artifact is viewable;
2. the ImageService of the tiles: the job is complete, then `intake_published` (condition
   check).

A hostile image is refused at the door from its header (`raster.probe`), before anything is
stored; damage found while the pixels are read fails the job, which keeps nothing half-made
(no tiles folder without its ImageService; the web copy stays only once published).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from exhibits.collection.services import derived_asset, mark_job, start_job
from exhibits.imaging.derivatives import Derivative, web_copy_from_tiles
from exhibits.imaging.raster import (
    DEFAULT_MAX_PIXELS,
    IMAGE_FORMATS,
    ImageFacts,
    ImageRejected,
    declared_image_format,
    probe,
    sniff_image,
)
from exhibits.imaging.stored_tiles import delete_tiles, tile_root, write_tiles
from exhibits.imaging.tiles import TileSet
from exhibits.intake.errors import IntakeError
from exhibits.intake.signals import intake_published
from exhibits.models import (
    WEB_IMAGE,
    Artifact,
    ArtifactForm,
    Asset,
    Canvas,
    DimensionsSource,
    ImageService,
    Job,
    ScaleSource,
)
from museum import jobs
from museum.uploads import stored_first

COPY_CHUNK = 1 << 20
MAX_CM = 100_000.0  # a kilometre: anything larger is a typing mistake
MESH_SOURCE_FORMATS = ("glb", "gltf", "obj", "ply", "stl", "zip")


def max_pixels() -> int:
    return int(getattr(settings, "MOUSEION_IMAGE_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def is_image_upload(head: bytes, filename: str) -> bool:
    """Whether an upload goes to the image intake: its bytes or its name say it is a picture
    (so that a GIF or a renamed file gets the image refusal, not "not a 3D mesh")."""
    if Path(filename).suffix.lower().lstrip(".") in MESH_SOURCE_FORMATS:
        return False  # a scan's name: the scan intake says what the content really is
    picture = IMAGE_FORMATS | {"gif"}
    return sniff_image(head) in picture or declared_image_format(filename) in picture


Upload = str | Path | File | IO[bytes]


@contextmanager
def _local_path(path_or_file: Upload, filename: str) -> Iterator[Path]:
    """The upload as a local file libvips can open: the path itself, Django's temporary upload,
    or a temporary copy of a stream (rewound afterwards for storing)."""
    if isinstance(path_or_file, str | Path):
        yield Path(path_or_file)
        return
    temporary = getattr(path_or_file, "temporary_file_path", None)
    if temporary is not None:
        yield Path(temporary())
        return
    suffix = Path(filename).suffix[:16]
    with tempfile.NamedTemporaryFile(prefix="mouseion-image-", suffix=suffix) as copy:
        path_or_file.seek(0)
        shutil.copyfileobj(path_or_file, copy, COPY_CHUNK)
        copy.flush()
        path_or_file.seek(0)
        yield Path(copy.name)


def check_image(*, path: Path, filename: str) -> ImageFacts:
    """The facts of an image, or ValidationError with the refusal's sentence and code."""
    try:
        return probe(path, filename=filename, max_pixels=max_pixels())
    except ImageRejected as exc:
        raise ValidationError(str(exc), code=exc.code) from exc


def _centimetres(value: float | None, name: str) -> float | None:
    if value is None:
        return None
    if not (math.isfinite(value) and 0 < value <= MAX_CM):
        raise ValidationError(
            _("The %(name)s must be a positive number of centimetres.") % {"name": name}
        )
    return float(value)


def _scale(
    *, facts: ImageFacts, artifact: Artifact, width_cm: float | None, height_cm: float | None
) -> tuple[float | None, str]:
    """Pixels per centimetre and where they come from: the curator's size at intake, else the
    catalogue's (a person's or an import's, not a mesh's measure), else the file's resolution."""
    if width_cm is not None:
        return facts.width / width_cm, ScaleSource.CURATOR
    if height_cm is not None:
        return facts.height / height_cm, ScaleSource.CURATOR
    if artifact.dimensions_source != DimensionsSource.MEASURED:
        if artifact.width_m:
            return facts.width / (artifact.width_m * 100), ScaleSource.CATALOGUE
        if artifact.height_m:
            return facts.height / (artifact.height_m * 100), ScaleSource.CATALOGUE
    if facts.pixels_per_cm:
        return facts.pixels_per_cm, ScaleSource.FILE
    return None, ScaleSource.NONE


def _next_object_number(filename: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", Path(filename).stem).strip("-").upper()[:40] or "IMAGE"
    base = number = f"INGEST-{stem}"
    suffix = 1
    while Artifact.objects.filter(object_number=number).exists():
        suffix += 1
        number = f"{base}-{suffix}"
    return number


def ingest_image(
    *,
    artifact: Artifact | None,
    title: str,
    path_or_file: Upload,
    filename: str,
    width_cm: float | None = None,
    height_cm: float | None = None,
    label: str = "",
    user: Any = None,
    object_number: str = "",
    max_bytes: int | None = None,
) -> Job:
    """A flat work from an image: a new artifact (`title`) or a further canvas of `artifact`.
    Refused images store nothing and create no artifact."""
    if artifact is not None:
        return add_canvas(
            artifact=artifact,
            path_or_file=path_or_file,
            filename=filename,
            label=label,
            width_cm=width_cm,
            height_cm=height_cm,
            max_bytes=max_bytes,
        )
    if not title.strip():
        raise ValidationError(_("A new flat work needs a title."))
    with _local_path(path_or_file, filename) as path:
        check_image(path=path, filename=filename)  # before an artifact exists
        with transaction.atomic():
            artifact = Artifact.objects.create(
                object_number=object_number or _next_object_number(filename),
                title=title.strip(),
                form=ArtifactForm.FLAT,
            )
        try:
            return add_canvas(
                artifact=artifact,
                path_or_file=path,
                filename=filename,
                label=label,
                width_cm=width_cm,
                height_cm=height_cm,
                max_bytes=max_bytes,
            )
        except BaseException:
            artifact.delete()  # a new work whose image was refused is not kept
            raise


def add_canvas(
    *,
    artifact: Artifact,
    path_or_file: Upload,
    filename: str,
    label: str = "",
    width_cm: float | None = None,
    height_cm: float | None = None,
    max_bytes: int | None = None,
) -> Job:
    """Store an image untouched as the source of a new canvas of `artifact` (after its last)
    and queue its intake job. The file is written before the rows (museum.uploads)."""
    width_cm = _centimetres(width_cm, _("width"))
    height_cm = _centimetres(height_cm, _("height"))
    with _local_path(path_or_file, filename) as path:
        facts = check_image(path=path, filename=filename)
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise ValidationError(
                _("The file is %(size)d bytes; the limit is %(limit)d bytes.")
                % {"size": size, "limit": max_bytes}
            )
        source = Asset(
            artifact=artifact,
            kind=Asset.Kind.SOURCE,
            original_filename=Path(filename).name[:255],
            byte_size=size,
            format=facts.format,
            width_px=facts.width,
            height_px=facts.height,
        )
        with path.open("rb") as handle:
            hashing = _HashingReader(handle)  # the digest of the bytes as they are stored
            content = File(hashing)  # type: ignore[arg-type]  # a file-like reader, not IO
            stored = stored_first(source.file, Path(filename).name, content)
            with stored, transaction.atomic():
                source.sha256 = hashing.hexdigest()
                return _add_rows(
                    artifact=artifact,
                    source=source,
                    facts=facts,
                    label=label,
                    width_cm=width_cm,
                    height_cm=height_cm,
                )


class _HashingReader:
    """A binary file that hashes what is read from it, front to back (one read of a large
    source for its copy and its digest)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._digest = hashlib.sha256()
        self._position = 0
        self.name = handle.name

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        if self._handle.tell() - len(data) == self._position:
            self._digest.update(data)
            self._position += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    def __getattr__(self, name: str) -> Any:  # closed, seekable, fileno...: the file's own
        return getattr(self._handle, name)

    def hexdigest(self) -> str:
        size = self._handle.seek(0, 2)
        if self._position != size:  # the storage did not read it front to back: hash it again
            self._handle.seek(0)
            self._digest = hashlib.sha256()
            for chunk in iter(lambda: self._handle.read(COPY_CHUNK), b""):
                self._digest.update(chunk)
            self._position = size
        return self._digest.hexdigest()


def _add_rows(
    *,
    artifact: Artifact,
    source: Asset,
    facts: ImageFacts,
    label: str,
    width_cm: float | None,
    height_cm: float | None,
) -> Job:
    artifact = Artifact.objects.select_for_update().get(pk=artifact.pk)
    source.save()
    pixels_per_cm, scale_source = _scale(
        facts=facts, artifact=artifact, width_cm=width_cm, height_cm=height_cm
    )
    last = artifact.canvases.aggregate(last=Max("order"))["last"]
    Canvas.objects.create(
        artifact=artifact,
        order=0 if last is None else last + 1,
        label=label[:120],
        source=source,
        width_px=facts.width,
        height_px=facts.height,
        pixels_per_cm=round(pixels_per_cm, 4) if pixels_per_cm else None,
        scale_source=scale_source,
    )
    changed = _work_size(artifact, facts, pixels_per_cm, scale_source, first=last is None)
    if not artifact.assets.filter(kind=Asset.Kind.SOURCE, format__in=MESH_SOURCE_FORMATS).exists():
        artifact.form = ArtifactForm.FLAT
        changed.append("form")
    if changed:
        artifact.save(update_fields=[*changed, "updated_at"])
    from exhibits.intake.services import INTAKE_KIND  # the one intake job kind

    job = start_job(kind=INTAKE_KIND, artifact=artifact, input_asset=source)
    jobs.enqueue_on_commit(job)
    return job


def _work_size(
    artifact: Artifact, facts: ImageFacts, pixels_per_cm: float | None, source: str, *, first: bool
) -> list[str]:
    """The work's width and height from its first canvas: the curator's figures are a
    person's (kept from then on); the file's resolution is a measure (never over a person's
    or the catalogue's). Returns the changed fields."""
    if not first or pixels_per_cm is None or source == ScaleSource.CATALOGUE:
        return []
    if source == ScaleSource.FILE and (
        artifact.dimensions_source == DimensionsSource.PERSON or artifact.width_m
    ):
        return []
    artifact.width_m = round(facts.width / pixels_per_cm / 100, 4)
    artifact.height_m = round(facts.height / pixels_per_cm / 100, 4)
    artifact.dimensions_source = (
        DimensionsSource.PERSON if source == ScaleSource.CURATOR else DimensionsSource.MEASURED
    )
    return ["width_m", "height_m", "dimensions_source"]


# --- the intake job of an image source (run by exhibits.intake.services._intake) -------------


@contextmanager
def _source_path(source: Asset) -> Iterator[Path]:
    """The source as a local file for libvips, read only: the stored file itself when media
    are on disk, else a temporary copy made through the storage API (a bucket)."""
    storage = source.file.storage
    if isinstance(storage, FileSystemStorage):
        yield Path(storage.path(source.file.name or ""))
        return
    suffix = Path(source.file.name or "").suffix[:16]
    with tempfile.NamedTemporaryFile(prefix="mouseion-source-", suffix=suffix) as copy:
        with source.file.open("rb") as handle:
            shutil.copyfileobj(handle, copy, COPY_CHUNK)
        copy.flush()
        yield Path(copy.name)


def run_image_intake(job: Job, source: Asset) -> None:
    """The job's body for an image source (see the module doc)."""
    with _source_path(source) as path:
        _run(job, source, path)


def _run(job: Job, source: Asset, local_path: Path) -> None:
    """One read of the source: the tiles; the web copy and thumbnail from the pyramid (so a
    100-megapixel scan is decoded once). Then the two publications: web copy and thumbnail
    (viewable), the ImageService (complete). A failure before the first keeps nothing."""
    filename = source.original_filename or source.file.name or ""
    facts = probe(local_path, filename=filename, max_pixels=max_pixels())
    mark_job(job, status=Job.Status.RUNNING, progress=10, stage=_("tiles"))
    identifier = _pending_identifier(job)
    root = tile_root(identifier)
    try:
        with tempfile.TemporaryDirectory(prefix="mouseion-tiles-") as scratch:
            tiles, local_tiles = write_tiles(local_path, root, scratch=Path(scratch))
            mark_job(job, status=Job.Status.RUNNING, progress=80, stage=_("web copy"))
            web, thumbnail = web_copy_from_tiles(local_tiles, tiles)
        _publish_web(job=job, source=source, facts=facts, web=web, thumbnail=thumbnail)
    except BaseException:
        delete_tiles(root)
        raise
    try:
        _publish_service(job=job, source=source, facts=facts, tiles=tiles, identifier=identifier)
    except jobs.Superseded:
        raise
    except Exception as exc:
        delete_tiles(root)
        reason = str(exc) if isinstance(exc, IntakeError) else f"{type(exc).__name__}: {exc}"
        raise IntakeError(
            getattr(exc, "code", None) or "later_stage_failed",
            _("The web copy is published and stays viewable; the tiles failed: %(reason)s")
            % {"reason": reason},
        ) from exc


def _pending_identifier(job: Job) -> str:
    """A new service identifier, noted in the job's report before any tile is stored, so the
    clean-up of a killed attempt finds its folder."""
    from exhibits.imaging.models import new_identifier

    identifier = new_identifier()
    pending = [*job.report.get("pending_tiles", []), identifier]
    job.report = {**job.report, "pending_tiles": pending}
    job.save(update_fields=["report"])
    return identifier


def _publish_web(
    *, job: Job, source: Asset, facts: ImageFacts, web: Derivative, thumbnail: Derivative
) -> None:
    stem = f"job{job.pk}-{Path(source.original_filename or 'image').stem}"[:80]
    files = []
    for kind, label, derivative, name in (
        (Asset.Kind.IMAGE, WEB_IMAGE, web, f"{stem}-web.jpg"),
        (Asset.Kind.THUMBNAIL, "preview", thumbnail, f"{stem}-thumb.jpg"),
    ):
        content = ContentFile(derivative.data)
        asset = derived_asset(
            source=source,
            kind=kind,
            label=label,
            content=content,
            file_format="jpeg",
            job=job,
            width_px=derivative.width,
            height_px=derivative.height,
        )
        files.append((asset, content, name))
    with ExitStack() as written:
        for asset, content, name in files:
            written.enter_context(stored_first(asset.file, name, content))
        with transaction.atomic():
            jobs.hold(job)  # a superseded attempt publishes nothing
            earlier = Asset.objects.filter(
                created_by_job=job, kind__in=(Asset.Kind.IMAGE, Asset.Kind.THUMBNAIL)
            )
            for old in earlier:
                if old.file.name:
                    transaction.on_commit(partial(old.file.storage.delete, old.file.name))
            earlier.delete()
            for asset, _content, _name in files:
                asset.save()
            Canvas.objects.filter(source=source).update(
                width_px=facts.width, height_px=facts.height
            )
            job.report = {**job.report, **_report(facts)}
            job.save(update_fields=["report"])
            mark_job(job, status=Job.Status.RUNNING, progress=90, stage=_("image service"))


def _report(facts: ImageFacts) -> dict[str, Any]:
    return {
        "kind": "image",
        "format": facts.format,
        "width": facts.width,
        "height": facts.height,
        "bits": facts.bits,
        "bands": facts.bands,
        "interpretation": facts.interpretation,
        "icc_profile": facts.has_icc,
        "orientation": facts.orientation,
        "file_pixels_per_cm": facts.pixels_per_cm,
        # A multi-page TIFF: the first page is the canvas (further pages: upload each).
        "pages": facts.pages,
    }


def _publish_service(
    *, job: Job, source: Asset, facts: ImageFacts, tiles: TileSet, identifier: str
) -> None:
    with transaction.atomic():
        jobs.hold(job)
        ImageService.objects.filter(asset=source).delete()  # a retry's: its tiles go on commit
        ImageService.objects.create(
            asset=source,
            identifier=identifier,
            width=tiles.width,
            height=tiles.height,
            tile_size=tiles.tile_size,
            scale_factors=tiles.scale_factors,
            sizes=tiles.sizes,
            root=tile_root(identifier),
        )
        for left in set(job.report.get("pending_tiles", [])) - {identifier}:
            # an earlier, killed attempt's folder
            transaction.on_commit(partial(delete_tiles, tile_root(left)), robust=True)
        report = {k: v for k, v in job.report.items() if k != "pending_tiles"}
        report.update(_report(facts), tiles=tiles.files, scale_factors=tiles.scale_factors)
        jobs.complete(job, report=json.loads(json.dumps(report)))
        transaction.on_commit(
            lambda: intake_published.send(
                sender=Job, job_id=job.pk, artifact_id=source.artifact_id
            ),
            robust=True,
        )


def remove_image_attempt_files(job: Job) -> None:
    """Clean-up of a failed image attempt: tile folders it noted but never published."""
    pending = list((job.report or {}).get("pending_tiles", []))
    published = set(
        ImageService.objects.filter(identifier__in=pending).values_list("identifier", flat=True)
    )
    for identifier in pending:
        if identifier not in published:
            delete_tiles(tile_root(identifier))
            delete_tiles(f"iiif/.{identifier}.partial/")  # a killed attempt's unfinished folder
