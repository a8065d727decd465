"""The admin side of the job runner: a curator retries failed jobs (museum.jobs.retry)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

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
