"""`python manage.py seed_demo_tour [--reset]`: the educator's demo guided tour, once.

One stop per object of the demo exhibition, in exhibition order, each at the object's first
annotated view with narration from its label, so `make run` has a tour to go live with at /tours/.
When the flat works' exhibition exists, a second tour's stops each point at a region of a picture
(exhibits/demo/flat_works.py: FLAT_TOUR_STOPS), narrated with the region's note.
Once the tour exists the command changes nothing (the educator's narration, views and audio
stay); `--reset` deletes its stops and makes them again.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from exhibits.demo.content import EXHIBITION
from exhibits.demo.flat_works import FLAT_EXHIBITION, FLAT_TOUR, FLAT_TOUR_STOPS, FLAT_WORKS
from exhibits.models import Annotation, Exhibition
from museum.models import Tour, TourStop

TOUR_TITLE = "Highlights of Shapes of Time"
EDUCATOR_USERNAME = "educator"


class Command(BaseCommand):
    help = "Create the demo guided tour led by the demo educator (once)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo tour's stops and make them again (loses edits to them).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        exhibition = Exhibition.objects.filter(slug=EXHIBITION["slug"]).first()
        educator = get_user_model().objects.filter(username=EDUCATOR_USERNAME).first()
        if exhibition is None or educator is None:
            raise CommandError("Run `manage.py seed_demo` first (exhibition and educator).")
        if not options["reset"] and Tour.objects.filter(title=TOUR_TITLE).exists():
            self.stdout.write(
                f"The demo tour '{TOUR_TITLE}' exists: nothing changed "
                "(`manage.py seed_demo_tour --reset` makes its stops again)."
            )
            return
        with transaction.atomic():
            tour, _ = Tour.objects.update_or_create(
                title=TOUR_TITLE,
                educator=educator,
                defaults={
                    "exhibition": exhibition,
                    "description": "A short guided walk through the demo exhibition.",
                },
            )
            tour.stops.all().delete()
            items = exhibition.items.select_related("artifact").order_by("order", "pk")
            for order, item in enumerate(items):
                artifact = item.artifact
                annotation = artifact.annotations.order_by("order", "pk").first()
                narration = item.label_text or artifact.description or artifact.title
                TourStop.objects.create(
                    tour=tour,
                    order=order,
                    artifact=artifact,
                    annotation=annotation,
                    narration=narration,
                    camera_position=annotation.camera_position if annotation else None,
                    camera_target=annotation.camera_target if annotation else None,
                )
        self.stdout.write(f"Guided tour '{tour.title}' with {tour.stops.count()} stops: /tours/")
        flat = Exhibition.objects.filter(slug=FLAT_EXHIBITION["slug"]).first()
        if flat is not None:
            self._flat_tour(flat, educator)

    def _flat_tour(self, exhibition: Exhibition, educator: Any) -> None:
        """The tour of details: each stop an annotated region of one picture."""
        numbers = {work.filename: work.record["object_number"] for work in FLAT_WORKS}
        with transaction.atomic():
            tour, _ = Tour.objects.update_or_create(
                title=FLAT_TOUR["title"],
                educator=educator,
                defaults={"exhibition": exhibition, "description": FLAT_TOUR["description"]},
            )
            tour.stops.all().delete()
            for order, (filename, region_title) in enumerate(FLAT_TOUR_STOPS):
                note = (
                    Annotation.objects.filter(
                        artifact__object_number=numbers[filename],
                        title=region_title,
                        region__isnull=False,
                    )
                    .select_related("artifact")
                    .first()
                )
                if note is None:
                    raise CommandError(f"The demo region '{region_title}' is missing.")
                TourStop.objects.create(
                    tour=tour,
                    order=order,
                    artifact=note.artifact,
                    annotation=note,
                    narration=note.text,
                )
        self.stdout.write(f"Guided tour '{tour.title}' with {tour.stops.count()} stops: /tours/")
