"""Images of a whole collection attached to its records by object number (`import_collection
--images DIR`): each matched file a new canvas with its intake job; a file already attached to
its record (same bytes) is skipped, so a second run adds only what is new; refused files are
listed with their reasons, never fatal."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from exhibits.imaging.matching import image_files, match_images
from exhibits.imaging.services import add_canvas
from exhibits.models import Artifact, Asset, Job


@dataclass
class AttachReport:
    attached: list[tuple[str, str, int]] = field(default_factory=list)  # number, file, job
    skipped: list[tuple[str, str]] = field(default_factory=list)  # already attached
    refused: list[tuple[str, str]] = field(default_factory=list)  # file, reason
    unmatched: list[str] = field(default_factory=list)
    ambiguous: list[tuple[str, list[str]]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "attached": [{"object_number": n, "file": f, "job_id": j} for n, f, j in self.attached],
            "skipped": [{"object_number": n, "file": f} for n, f in self.skipped],
            "refused": [{"file": f, "reason": r} for f, r in self.refused],
            "unmatched": self.unmatched,
            "ambiguous": [{"file": f, "object_numbers": n} for f, n in self.ambiguous],
        }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def attach_images(*, folder: Path, run_job: Callable[[Job], object] | None = None) -> AttachReport:
    """Attach the images under `folder` to the artifacts named by their file names. Each
    image's intake job is queued (on the worker), or run at once by `run_job`."""
    report = AttachReport()
    files = image_files(folder)
    numbers = Artifact.objects.values_list("object_number", flat=True)
    matching = match_images(files, numbers)
    report.unmatched = [str(p.relative_to(folder)) for p in matching.unmatched]
    report.ambiguous = [(str(p.relative_to(folder)), n) for p, n in matching.ambiguous]
    for number, matches in matching.matches.items():
        artifact = Artifact.objects.get(object_number=number)
        for match in matches:
            name = str(match.path.relative_to(folder))
            attached = Asset.objects.filter(
                artifact=artifact, kind=Asset.Kind.SOURCE, sha256=_sha256(match.path)
            )
            if attached.exists():
                report.skipped.append((number, name))
                continue
            try:
                job = add_canvas(
                    artifact=artifact,
                    path_or_file=match.path,
                    filename=match.path.name,
                    label=match.label,
                    max_bytes=settings.MOUSEION_MAX_UPLOAD_BYTES,
                    enqueue=run_job is None,
                )
            except ValidationError as exc:
                report.refused.append((name, " ".join(exc.messages)))
                continue
            if run_job is not None:
                run_job(job)
            report.attached.append((number, name, job.pk))
    return report
