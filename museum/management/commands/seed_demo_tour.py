"""`python manage.py seed_demo_tour [--reset]`: the educator's demo guided tour, once.

One stop per object of the demo exhibition, in exhibition order, each at the object's first
annotated view with narration from its label, so `make run` has a tour to go live with at /tours/.
Once the tour exists the command changes nothing (the educator's narration, views and audio
stay); `--reset` deletes its stops and makes them again.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from exhibits.demo.content import EXHIBITION
from exhibits.models import Exhibition
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
