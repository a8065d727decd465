"""Live guided-tour sessions: who guides, the current stop, hands and questions, the event log.

State lives here rather than in a process's memory so that a session survives a restart and every
ASGI process sees the same stop; the event log is what a replay plays back.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# No 0/O, 1/I: codes are read aloud and typed on phones.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class LiveTour(models.Model):
    """One live run of a Tour, joined with a short code."""

    class Status(models.TextChoices):
        LIVE = "live", _("live")
        ENDED = "ended", _("ended")

    tour = models.ForeignKey("museum.Tour", on_delete=models.CASCADE, related_name="sessions")
    code = models.CharField(_("join code"), max_length=12, unique=True, default=new_join_code)
    guide = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="guided_sessions"
    )
    co_guides = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="co_guided_sessions"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.LIVE)
    stop_index = models.PositiveIntegerField(_("current stop"), default=0)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("live tour")
        verbose_name_plural = _("live tours")

    def __str__(self) -> str:
        return f"{self.tour} ({self.code})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("tour-live", kwargs={"code": self.code})


class LiveTourEvent(models.Model):
    """What happened in a session and when: start, stop changes, answers, end."""

    session = models.ForeignKey(LiveTour, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=16)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.session.code} {self.kind} at {self.at:%H:%M:%S}"


class TourQuestion(models.Model):
    """A raised hand or a short text question from a follower."""

    class Kind(models.TextChoices):
        HAND = "hand", _("raised hand")
        QUESTION = "question", _("question")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ANSWERED = "answered", _("answered")
        DISMISSED = "dismissed", _("dismissed")
        LOWERED = "lowered", _("lowered")

    session = models.ForeignKey(LiveTour, on_delete=models.CASCADE, related_name="requests")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    member_id = models.CharField(max_length=32)
    name = models.CharField(max_length=40)
    text = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    answer = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["session", "kind", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.name}"
