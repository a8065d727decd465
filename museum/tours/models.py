"""Guided tours: authored tours and their stops, and live sessions (who guides, the current
stop, hands and questions, the event log).

Live state lives here rather than in a process's memory so that a session survives a restart
and every ASGI process sees the same stop; the event log is what a replay plays back.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from museum.common.names import unguessable

AUDIO_EXTENSIONS = ["mp3", "ogg", "oga", "opus", "m4a", "wav", "webm"]
MAX_AUDIO_BYTES = 20 * 1024 * 1024


def validate_audio_size(upload: File) -> None:
    if upload.size > MAX_AUDIO_BYTES:
        raise ValidationError(
            _("An audio clip may be at most %(mb)d MB."), params={"mb": MAX_AUDIO_BYTES >> 20}
        )


def tour_audio_upload_to(instance: TourStop, filename: str) -> str:
    """`tours/audio/<name>-<random>.<ext>`: not guessable (museum.media checks who may hear it)."""
    return f"tours/audio/{unguessable(filename)}"


class Tour(models.Model):
    """A guided tour an educator authors and later leads live."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    educator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tours"
    )
    exhibition = models.ForeignKey(
        "exhibits.Exhibition",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tours",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("tour")
        verbose_name_plural = _("tours")

    def __str__(self) -> str:
        return self.title


class TourStop(models.Model):
    tour = models.ForeignKey(Tour, on_delete=models.CASCADE, related_name="stops")
    order = models.PositiveIntegerField(_("order"), default=0)
    artifact = models.ForeignKey("exhibits.Artifact", on_delete=models.CASCADE, related_name="+")
    annotation = models.ForeignKey(
        "exhibits.Annotation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    narration = models.TextField(_("narration"), blank=True)
    camera_position = models.JSONField(_("camera position"), null=True, blank=True)
    camera_target = models.JSONField(_("camera target"), null=True, blank=True)
    audio = models.FileField(
        _("audio clip"),
        upload_to=tour_audio_upload_to,
        blank=True,
        validators=[FileExtensionValidator(AUDIO_EXTENSIONS), validate_audio_size],
        help_text=_("Optional narration clip played on followers' devices (MP3, Ogg, M4A, WAV)."),
    )

    class Meta:
        ordering = ["tour", "order", "pk"]
        verbose_name = _("tour stop")
        verbose_name_plural = _("tour stops")

    def __str__(self) -> str:
        return f"{self.tour} #{self.order}"


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
    # The follower the guide gave the floor to (a tour socket's member id; blank: nobody). Here
    # rather than in a process's memory so that every process agrees on who may speak.
    floor_member = models.CharField(max_length=32, blank=True, default="")

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
    # Who asked across reconnections (a keyed hash of the account, session or address; never
    # the raw session key): the open-questions cap and "mine" count per person, not per socket.
    asker = models.CharField(max_length=64, blank=True, default="")
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
