"""`python manage.py seed_demo [--password P] [--reset]`: the demo museum, once.

On an empty database: three CC0 scans through the real intake, their annotations, one published
exhibition; sixteen public-domain pictures through the image intake (`ingest_image`, as a
curator's upload), their regions and a second exhibition; the demo floor plan and guided tours,
and the demo curator and educator accounts,
whose passwords are printed once (random unless `--password` is given). On a database that
already has content it changes nothing: people's work (passwords, texts, order, tour stops) is
never reset by a restart. `--reset` restores the demo content and sets new demo passwords."""

from __future__ import annotations

import secrets
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files import File
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from exhibits.collection import services
from exhibits.demo.content import (
    DEMO_ARTIFACTS,
    DEMO_DIR,
    EXHIBITION,
    EXHIBITION_FR,
    EXHIBITION_LABELS,
    EXHIBITION_LABELS_FR,
    DemoArtifact,
)
from exhibits.demo.flat_works import (
    FLAT_DIR,
    FLAT_EXHIBITION,
    FLAT_EXHIBITION_FR,
    FLAT_LABELS_FR,
    FLAT_WORKS,
    DemoFlatWork,
)
from exhibits.imaging.services import ingest_image
from exhibits.intake.gltf import load_glb
from exhibits.intake.services import INTAKE_KIND, run_intake_job
from exhibits.intake.viewpoints import extreme_viewpoint
from exhibits.models import (
    Annotation,
    Artifact,
    Asset,
    DimensionsSource,
    Exhibition,
    Job,
    PublicationStatus,
)
from museum.roles import CURATOR, EDUCATOR

DEMO_ACCOUNTS = (
    ("curator", CURATOR, "curator@mouseion.localhost"),
    ("educator", EDUCATOR, "educator@mouseion.localhost"),
)


class Command(BaseCommand):
    help = (
        "Load the demo museum (three CC0 scans, sixteen public-domain pictures, two "
        "exhibitions, floor plan, tours) and demo accounts into an empty database; --reset "
        "restores the demo on one that has content."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--password",
            default=None,
            help="Password of the demo curator and educator accounts (random if not given).",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Restore the demo content and demo passwords even if the database has content "
            "(overwrites edits to the demo objects, exhibitions and tours).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        reset = bool(options["reset"])
        if not reset and database_has_content():
            self.stdout.write(
                "The database already has content: the demo is not seeded again and nothing was "
                "changed (`manage.py seed_demo --reset` restores the demo content and passwords)."
            )
            return
        password = options["password"] or secrets.token_urlsafe(12)
        artifacts = [self._seed_artifact(demo) for demo in DEMO_ARTIFACTS]
        exhibition = self._seed_exhibition(
            EXHIBITION, EXHIBITION_FR, artifacts, EXHIBITION_LABELS, EXHIBITION_LABELS_FR, reset
        )
        pictures = [self._seed_flat_work(work) for work in FLAT_WORKS]
        numbers = {work.filename: str(work.record["object_number"]) for work in FLAT_WORKS}
        labels = {numbers[work.filename]: work.label for work in FLAT_WORKS}
        labels_fr = {numbers[name]: text for name, text in FLAT_LABELS_FR.items()}
        flat = self._seed_exhibition(
            FLAT_EXHIBITION, FLAT_EXHIBITION_FR, pictures, labels, labels_fr, reset
        )
        for shown, members in ((exhibition, artifacts), (flat, pictures)):
            self.stdout.write(f"Exhibition '{shown.title}': /exhibitions/{shown.slug}/")
            for artifact in members:
                self.stdout.write(f"  {artifact.title}: /artifacts/{artifact.pk}/")
        self._seed_accounts(password, reset=reset)
        extra = ["--reset"] if reset else []
        call_command("seed_floor_plan", *extra, stdout=self.stdout, stderr=self.stderr)
        call_command("seed_demo_tour", *extra, stdout=self.stdout, stderr=self.stderr)

    def _seed_exhibition(
        self,
        spec: dict[str, str],
        french: dict[str, str],
        artifacts: list[Artifact],
        labels: dict[str, str],
        labels_fr: dict[str, str],
        reset: bool,
    ) -> Exhibition:
        exhibition, _ = Exhibition.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                "title": spec["title"],
                "introduction": spec["introduction"],
                "introduction_translations": {"fr": french["introduction"]},
                "status": PublicationStatus.PUBLISHED,
            },
        )
        services.set_exhibition_items(exhibition=exhibition, artifacts=artifacts)
        for item in exhibition.items.select_related("artifact"):
            label = labels.get(item.artifact.object_number, "")
            if label and (reset or not item.label_text):
                item.label_text = label
                if label_fr := labels_fr.get(item.artifact.object_number):
                    item.label_translations = {**item.label_translations, "fr": label_fr}
                item.save(update_fields=["label_text", "label_translations"])
        return exhibition

    def _seed_flat_work(self, work: DemoFlatWork) -> Artifact:
        """One picture through the image intake a curator's upload takes, then its regions."""
        record = dict(work.record)
        object_number = record.pop("object_number")
        if work.width_cm and work.height_cm:  # the catalogue's size: the canvas's scale
            record |= {
                "width_m": work.width_cm / 100,
                "height_m": work.height_cm / 100,
                "dimensions_source": DimensionsSource.PERSON,
            }
        with transaction.atomic():
            artifact, _ = Artifact.objects.update_or_create(
                object_number=object_number,
                defaults={**record, "status": PublicationStatus.PUBLISHED},
            )
        if not artifact.jobs.filter(kind=INTAKE_KIND, status=Job.Status.DONE).exists():
            path = FLAT_DIR / work.filename
            job = ingest_image(
                artifact=artifact,
                title=artifact.title,
                path_or_file=path,
                filename=path.name,
            )
            # Inline rather than queued: the demo must be complete before the server starts.
            job = run_intake_job(job_id=job.pk)
            if job.status != Job.Status.DONE:
                raise CommandError(f"Intake of {path.name} failed: {job.error}")
        canvas = artifact.canvases.order_by("order", "pk").first()
        if canvas is None:
            raise CommandError(f"Intake of {work.filename} made no canvas.")
        for order, region in enumerate(work.regions):
            Annotation.objects.update_or_create(
                artifact=artifact,
                title=region.title,
                defaults={
                    "text": region.text,
                    "order": order,
                    "region": {"canvas": canvas.pk, "xywh": list(region.xywh)},
                    "position": [],
                    "normal": [],
                    "camera_position": [],
                    "camera_target": [],
                },
            )
        return artifact

    def _seed_artifact(self, demo: DemoArtifact) -> Artifact:
        path = DEMO_DIR / demo.filename
        record = dict(demo.record)
        object_number = record.pop("object_number")
        with transaction.atomic():
            artifact, _ = Artifact.objects.update_or_create(
                object_number=object_number,
                defaults={**record, "status": PublicationStatus.PUBLISHED},
            )
        source = artifact.assets.filter(kind=Asset.Kind.SOURCE).first()
        if source is None:
            with path.open("rb") as handle:
                source = services.store_source_asset(
                    artifact=artifact, upload=File(handle), filename=path.name
                )
        job = artifact.jobs.filter(kind=INTAKE_KIND, status=Job.Status.DONE).first()
        if job is None:
            # Inline rather than queued: the demo must be complete before the server starts.
            job = services.start_job(kind=INTAKE_KIND, artifact=artifact, input_asset=source)
            job = run_intake_job(job_id=job.pk)
            if job.status != Job.Status.DONE:
                raise CommandError(f"Intake of {path.name} failed: {job.error}")
        # Annotations live in the coordinates of the normalised LOD models.
        mesh = load_glb(path.read_bytes())
        mesh.apply_transform(np.asarray(job.report["normalisation_matrix"]))
        for order, note in enumerate(demo.annotations):
            view = extreme_viewpoint(mesh, note.direction, note.height_band)
            Annotation.objects.update_or_create(
                artifact=artifact,
                title=note.title,
                defaults={
                    "text": note.text,
                    "order": order,
                    "position": view.position,
                    "normal": view.normal,
                    "camera_position": view.camera_position,
                    "camera_target": view.camera_target,
                },
            )
        return artifact

    def _seed_accounts(self, password: str, *, reset: bool) -> None:
        user_model = get_user_model()
        self.stdout.write("Demo accounts (admin at /admin/; for demonstration only):")
        for username, role, email in DEMO_ACCOUNTS:
            user, created = user_model.objects.get_or_create(
                username=username, defaults={"email": email}
            )
            if not (created or reset):
                # An account of that name that someone made: never change its password.
                self.stdout.write(f"  {role:<9} username: {username}  (exists; left unchanged)")
                continue
            user.is_staff = True
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name=role))
            self.stdout.write(f"  {role:<9} username: {username}  password: {password}")
        self.stdout.write(
            "These passwords are shown only now. Change them (admin, or `manage.py "
            "changepassword curator`) before anyone but you can reach this server."
        )


def database_has_content() -> bool:
    """True once anything of a museum exists: artifacts, exhibitions, floors or tours."""
    from museum.models import Floor, Tour

    return any(model.objects.exists() for model in (Artifact, Exhibition, Floor, Tour))
