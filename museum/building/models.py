"""The building as a graph: floors, rooms (each may host an exhibition) and the passages
between them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Floor(models.Model):
    """A storey of the building; its rooms and passages form the graph visitors walk."""

    name = models.CharField(_("name"), max_length=120)
    level = models.IntegerField(_("level"), default=0, help_text=_("0 = ground floor."))

    class Meta:
        ordering = ["level", "name"]
        verbose_name = _("floor")
        verbose_name_plural = _("floors")

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    """A gallery room on the floor plan (a node of the building graph)."""

    floor = models.ForeignKey(Floor, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("name"), max_length=120)
    code = models.SlugField(_("code"), max_length=40, help_text=_("Short id, e.g. 'g12'."))
    exhibition = models.ForeignKey(
        "exhibits.Exhibition",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rooms",
        help_text=_("The exhibition shown in this room, if any."),
    )
    order_in_exhibition = models.PositiveIntegerField(_("order in exhibition"), default=0)
    x_m = models.FloatField(_("x (m)"), default=0.0, help_text=_("Centre on the plan."))
    y_m = models.FloatField(_("y (m)"), default=0.0)
    width_m = models.FloatField(_("width (m)"), default=10.0)
    depth_m = models.FloatField(_("depth (m)"), default=10.0)
    capacity = models.PositiveIntegerField(
        _("capacity"), default=24, help_text=_("Visitors who can be in the room at once.")
    )
    is_entrance = models.BooleanField(_("entrance"), default=False)
    is_exit = models.BooleanField(_("exit"), default=False)

    class Meta:
        ordering = ["floor", "order_in_exhibition", "code"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [
            models.UniqueConstraint(fields=["floor", "code"], name="room_code_unique_per_floor"),
            models.CheckConstraint(
                condition=models.Q(width_m__gt=0) & models.Q(depth_m__gt=0),
                name="room_positive_size",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.floor} / {self.name}"


class Passage(models.Model):
    """A walkable connection between two rooms (an edge of the building graph)."""

    from_room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="passages_out")
    to_room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="passages_in")
    walking_seconds = models.FloatField(_("walking time (s)"), default=20.0)
    two_way = models.BooleanField(_("two-way"), default=True)

    class Meta:
        ordering = ["from_room", "to_room"]
        verbose_name = _("passage")
        verbose_name_plural = _("passages")
        constraints = [
            models.UniqueConstraint(fields=["from_room", "to_room"], name="passage_unique"),
            models.CheckConstraint(
                condition=~models.Q(from_room=models.F("to_room")), name="passage_not_a_loop"
            ),
            models.CheckConstraint(
                condition=models.Q(walking_seconds__gt=0), name="passage_positive_time"
            ),
        ]

    def __str__(self) -> str:
        arrow = "↔" if self.two_way else "→"
        return f"{self.from_room.code} {arrow} {self.to_room.code}"
