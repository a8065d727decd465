"""`python manage.py generate_labels [SLUG ...] [--all-suggested]`: wall labels and
introductions from the metadata, in English and French. Texts a person wrote are kept."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from exhibits.curation import suggestions as suggestion_services
from exhibits.models import Exhibition


class Command(BaseCommand):
    help = "Generate missing wall labels and introductions (EN + FR) from the metadata."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("slugs", nargs="*", help="Exhibitions by slug")
        parser.add_argument("--all-suggested", action="store_true", help="Every suggested one")
        parser.add_argument("--institution", default=None, help="Named before credit lines")
        parser.add_argument(
            "--overwrite-approved",
            action="store_true",
            help="Also regenerate texts a curator approved (never those a person wrote)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        exhibitions = Exhibition.objects.all()
        if options["all_suggested"]:
            exhibitions = exhibitions.exclude(suggested_by="")
        elif options["slugs"]:
            exhibitions = exhibitions.filter(slug__in=options["slugs"])
            missing = set(options["slugs"]) - set(exhibitions.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"No exhibition with slug {', '.join(sorted(missing))}")
        else:
            raise CommandError("Name exhibitions by slug, or pass --all-suggested")
        for exhibition in exhibitions:
            changed = suggestion_services.generate_texts(
                exhibition=exhibition,
                institution=options["institution"],
                overwrite_approved=options["overwrite_approved"],
            )
            self.stdout.write(f"{exhibition.slug}: {changed} texts generated")
