"""`python manage.py seed_demo [--password P] [--reset]`: the demo museum, once.

On an empty database: three CC0 scans through the real intake, their annotations, one published
exhibition, the demo floor plan and guided tour, and the demo curator and educator accounts,
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
from exhibits.intake.gltf import load_glb
from exhibits.intake.services import INTAKE_KIND, run_intake_job
from exhibits.intake.viewpoints import extreme_viewpoint
from exhibits.models import Annotation, Artifact, Asset, Exhibition, Job, PublicationStatus
from museum.roles import CURATOR, EDUCATOR

DEMO_ACCOUNTS = (
    ("curator", CURATOR, "curator@mouseion.localhost"),
    ("educator", EDUCATOR, "educator@mouseion.localhost"),
)


class Command(BaseCommand):
    help = (
        "Load the demo museum (three CC0 scans, one exhibition, floor plan, tour) and demo "
        "accounts into an empty database; --reset restores the demo on one that has content."
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
            "(overwrites edits to the demo objects, exhibition and tour).",
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
        exhibition, _ = Exhibition.objects.update_or_create(
            slug=EXHIBITION["slug"],
            defaults={
                "title": EXHIBITION["title"],
                "introduction": EXHIBITION["introduction"],
                "introduction_translations": {"fr": EXHIBITION_FR["introduction"]},
                "status": PublicationStatus.PUBLISHED,
            },
        )
        services.set_exhibition_items(exhibition=exhibition, artifacts=artifacts)
        for item in exhibition.items.select_related("artifact"):
            label = EXHIBITION_LABELS.get(item.artifact.object_number, "")
            if label and (reset or not item.label_text):
                item.label_text = label
                if french := EXHIBITION_LABELS_FR.get(item.artifact.object_number):
                    item.label_translations = {**item.label_translations, "fr": french}
                item.save(update_fields=["label_text", "label_translations"])
        self.stdout.write(f"Exhibition '{exhibition.title}': /exhibitions/{exhibition.slug}/")
        for artifact in artifacts:
            self.stdout.write(f"  {artifact.title}: /artifacts/{artifact.pk}/")
        self._seed_accounts(password, reset=reset)
        extra = ["--reset"] if reset else []
        call_command("seed_floor_plan", *extra, stdout=self.stdout, stderr=self.stderr)
        call_command("seed_demo_tour", *extra, stdout=self.stdout, stderr=self.stderr)

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
