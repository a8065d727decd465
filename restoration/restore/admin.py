"""Admin of restoration jobs (read-only results with their regions inline, accept / reject
actions) and the "Restore surfaces" / "Restore shape" actions on artifacts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from exhibits.collection.admin import add_artifact_action
from exhibits.models import Artifact
from museum.jobs_admin import RetryJobsMixin
from restoration.models import RestorationJob, RestorationReview, RestoredRegion
from restoration.restore import services

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class RestoredRegionInline(admin.TabularInline):
    model = RestoredRegion
    extra = 0
    can_delete = False
    fields = [
        "kind",
        "image_index",
        "damage_class",
        "bbox",
        "size",
        "method",
        "model_version",
        "score",
        "confidence",
        "candidates",
    ]
    readonly_fields = cast(list[str], fields)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class RestorationReviewInline(admin.TabularInline):
    """The review history, oldest first: who decided what, when, and which decision the method
    bandit learnt from (only a job's first accept or reject)."""

    model = RestorationReview
    extra = 0
    can_delete = False
    fields = ["at", "decision", "user", "note", "taught_bandit"]
    readonly_fields = cast(list[str], fields)
    verbose_name_plural = _("review history")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm("restoration.view_restorationjob")  # who sees the job


def _link(asset: object) -> str:
    file = getattr(asset, "file", None)
    if not file:
        return "—"
    return format_html('<a href="{}">{}</a>', file.url, file.name.rsplit("/", 1)[-1])


@admin.register(RestorationJob)
class RestorationJobAdmin(RetryJobsMixin, admin.ModelAdmin):
    list_display = [
        "pk",
        "artifact",
        "kind",
        "status",
        "progress",
        "review",
        "device",
        "created_at",
    ]
    list_filter = ["kind", "status", "review", "device"]
    search_fields = ["artifact__title", "artifact__object_number"]
    list_select_related = ["artifact"]
    inlines = [RestorationReviewInline, RestoredRegionInline]
    actions = ["accept_action", "reject_action", "retry_failed_jobs"]
    retry_permission = "restoration.add_restorationjob"
    readonly_fields = [
        "artifact",
        "kind",
        "status",
        "progress",
        "stage",
        "device",
        "timings",
        "error",
        "attempts",
        "options",
        "report",
        "requested_by",
        "condition_record",
        "source_asset",
        "model_file",
        "texture_file",
        "mask_file",
        "review",
        "reviewed_by",
        "reviewed_at",
        "created_at",
        "started_at",
        "finished_at",
    ]
    fields = [*readonly_fields, "review_note"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # requested with the artifact action or on the artifact page

    @admin.display(description=_("restored model"))
    def model_file(self, job: RestorationJob) -> str:
        return _link(job.restored_model)

    @admin.display(description=_("restored texture"))
    def texture_file(self, job: RestorationJob) -> str:
        return _link(job.restored_texture)

    @admin.display(description=_("generated regions"))
    def mask_file(self, job: RestorationJob) -> str:
        return _link(job.generated_mask)

    def _review(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        review: Callable[..., Any],
        done: StrOrPromise,
    ) -> None:
        count = 0
        for job in queryset.order_by("finished_at", "pk"):
            try:
                review(job=job, user=request.user, note="")
            except ValidationError as exc:
                self.message_user(request, f"{job}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Accept the restoration (visitors see it)"), permissions=["change"])
    def accept_action(self, request: HttpRequest, queryset: QuerySet[RestorationJob]) -> None:
        self._review(request, queryset, services.accept_restoration, _("%(count)d accepted."))

    @admin.action(description=_("Reject the restoration"), permissions=["change"])
    def reject_action(self, request: HttpRequest, queryset: QuerySet[RestorationJob]) -> None:
        self._review(request, queryset, services.reject_restoration, _("%(count)d rejected."))


def _request(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Artifact], kind: str
) -> None:
    if not request.user.has_perm("restoration.add_restorationjob"):
        modeladmin.message_user(
            request, _("You may not request restorations."), level=messages.ERROR
        )
        return
    jobs = [
        services.request_restoration(artifact=artifact, kind=kind, requested_by=request.user)
        for artifact in queryset
    ]
    count = len(jobs)
    modeladmin.message_user(
        request,
        ngettext("A restoration was queued.", "%(count)d restorations were queued.", count)
        % {"count": count},
        level=messages.SUCCESS,
    )


@admin.action(description=_("Restore surfaces (inpaint the damage the condition check found)"))
def restore_surfaces_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Artifact]
) -> None:
    _request(modeladmin, request, queryset, RestorationJob.Kind.SURFACE)


@admin.action(description=_("Restore shape (fill the holes of the model)"))
def restore_shape_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Artifact]
) -> None:
    _request(modeladmin, request, queryset, RestorationJob.Kind.SHAPE)


add_artifact_action(restore_surfaces_action)
add_artifact_action(restore_shape_action)
