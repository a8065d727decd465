"""Virtual restorations: a job that fills an artifact's damaged texture regions (surface) or the
holes of its mesh (shape), the restored files it writes as new Assets, and, per region, how
each was filled. The original is never touched; a curator accepts or rejects the result."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exhibits.models import Job


class RestorationJob(models.Model):
    """One restoration run of one artifact, with its progress, provenance and review."""

    class Kind(models.TextChoices):
        SURFACE = "surface", _("Surface (texture inpainting)")
        SHAPE = "shape", _("Shape (hole filling)")

    Status = Job.Status  # the same life cycle as every other background job

    class Review(models.TextChoices):
        PENDING = "pending", _("Pending review")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    artifact = models.ForeignKey(
        "exhibits.Artifact", on_delete=models.CASCADE, related_name="restoration_jobs"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    stage = models.CharField(_("stage"), max_length=200, blank=True)
    device = models.CharField(_("device used"), max_length=40, blank=True)
    timings = models.JSONField(_("seconds per stage"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(
        _("attempts"), default=0, help_text=_("Times a worker claimed the job (museum.jobs).")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    condition_record = models.ForeignKey(
        "restoration.ConditionRecord",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="restoration_jobs",
        help_text=_("The condition record (first texture) whose damage was restored."),
    )
    source_asset = models.ForeignKey(
        "exhibits.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    restored_texture = models.ForeignKey(
        "exhibits.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    restored_model = models.ForeignKey(
        "exhibits.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    generated_mask = models.ForeignKey(
        "exhibits.Asset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("White where pixels were generated (restored texture space)."),
    )
    review = models.CharField(
        _("review"), max_length=16, choices=Review.choices, default=Review.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("restoration job")
        verbose_name_plural = _("restoration jobs")
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="restoration_job_progress_percent"
            ),
            # Only a finished restoration can be reviewed.
            models.CheckConstraint(
                condition=Q(review="pending") | Q(status="done"),
                name="restoration_job_review_needs_done",
            ),
            # At most one accepted restoration of each kind per artifact is shown.
            models.UniqueConstraint(
                fields=["artifact", "kind"],
                condition=Q(review="accepted"),
                name="restoration_job_one_accepted_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} restoration {self.pk} of artifact {self.artifact_id}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class RestorationReview(models.Model):
    """One review decision on a restoration, kept as a history (the job's `review` is the latest).
    `taught_bandit` marks the one decision the method bandit learnt from: a job's first accept or
    reject; later changes are recorded here but teach nothing (see services.accept_restoration)."""

    job = models.ForeignKey(RestorationJob, on_delete=models.CASCADE, related_name="reviews")
    decision = models.CharField(_("decision"), max_length=16, choices=RestorationJob.Review.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    taught_bandit = models.BooleanField(_("taught the method bandit"), default=False)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["job", "at", "pk"]
        verbose_name = _("restoration review")
        verbose_name_plural = _("restoration reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["job"],
                condition=Q(taught_bandit=True),
                name="restoration_review_bandit_learns_once",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_decision_display()} restoration {self.job_id} at {self.at:%Y-%m-%d %H:%M}"
        )


class RestoredRegion(models.Model):
    """One filled region: where it is, what filled it, and every candidate method's score."""

    class Kind(models.TextChoices):
        TEXTURE = "texture", _("Texture region")
        GEOMETRY = "geometry", _("Geometry (hole)")

    job = models.ForeignKey(RestorationJob, on_delete=models.CASCADE, related_name="regions")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    image_index = models.PositiveIntegerField(_("image index in the glTF"), null=True, blank=True)
    damage_class = models.CharField(
        _("damage"), max_length=32, blank=True, help_text=_("Damage classes, or 'hole'.")
    )
    bbox = models.JSONField(_("bounding box"), default=list, blank=True)
    size = models.PositiveIntegerField(
        _("pixels filled or faces added"), default=0, help_text=_("Pixels or faces.")
    )
    method = models.CharField(_("method"), max_length=60)
    model_version = models.CharField(_("model version"), max_length=120, blank=True)
    score = models.FloatField(_("score"), null=True, blank=True)
    confidence = models.FloatField(_("confidence"), null=True, blank=True)
    seconds = models.FloatField(_("seconds"), default=0)
    candidates = models.JSONField(_("candidates"), default=list, blank=True)

    class Meta:
        ordering = ["job", "pk"]
        verbose_name = _("restored region")
        verbose_name_plural = _("restored regions")
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__isnull=True)
                | (Q(confidence__gte=0) & Q(confidence__lte=1)),
                name="restored_region_confidence_fraction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.method} ({self.size})"


class MethodPreference(models.Model):
    """The LinUCB bandit (restoration.restore.method_bandit.MethodBandit) for one kind of
    restoration, as JSON; updated with every accept / reject, read when a planned restoration
    chooses."""

    kind = models.CharField(_("restoration kind"), max_length=16, unique=True)
    state = models.JSONField(_("bandit state"), default=dict)
    reviews = models.PositiveIntegerField(_("reviews learnt from"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("method preference")
        verbose_name_plural = _("method preferences")

    def __str__(self) -> str:
        return f"Method preference for {self.kind} ({self.reviews} reviews)"
