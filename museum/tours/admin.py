"""Admin for guided tours: educators author their own tours; superusers see all."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from museum.models import LiveTour, LiveTourEvent, Tour, TourStop
from museum.tours import services as tour_services

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups


class TourStopInline(admin.StackedInline):
    model = TourStop
    extra = 0
    ordering = ["order", "pk"]
    fields = [
        ("order", "artifact", "annotation"),
        "narration",
        "audio",
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
    actions = ["start_live_session"]

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

    def get_fields(self, request: HttpRequest, obj: Tour | None = None) -> _FieldGroups:
        fields: _FieldGroups = ["title", "description", "exhibition"]
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
        return tour.stop_total  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.action(description=_("Start a live guided session"), permissions=["change"])
    def start_live_session(
        self, request: HttpRequest, queryset: QuerySet[Tour]
    ) -> HttpResponseRedirect | None:
        tours = list(queryset[:2])
        if len(tours) != 1:
            self.message_user(request, _("Choose exactly one tour to lead."), messages.WARNING)
            return None
        try:
            session = tour_services.start_live_tour(tour=tours[0], guide=cast(User, request.user))
        except tour_services.TourError as error:
            self.message_user(request, error.message, messages.ERROR)
            return None
        return HttpResponseRedirect(session.get_absolute_url())


class LiveTourEventInline(admin.TabularInline):
    model = LiveTourEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "payload"]
    readonly_fields = cast(list[str], fields)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LiveTour)
class LiveTourAdmin(admin.ModelAdmin):
    """Live and past sessions; the guide names co-guides here."""

    list_display = ["code", "tour", "guide", "status", "stop_index", "started_at"]
    list_filter = ["status"]
    search_fields = ["code", "tour__title"]
    readonly_fields = ["tour", "code", "guide", "status", "stop_index", "started_at", "ended_at"]
    fields = [*readonly_fields[:3], "co_guides", *readonly_fields[3:]]
    filter_horizontal = ["co_guides"]
    inlines = [LiveTourEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # sessions start from a tour ("Start a live guided session")

    def get_queryset(self, request: HttpRequest) -> QuerySet[LiveTour]:
        queryset = super().get_queryset(request).select_related("tour", "guide")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(guide=request.user)
