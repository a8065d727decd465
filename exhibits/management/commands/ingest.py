"""`python manage.py ingest PATH --title TITLE [--artifact ID]`: the intake path from the shell.

Stores the file untouched as a source asset, runs the intake job (in this process, or on the
worker with --queue) and prints one JSON object; exits non-zero with a one-line reason. An image
(JPEG, PNG, TIFF, WebP) makes a flat work, or with --artifact a further canvas of one:
`ingest painting.tif --title T [--width-cm W --height-cm H] [--label recto]`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from exhibits.collection import services
from exhibits.imaging.services import ingest_image, is_image_upload
from exhibits.intake.services import INTAKE_KIND, intake_summary, request_intake, run_intake_job
from exhibits.models import Artifact, Job


class Command(BaseCommand):
    help = (
        "Ingest a scan (GLB, glTF, OBJ or OBJ zip, PLY, STL) or an image of a flat work "
        "(JPEG, PNG, TIFF, WebP) into the collection."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--title", help="Title of a new artifact (required without --artifact)")
        parser.add_argument("--artifact", type=int, help="Add the scan to this artifact")
        parser.add_argument("--object-number", help="Object number of a new artifact")
        parser.add_argument("--unit", choices=["m", "cm", "mm", "in", "ft"])
        parser.add_argument("--scale", type=float, help="File units to metres (overrides --unit)")
        parser.add_argument("--up", choices=["x", "y", "z"], dest="up_axis")
        parser.add_argument("--queue", action="store_true", help="Run on the Celery worker")
        parser.add_argument("--width-cm", type=float, help="Image: the work's width in cm")
        parser.add_argument("--height-cm", type=float, help="Image: the work's height in cm")
        parser.add_argument("--label", default="", help="Image: the canvas label (recto, f. 1r)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        with path.open("rb") as handle:
            head = handle.read(64)
        if is_image_upload(head, path.name):
            self._ingest_image(path, options)
            return
        intake_options = {
            key: options[key] for key in ("unit", "scale", "up_axis") if options[key] is not None
        }
        try:
            artifact = self._artifact(options, path)
            try:
                # The copy runs outside any transaction (SQLite's write lock would be held
                # for all of it); the service then saves the row in a short one.
                with path.open("rb") as handle:
                    source = services.store_source_asset(
                        artifact=artifact,
                        upload=File(handle),
                        filename=path.name,
                        max_bytes=settings.MOUSEION_MAX_UPLOAD_BYTES,
                    )
            except BaseException:
                if options["artifact"] is None:
                    artifact.delete()  # a new artifact whose scan was refused is not kept
                raise
            with transaction.atomic():
                if options["queue"]:
                    job = request_intake(source=source, options=intake_options)
                else:
                    job = services.start_job(
                        kind=INTAKE_KIND, artifact=artifact, input_asset=source
                    )
                    job.options = intake_options
                    job.save(update_fields=["options"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if not options["queue"]:
            job = run_intake_job(job_id=job.pk)
        job.refresh_from_db()
        self.stdout.write(json.dumps(intake_summary(job), indent=2))
        if job.status == Job.Status.FAILED:
            raise CommandError(job.error.splitlines()[0] if job.error else "intake failed")

    def _ingest_image(self, path: Path, options: dict[str, Any]) -> None:
        artifact = None
        if options["artifact"] is not None:
            artifact = Artifact.objects.filter(pk=options["artifact"]).first()
            if artifact is None:
                raise CommandError(f"No artifact with id {options['artifact']}")
        elif not options["title"]:
            raise CommandError("Give --title for a new artifact, or --artifact ID")
        try:
            job = ingest_image(
                artifact=artifact,
                title=options["title"] or "",
                path_or_file=path,
                filename=path.name,
                width_cm=options["width_cm"],
                height_cm=options["height_cm"],
                label=options["label"],
                object_number=options["object_number"] or "",
                max_bytes=settings.MOUSEION_MAX_UPLOAD_BYTES,
                enqueue=options["queue"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self._finish(job, queue=options["queue"])

    def _finish(self, job: Job, *, queue: bool) -> None:
        if not queue:
            job = run_intake_job(job_id=job.pk)
        job.refresh_from_db()
        self.stdout.write(json.dumps(intake_summary(job), indent=2))
        if job.status == Job.Status.FAILED:
            raise CommandError(job.error.splitlines()[0] if job.error else "intake failed")

    def _artifact(self, options: dict[str, Any], path: Path) -> Artifact:
        if options["artifact"] is not None:
            try:
                return Artifact.objects.get(pk=options["artifact"])
            except Artifact.DoesNotExist as exc:
                raise CommandError(f"No artifact with id {options['artifact']}") from exc
        if not options["title"]:
            raise CommandError("Give --title for a new artifact, or --artifact ID")
        number = options["object_number"] or _next_object_number(path)
        return Artifact.objects.create(object_number=number, title=options["title"])


def _next_object_number(path: Path) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", path.stem).strip("-").upper()[:40] or "SCAN"
    base, number, suffix = f"INGEST-{stem}", f"INGEST-{stem}", 1
    while Artifact.objects.filter(object_number=number).exists():
        suffix += 1
        number = f"{base}-{suffix}"
    return number
