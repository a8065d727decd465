"""Admin of the floor plan: floors with their rooms inline, rooms, passages."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from museum.models import Floor, Passage, Room


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0
    fields = [
        "code",
        "name",
        "exhibition",
        "order_in_exhibition",
        "x_m",
        "y_m",
        "width_m",
        "depth_m",
        "capacity",
        "is_entrance",
        "is_exit",
    ]
    autocomplete_fields = ["exhibition"]


@admin.register(Floor)
class FloorAdmin(admin.ModelAdmin):
    """The floor plan: rooms inline; passages (with walking times) in their own list."""

    list_display = ["name", "level", "room_count"]
    inlines = [RoomInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Floor]:
        return super().get_queryset(request).annotate(rooms_total=Count("rooms"))

    @admin.display(description=_("rooms"), ordering="rooms_total")
    def room_count(self, floor: Floor) -> int:
        return floor.rooms_total  # type: ignore[attr-defined]  # annotated by get_queryset


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "floor", "exhibition", "capacity", "is_entrance", "is_exit"]
    list_filter = ["floor", "is_entrance", "is_exit"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["exhibition"]


@admin.register(Passage)
class PassageAdmin(admin.ModelAdmin):
    list_display = ["__str__", "walking_seconds", "two_way"]
    list_select_related = ["from_room", "to_room"]
    autocomplete_fields = ["from_room", "to_room"]
    search_fields = ["from_room__code", "to_room__code"]
