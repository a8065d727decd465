"""`python manage.py suggest_exhibitions [--rooms N --per-room M --seed S --classification X]`.

Clusters the (filtered) collection into themes and saves them as one draft exhibition with
generated labels; prints the rooms, their names and why (shared terms, central objects).
With --accept it also builds the rooms, passages and placements on the floor plan.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from exhibits.curation import suggestions as suggestion_services
from exhibits.models import Artifact


class Command(BaseCommand):
    help = "Suggest a draft exhibition: themes from embeddings, one room per theme."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--rooms", type=int, default=6, help="Number of themes (rooms)")
        parser.add_argument("--per-room", type=int, default=12, help="Most objects per room")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--classification", action="append", default=[], help="Repeatable")
        parser.add_argument("--culture", action="append", default=[], help="Repeatable")
        parser.add_argument("--continent", action="append", default=[], help="Repeatable")
        parser.add_argument("--published-only", action="store_true")
        parser.add_argument("--encoder", choices=["hashing", "tfidf", "minilm"], default="")
        parser.add_argument("--title", default="")
        parser.add_argument("--institution", default=None, help="Named before credit lines")
        parser.add_argument("--accept", action="store_true", help="Also build the rooms")
        parser.add_argument("--layout", choices=["grid", "corridor"], default="grid")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rooms"] < 1 or options["per_room"] < 1:
            raise CommandError("--rooms and --per-room must be positive")
        filters = {
            key: options[key] for key in ("classification", "culture", "continent") if options[key]
        }
        artifacts = list(
            suggestion_services.select_artifacts(
                classifications=options["classification"],
                cultures=options["culture"],
                continents=options["continent"],
                published_only=options["published_only"],
            )
        )
        try:
            exhibition = suggestion_services.suggest_exhibition(
                artifacts=artifacts,
                rooms=options["rooms"],
                per_room=options["per_room"],
                seed=options["seed"],
                encoder=suggestion_services.encoder_by_name(options["encoder"]),
                title=options["title"],
                filters=filters,
                institution=options["institution"],
            )
            if options["accept"]:
                from museum.building import services as building

                building.accept_suggestion(exhibition=exhibition, style=options["layout"])
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from exc
        self._report(exhibition)

    def _report(self, exhibition: Any) -> None:
        explanation = exhibition.explanation
        numbers = dict(Artifact.objects.values_list("pk", "object_number"))
        self.stdout.write(
            f"Draft exhibition '{exhibition.title}' (slug {exhibition.slug}), encoder "
            f"{explanation['encoder']}, seed {explanation['seed']}: {explanation['selected']} "
            f"objects, {len(explanation['rooms'])} rooms, {len(explanation['unplaced'])} unplaced."
        )
        for index, room in enumerate(explanation["rooms"], 1):
            terms = ", ".join(f"{t['term']} ({t['count']})" for t in room["terms"][:5])
            central = ", ".join(numbers.get(c["artifact"], "?") for c in room["central"])
            self.stdout.write(
                f"{index:>2}. {room['name']} - {len(room['artifacts'])} objects, ordered by "
                f"{room['ordered_by']}, cohesion {room['cohesion']}; terms: {terms}; "
                f"central: {central}"
            )
        if "accepted" in explanation:
            self.stdout.write(f"Rooms built on floor #{explanation['accepted']['floor']}.")
