"""Admin of the curators' mask corrections: every correction of every texture, drawn on a record
that may since have been replaced, with the action that retires them (they stop applying to
later condition records; kept as a record)."""

from __future__ import annotations

from typing import cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from restoration.condition.corrections import retire_mask_correction
from restoration.models import MaskCorrection


@admin.register(MaskCorrection)
class MaskCorrectionAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "artifact",
        "damage_class",
        "texture_key",
        "author",
        "created_at",
        "in_force",
        "retired_by",
    ]
    list_filter = ["damage_class", ("retired_at", admin.EmptyFieldListFilter)]
    search_fields = ["artifact__title", "artifact__object_number", "note"]
    list_select_related = ["artifact", "author", "retired_by"]
    actions = ["retire"]
    fields = [
        "artifact",
        "texture_key",
        "record",
        "damage_class",
        "mask_picture",
        "pixel_share",
        "author",
        "note",
        "created_at",
        "retired_at",
        "retired_by",
    ]
    readonly_fields = [name for name in cast(list[str], fields) if name != "note"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # corrections are painted or uploaded on the report page

    @admin.display(description=_("in force"), boolean=True)
    def in_force(self, correction: MaskCorrection) -> bool:
        return correction.retired_at is None

    @admin.display(description=_("mask"))
    def mask_picture(self, correction: MaskCorrection) -> str:
        if not correction.mask:
            return "—"
        return format_html('<img src="{}" width="160" alt="">', correction.mask.url)

    @admin.action(
        description=_("Retire the corrections (stop applying them to later checks)"),
        permissions=["change"],
    )
    def retire(self, request: HttpRequest, queryset: QuerySet[MaskCorrection]) -> None:
        count = 0
        for correction in queryset:
            if correction.retired_at is None:
                retire_mask_correction(correction=correction, user=request.user)
                count += 1
        self.message_user(request, _("%(count)d retired.") % {"count": count}, messages.SUCCESS)
