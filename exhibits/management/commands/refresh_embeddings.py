"""`python manage.py refresh_embeddings [--suggest-tags] [--k 10] [--min-confidence 0.5]`

Recomputes missing or stale artifact embeddings with the default encoder (MOUSEION_ENCODER)
and, with --suggest-tags, stores classification and material suggestions for curators to
accept or reject in the admin (Tag suggestions).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from exhibits.curation import services as curation_services
from exhibits.curation.embeddings import default_encoder


class Command(BaseCommand):
    help = "Refresh cached artifact embeddings; optionally suggest missing tags."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--suggest-tags", action="store_true")
        parser.add_argument("--k", type=int, default=10, help="Neighbours that vote (10)")
        parser.add_argument("--min-confidence", type=float, default=0.5)

    def handle(self, *args: Any, **options: Any) -> None:
        encoder = default_encoder()
        started = time.perf_counter()
        checked = curation_services.refresh_embeddings(encoder=encoder)
        self.stdout.write(
            f"{checked} embeddings checked with {encoder.name} "
            f"in {time.perf_counter() - started:.1f} s."
        )
        if options["suggest_tags"]:
            pending = curation_services.suggest_tags(
                k=options["k"], min_confidence=options["min_confidence"], encoder=encoder
            )
            self.stdout.write(f"{pending} tag suggestions pending review.")
