"""Building services: state changes of the floor plan (one transaction each)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max, Q, QuerySet

from exhibits.curation import galleries
from exhibits.curation.suggestions import theme_groups
from exhibits.models import Exhibition, ExhibitionItem, PublicationStatus
from museum.models import Floor, Passage, Room


def accept_suggestion(
    *, exhibition: Exhibition, floor: Floor | None = None, style: str = "grid"
) -> list[Room]:
    """Build the suggestion's gallery: one Room per theme (on `floor`, else a new floor),
    passages between consecutive rooms, entrance and exit, and every item placed in its room.
    Idempotent: accepting again updates the same rooms and passages."""
    with transaction.atomic():
        groups = theme_groups(exhibition)
        prefix = f"s{exhibition.pk}-"
        generated = Room.objects.filter(exhibition=exhibition, code__startswith=prefix)
        existing = list(generated.select_related("floor"))
        if existing:
            floor = existing[0].floor
        elif floor is None:
            level = (Floor.objects.aggregate(top=Max("level"))["top"] or 0) + 1
            floor = Floor.objects.create(name=exhibition.title[:120], level=level)
        others = Room.objects.filter(floor=floor).exclude(code__startswith=prefix)
        right = max((r.x_m + r.width_m / 2 for r in others), default=None)
        origin = (right + 4.0 if right is not None else 0.0, 0.0)
        plans = galleries.layout([len(m) for _, m in groups], style=style, origin=origin)
        rooms: list[Room] = []
        for plan, (name, _members) in zip(plans, groups, strict=True):
            room, _ = Room.objects.update_or_create(
                floor=floor,
                code=f"{prefix}{plan.index + 1}",
                defaults={
                    "name": name,
                    "exhibition": exhibition,
                    "order_in_exhibition": plan.index,
                    "x_m": plan.x_m,
                    "y_m": plan.y_m,
                    "width_m": plan.width_m,
                    "depth_m": plan.depth_m,
                    "capacity": plan.capacity,
                    "is_entrance": plan.is_entrance,
                    "is_exit": plan.is_exit,
                },
            )
            rooms.append(room)
        generated.exclude(pk__in=[r.pk for r in rooms]).delete()  # themes merged away since
        kept = []
        for passage in galleries.passages(plans):
            edge, _ = Passage.objects.update_or_create(
                from_room=rooms[passage.from_index],
                to_room=rooms[passage.to_index],
                defaults={"walking_seconds": passage.walking_seconds, "two_way": True},
            )
            kept.append(edge.pk)
        Passage.objects.filter(from_room__in=rooms, to_room__in=rooms).exclude(pk__in=kept).delete()
        placed: list[ExhibitionItem] = []
        for room, (_name, members) in zip(rooms, groups, strict=True):
            for item in members:
                item.room, item.order = room, len(placed)
                placed.append(item)
        ExhibitionItem.objects.bulk_update(placed, ["room", "order"])
        exhibition.explanation = {
            **exhibition.explanation,
            "accepted": {"floor": floor.pk, "rooms": [r.pk for r in rooms], "style": style},
        }
        exhibition.save(update_fields=["explanation", "updated_at"])
    return rooms


def public_rooms() -> QuerySet[Room]:
    """Rooms visitors may see, walk and be told of: those showing no exhibition or a published
    one. Rooms built for a draft (an accepted suggestion not yet published) stay hidden from
    the planner (/plan/) and from the doorways of the gallery scene (issue #16)."""
    return Room.objects.filter(
        Q(exhibition__isnull=True) | Q(exhibition__status=PublicationStatus.PUBLISHED)
    )
