"""The admin side of the job runner (museum.jobs): live progress of jobs, the job list, and a
curator's retry of failed jobs."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from exhibits.models import Job
from museum import jobs


class RetryJobsMixin:
    """Adds "Retry the failed jobs" to a job model's admin. `retry_permission` names the
    permission that allows it (the one that allows requesting such a job)."""

    retry_permission = ""

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return bool(self.retry_permission) and request.user.has_perm(self.retry_permission)

    @admin.action(description=_("Retry the failed jobs"), permissions=["retry"])
    def retry_failed_jobs(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        retried = 0
        for job in queryset.filter(status=jobs.FAILED).order_by("pk"):
            jobs.retry(job=job)
            retried += 1
        skipped = queryset.exclude(status=jobs.FAILED).count()
        admin_self: Any = self
        if retried:
            admin_self.message_user(
                request,
                ngettext("%(n)d job was queued again.", "%(n)d jobs were queued again.", retried)
                % {"n": retried},
                messages.SUCCESS,
            )
        if skipped:
            admin_self.message_user(
                request,
                ngettext(
                    "%(n)d job was not retried: only failed jobs can be.",
                    "%(n)d jobs were not retried: only failed jobs can be.",
                    skipped,
                )
                % {"n": skipped},
                messages.WARNING,
            )


def progress_bar(job: Job) -> str:
    """A <progress> that static/js/pages/admin-job-progress.js keeps live while the job runs.
    A job that ended with a stage of its own (a check that found nothing to analyse) shows that
    stage instead of "100% done"."""
    live = job.status in (Job.Status.QUEUED, Job.Status.RUNNING)
    if job.status == Job.Status.DONE and job.stage not in ("", "done"):
        # Stages are stored in English, marked with gettext_noop where they are set.
        return format_html("<span data-job-stage data-job-outcome>{}</span>", gettext(job.stage))
    return format_html(
        '<progress max="100" value="{}" data-job-url="{}" data-live="{}" '
        'aria-label="{}"></progress> <span data-job-stage>{}% {}</span>',
        job.progress,
        reverse("api:job-detail", args=[job.pk]),
        "1" if live else "",
        _("Job progress"),
        job.progress,
        job.stage,
    )


class JobProgressMedia:
    js = ["js/pages/admin-job-progress.js"]


class JobInline(admin.TabularInline):
    model = Job
    fk_name = "artifact"
    extra = 0
    fields = ["kind", "status", "live_progress", "error", "created_at"]
    readonly_fields = cast(list[str], fields)
    ordering = ["-created_at"]
    show_change_link = True
    Media = JobProgressMedia

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("progress"))
    def live_progress(self, job: Job) -> str:
        return progress_bar(job)


@admin.register(Job)
class JobAdmin(RetryJobsMixin, admin.ModelAdmin):
    """Background jobs, read-only: they are created and advanced by the workers (museum.jobs);
    a curator may retry a failed one."""

    Media = JobProgressMedia
    actions = ["retry_failed_jobs"]
    retry_permission = "exhibits.change_artifact"
    list_display = ["id", "kind", "status", "live_progress", "artifact", "created_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["artifact"]
    search_fields = ["kind", "artifact__object_number", "error"]
    fields = [
        "kind",
        "status",
        "progress",
        "live_progress",
        "error",
        "attempts",
        "options",
        "report",
        "artifact",
        "input_asset",
        "created_at",
        "started_at",
        "finished_at",
    ]
    readonly_fields = cast(list[str], fields)

    @admin.display(description=_("progress"))
    def live_progress(self, job: Job) -> str:
        return progress_bar(job)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Job | None = None) -> bool:
        return False
