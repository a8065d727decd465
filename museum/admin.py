"""Admin for guided tours: educators author their own tours; superusers see all."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from museum.models import Tour, TourStop


class TourStopInline(admin.StackedInline):
    model = TourStop
    extra = 0
    ordering = ["order", "pk"]
    fields = [
        ("order", "artifact", "annotation"),
        "narration",
        ("camera_position", "camera_target"),
    ]
    autocomplete_fields = ["artifact", "annotation"]


def sees_all_tours(request: HttpRequest) -> bool:
    """Superusers, and readers who cannot edit tours (curators), see every tour."""
    user = request.user
    return user.is_superuser or not user.has_perm("museum.change_tour")


@admin.register(Tour)
class TourAdmin(admin.ModelAdmin):
    list_display = ["title", "educator", "exhibition", "stop_count", "updated_at"]
    list_filter = ["exhibition"]
    search_fields = ["title", "description"]
    autocomplete_fields = ["exhibition"]
    inlines = [TourStopInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tour]:
        queryset = (
            super()
            .get_queryset(request)
            .select_related("educator", "exhibition")
            .annotate(stop_total=Count("stops"))
        )
        if sees_all_tours(request):
            return queryset
        return queryset.filter(educator=request.user)

    def get_fields(self, request: HttpRequest, obj: Tour | None = None) -> list[str]:
        fields = ["title", "description", "exhibition"]
        # Only a superuser assigns a tour to someone; an educator's tours are their own.
        return [*fields, "educator"] if request.user.is_superuser else fields

    def get_autocomplete_fields(self, request: HttpRequest) -> list[str]:
        extra = ["educator"] if request.user.is_superuser else []
        return [*self.autocomplete_fields, *extra]

    def save_model(self, request: HttpRequest, obj: Tour, form: Any, change: bool) -> None:
        if not change and obj.educator_id is None:
            obj.educator = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("stops"), ordering="stop_total")
    def stop_count(self, tour: Tour) -> int:
        return tour.stop_total
