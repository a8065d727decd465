"""Flat works in, at the three doors (`manage.py ingest`, the API and the admin uploads,
`import_collection --images`): an image is checked from its header (`raster.probe`) before
anything is stored, so a refused one leaves nothing; then it is stored untouched as the source
of a new canvas of its artifact (after its last), the work's scale is recorded (the curator's
size, the catalogue's, or the file's resolution) and its intake job is queued
(`exhibits/imaging/intake_job.py`).
"""

from __future__ import annotations

import hashlib
import math
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from exhibits.collection.services import start_job
from exhibits.imaging.raster import (
    DEFAULT_MAX_PIXELS,
    IMAGE_FORMATS,
    ImageFacts,
    ImageRejected,
    declared_image_format,
    probe,
    sniff_image,
)
from exhibits.models import (
    Artifact,
    ArtifactForm,
    Asset,
    Canvas,
    DimensionsSource,
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
    enqueue: bool = True,
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
            enqueue=enqueue,
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
                enqueue=enqueue,
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
    enqueue: bool = True,
) -> Job:
    """Store an image untouched as the source of a new canvas of `artifact` (after its last)
    and queue its intake job (`enqueue=False`: the caller runs it). The file is written before
    the rows (museum.uploads)."""
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
                    enqueue=enqueue,
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
    enqueue: bool,
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
    if enqueue:  # else the caller runs it (manage.py ingest without --queue)
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
