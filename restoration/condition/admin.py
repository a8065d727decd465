"""Admin of condition records (read-only results, with their pictures) and the on-demand
"Run a condition check" action on artifacts."""

from __future__ import annotations

from typing import cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from exhibits.collection.admin import add_artifact_action
from exhibits.models import Artifact
from restoration.condition import services, visibility
from restoration.models import ConditionRecord, DamageFinding, MaskCorrection


def _picture(field: FieldFile | None, width: int = 160) -> str:
    if not field:
        return "—"
    return format_html(
        '<a href="{0}"><img src="{0}" alt="" loading="lazy" style="max-width:{1}px;'
        'max-height:{1}px;background:#000"></a>',
        field.url,
        width,
    )


class DamageFindingInline(admin.TabularInline):
    model = DamageFinding
    extra = 0
    can_delete = False
    fields = [
        "damage_class",
        "pixel_share",
        "area_cm2",
        "mask_picture",
        "probability_picture",
        "review",
        "reviewed_by",
        "reviewed_at",
    ]
    readonly_fields = cast(list[str], fields)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("mask"))
    def mask_picture(self, finding: DamageFinding) -> str:
        return _picture(finding.mask, 120)

    @admin.display(description=_("probability"))
    def probability_picture(self, finding: DamageFinding) -> str:
        return _picture(finding.probability, 120)


class MaskCorrectionInline(admin.TabularInline):
    model = MaskCorrection
    extra = 0
    can_delete = True
    fields = ["damage_class", "mask_picture", "pixel_share", "author", "note", "created_at"]
    readonly_fields = ["damage_class", "mask_picture", "pixel_share", "author", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # corrections are painted or uploaded on the report page

    @admin.display(description=_("mask"))
    def mask_picture(self, correction: MaskCorrection) -> str:
        return _picture(correction.mask, 120)


@admin.register(ConditionRecord)
class ConditionRecordAdmin(admin.ModelAdmin):
    list_display = [
        "artifact",
        "image_index",
        "texture_name",
        "model_version",
        "released",
        "created_at",
    ]
    list_filter = ["released", "model_version", "origin"]
    actions = ["release", "withdraw"]
    search_fields = ["artifact__title", "artifact__object_number", "texture_name"]
    list_select_related = ["artifact"]
    inlines = [DamageFindingInline, MaskCorrectionInline]
    readonly_fields = [
        "artifact",
        "job",
        "source_asset",
        "origin",
        "image_index",
        "texture_name",
        "material_names",
        "width_px",
        "height_px",
        "metres_per_pixel",
        "model_version",
        "seconds",
        "summary",
        "released",
        "created_at",
        "report_link",
        "texture_picture",
        "overlay_picture",
        "probability_picture",
        "explanation_picture",
    ]
    exclude = ["texture", "overlay", "probability", "explanation"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # records come from condition checks

    @admin.action(description=_("Release to visitors"), permissions=["change"])
    def release(self, request: HttpRequest, queryset: QuerySet[ConditionRecord]) -> None:
        count = visibility.set_released(records=queryset, released=True, by=request.user)
        self.message_user(request, _("%(n)d condition records released.") % {"n": count})

    @admin.action(description=_("Withdraw from visitors"), permissions=["change"])
    def withdraw(self, request: HttpRequest, queryset: QuerySet[ConditionRecord]) -> None:
        count = visibility.set_released(records=queryset, released=False)
        self.message_user(request, _("%(n)d condition records withdrawn.") % {"n": count})

    @admin.display(description=_("report"))
    def report_link(self, record: ConditionRecord) -> str:
        url = reverse("condition:report", args=[record.artifact_id])
        return format_html('<a href="{}">{}</a>', url, _("Condition report"))

    @admin.display(description=_("texture"))
    def texture_picture(self, record: ConditionRecord) -> str:
        return _picture(record.texture, 320)

    @admin.display(description=_("masks over the texture"))
    def overlay_picture(self, record: ConditionRecord) -> str:
        return _picture(record.overlay, 320)

    @admin.display(description=_("probability map"))
    def probability_picture(self, record: ConditionRecord) -> str:
        return _picture(record.probability, 320)

    @admin.display(description=_("explanation (Grad-CAM)"))
    def explanation_picture(self, record: ConditionRecord) -> str:
        return _picture(record.explanation, 320)


@admin.action(description=_("Run a condition check (damage detection)"))
def run_condition_check_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Artifact]
) -> None:
    if not request.user.has_perm("restoration.add_conditionrecord"):
        modeladmin.message_user(
            request, _("You may not run condition checks."), level=messages.ERROR
        )
        return
    jobs = [
        services.request_condition_check(artifact=artifact, requested_by=request.user)
        for artifact in queryset
    ]
    count = len(jobs)
    modeladmin.message_user(
        request,
        ngettext("A condition check was queued.", "%(count)d condition checks were queued.", count)
        % {"count": count},
        level=messages.SUCCESS,
    )


# The artifact admin belongs to exhibits; the check is offered there as one more action.
add_artifact_action(run_condition_check_action)
