"""`python manage.py import_collection CSV [--mapping FILE] [--encoding ENC] [--no-embeddings]
[--overwrite-edited] [--json] [--images DIR [--run-image-jobs]]`

Loads a museum's metadata export (default columns: the Walters Art Museum CSV) into artifacts,
keyed by object number: new ones are created as drafts, existing ones updated in place. A field
a person edited since the last import keeps the person's value and is listed as a conflict;
`--overwrite-edited` writes the file's value over it. Shows progress on stderr, then a report;
rejected rows are listed with their reasons, never fatal. `--images DIR` then attaches the
images under DIR to the records by object number in their names (`exhibits/imaging/matching.py`:
`OBJ-1.jpg`, `OBJ-1_verso.tif`), each a canvas with its intake job, queued on the worker or run
here with `--run-image-jobs`; a file already attached is skipped.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from exhibits.curation import importer
from exhibits.curation import services as curation_services

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Import a collection metadata export (CSV) into artifacts, idempotently."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("csv", type=Path)
        parser.add_argument("--mapping", type=Path, help='JSON {"our_field": "their column"}')
        parser.add_argument("--encoding", default="utf-8", help="Text encoding (utf-8)")
        parser.add_argument(
            "--no-embeddings", action="store_true", help="Do not refresh embeddings afterwards"
        )
        parser.add_argument(
            "--overwrite-edited",
            action="store_true",
            help="Overwrite fields a person edited since the last import (listed as conflicts)",
        )
        parser.add_argument("--json", action="store_true", help="Print the report as JSON")
        parser.add_argument(
            "--images", type=Path, help="Folder of images named by object number (flat works)"
        )
        parser.add_argument(
            "--run-image-jobs",
            action="store_true",
            help="Run the images' intake jobs in this process instead of on the worker",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["csv"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        images: Path | None = options["images"]
        if images is not None and not images.is_dir():
            raise CommandError(f"No such folder: {images}")
        mapping = None
        if options["mapping"]:
            try:
                known = set(curation_services.importable_fields())
                mapping = importer.load_mapping(options["mapping"], known)
            except importer.MappingError as exc:
                raise CommandError(str(exc)) from exc
        try:
            "".encode(options["encoding"])
        except LookupError as exc:
            raise CommandError(f"Unknown encoding: {options['encoding']}") from exc
        started = time.perf_counter()
        report = curation_services.import_collection(
            data=path.read_bytes(),
            mapping=mapping,
            encoding=options["encoding"],
            update_embeddings=not options["no_embeddings"],
            progress=self._progress,
            overwrite_edited=options["overwrite_edited"],
        )
        self.stderr.write("")
        attached = None
        if images is not None:
            from exhibits.imaging.collection_images import attach_images
            from exhibits.intake.services import run_intake_job

            run = (lambda job: run_intake_job(job_id=job.pk)) if options["run_image_jobs"] else None
            attached = attach_images(folder=images, run_job=run)
        if options["json"]:
            out = report.as_dict()
            if attached is not None:
                out["images"] = attached.as_dict()
            self.stdout.write(json.dumps(out, indent=2, default=str))
            return
        self._print(report, time.perf_counter() - started)
        if attached is not None:
            self._print_images(attached)

    def _print_images(self, report: Any) -> None:
        self.stdout.write(
            f"images: {len(report.attached)} attached, {len(report.skipped)} already attached, "
            f"{len(report.refused)} refused, {len(report.unmatched)} matched no object number, "
            f"{len(report.ambiguous)} ambiguous."
        )
        for name, reason in report.refused:
            self.stdout.write(self.style.ERROR(f"refused image {name}: {reason}"))
        for name in report.unmatched:
            self.stdout.write(self.style.WARNING(f"no record for image {name}"))
        for name, numbers in report.ambiguous:
            self.stdout.write(self.style.WARNING(f"image {name} could be {', '.join(numbers)}"))

    def _progress(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // max(total, 1)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stderr.write(f"\r[{bar}] {done}/{total} rows", ending="")
        self.stderr.flush()

    def _print(self, report: curation_services.ImportReport, seconds: float) -> None:
        for problem in report.header_problems:
            self.stdout.write(self.style.WARNING(f"header: {problem}"))
        self.stdout.write(
            f"{report.rows} rows in {seconds:.1f} s: {report.created} created, "
            f"{report.updated} updated, {report.unchanged} unchanged, "
            f"{len(report.rejected)} rejected; {report.embedded} embeddings checked."
        )
        for rejection in report.rejected:
            label = rejection.object_number or "?"
            reasons = "; ".join(rejection.reasons)
            self.stdout.write(
                self.style.ERROR(f"rejected line {rejection.line} ({label}): {reasons}")
            )
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(warning))
        if report.conflicts:
            verdict = (
                "overwritten (--overwrite-edited)"
                if report.overwrote_edited
                else "kept; --overwrite-edited writes the file's values"
            )
            self.stdout.write(
                self.style.WARNING(
                    f"{len(report.conflicts)} fields edited since the last import: {verdict}"
                )
            )
            for conflict in report.conflicts:
                self.stdout.write(self.style.WARNING(f"conflict {conflict.describe()}"))
        if any("encoding" in r for rej in report.rejected for r in rej.reasons):
            self.stdout.write("Some rows are not in this encoding: try --encoding latin-1.")
