"""`python manage.py seed_floor_plan [--reset]`: the demo floor plan, once.

A ground floor with an entrance hall and three galleries for the demo exhibition
"shapes-of-time" (exhibits/demo/content.py), joined in a ring so that routes have choices; each
of the exhibition's artifacts is placed in its own gallery, in exhibition order. When the flat
works' exhibition (exhibits/demo/flat_works.py) exists, three more rooms north of the hall hold
it, in a second ring, each work in the room its record names. Once the demo
floor exists the command changes nothing (curators may have moved objects or rooms since);
`--reset` restores the demo rooms, passages and placements.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from exhibits.demo.content import EXHIBITION
from exhibits.demo.flat_works import FLAT_EXHIBITION, FLAT_PASSAGES, FLAT_ROOMS, FLAT_WORKS
from exhibits.models import Exhibition
from museum.models import Floor, Passage, Room

FLOOR_NAME = "Ground floor"
WALKING_SPEED_M_S = 1.2
DOOR_SECONDS = 5.0
# code, name, centre x, centre y, width, depth, capacity, entrance, exit
ROOMS = (
    ("hall", "Entrance hall", 18.0, 22.0, 36.0, 8.0, 60, True, True),
    ("g1", "Natural history gallery", 6.0, 10.0, 12.0, 14.0, 20, False, False),
    ("g2", "Cast gallery", 18.0, 10.0, 12.0, 14.0, 20, False, False),
    ("g3", "Music gallery", 30.0, 10.0, 12.0, 14.0, 20, False, False),
)
PASSAGES = (("hall", "g1"), ("g1", "g2"), ("g2", "g3"), ("g3", "hall"), ("hall", "g2"))
GALLERIES = ("g1", "g2", "g3")


def walking_seconds(a: tuple, b: tuple) -> float:
    """Centre to centre along the axes at an unhurried pace, plus a doorway."""
    return round((abs(a[2] - b[2]) + abs(a[3] - b[3])) / WALKING_SPEED_M_S + DOOR_SECONDS, 1)


class Command(BaseCommand):
    help = "Create the demo floor plan and place the demo artifacts in its rooms (once)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Restore the demo rooms, passages and placements if the demo floor exists.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        exhibition = Exhibition.objects.filter(slug=EXHIBITION["slug"]).first()
        if exhibition is None:
            raise CommandError("The demo exhibition is missing: run `manage.py seed_demo` first.")
        if not options["reset"] and Floor.objects.filter(name=FLOOR_NAME).exists():
            self.stdout.write(
                f"The demo floor '{FLOOR_NAME}' exists: nothing changed "
                "(`manage.py seed_floor_plan --reset` restores it)."
            )
            return
        flat = Exhibition.objects.filter(slug=FLAT_EXHIBITION["slug"]).first()
        with transaction.atomic():
            floor, _ = Floor.objects.get_or_create(name=FLOOR_NAME, defaults={"level": 0})
            specs = {spec[0]: spec for spec in ROOMS}
            hosts = dict.fromkeys(GALLERIES, exhibition)
            if flat is not None:
                specs |= {spec[0]: (*spec, False, False) for spec in FLAT_ROOMS}
                hosts |= dict.fromkeys((spec[0] for spec in FLAT_ROOMS), flat)
            rooms: dict[str, Room] = {}
            for order, spec in enumerate(specs.values()):
                code, name, x, y, width, depth, capacity, entrance, exit_ = spec
                rooms[code], _ = Room.objects.update_or_create(
                    floor=floor,
                    code=code,
                    defaults={
                        "name": name,
                        "exhibition": hosts.get(code),
                        "order_in_exhibition": order,
                        "x_m": x,
                        "y_m": y,
                        "width_m": width,
                        "depth_m": depth,
                        "capacity": capacity,
                        "is_entrance": entrance,
                        "is_exit": exit_,
                    },
                )
            passages = PASSAGES + (FLAT_PASSAGES if flat is not None else ())
            for a, b in passages:
                Passage.objects.filter(from_room=rooms[b], to_room=rooms[a]).delete()
                Passage.objects.update_or_create(
                    from_room=rooms[a],
                    to_room=rooms[b],
                    defaults={
                        "walking_seconds": walking_seconds(specs[a], specs[b]),
                        "two_way": True,
                    },
                )
            items = list(exhibition.items.order_by("order", "pk"))
            for index, item in enumerate(items):
                item.room = rooms[GALLERIES[index % len(GALLERIES)]]
                item.save(update_fields=["room"])
            if flat is not None:
                room_of = {work.record["object_number"]: work.room for work in FLAT_WORKS}
                for item in flat.items.select_related("artifact"):
                    if room_code := room_of.get(item.artifact.object_number):
                        item.room = rooms[room_code]
                        item.save(update_fields=["room"])
                        items.append(item)
        self.stdout.write(
            f"Floor plan '{floor.name}': {len(rooms)} rooms, {len(passages)} passages, "
            f"{len(items)} objects placed. Plan a visit at /plan/"
        )
