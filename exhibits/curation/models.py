"""Curation's models: cached text embeddings and tag suggestions with their evidence."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ArtifactEmbedding(models.Model):
    """Cached text embedding of an artifact, recomputed when its text changes."""

    artifact = models.ForeignKey(
        "exhibits.Artifact", on_delete=models.CASCADE, related_name="embeddings"
    )
    model_name = models.CharField(max_length=120)
    text_sha256 = models.CharField(max_length=64)
    dimensions = models.PositiveIntegerField()
    vector = models.BinaryField(help_text="float32 little-endian")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("artifact embedding")
        verbose_name_plural = _("artifact embeddings")
        constraints = [
            models.UniqueConstraint(
                fields=["artifact", "model_name"], name="embedding_one_per_model"
            )
        ]

    def __str__(self) -> str:
        return f"{self.model_name} embedding of {self.artifact_id}"


class TagSuggestion(models.Model):
    """A suggested classification or material for an artifact, with its evidence."""

    class Field(models.TextChoices):
        CLASSIFICATION = "classification", _("Classification")
        MATERIALS = "materials", _("Materials")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    artifact = models.ForeignKey(
        "exhibits.Artifact", on_delete=models.CASCADE, related_name="tag_suggestions"
    )
    field = models.CharField(_("field"), max_length=32, choices=Field.choices)
    value = models.CharField(_("value"), max_length=200)
    confidence = models.FloatField(_("confidence"))
    evidence = models.JSONField(
        _("evidence"), default=list, blank=True, help_text=_("Neighbours that led to it.")
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["status", "-confidence"]
        verbose_name = _("tag suggestion")
        verbose_name_plural = _("tag suggestions")
        constraints = [
            models.UniqueConstraint(
                fields=["artifact", "field", "value"], name="tag_suggestion_unique"
            ),
            models.CheckConstraint(
                condition=Q(confidence__gte=0) & Q(confidence__lte=1),
                name="tag_suggestion_confidence_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.field}={self.value} for {self.artifact_id} ({self.confidence:.2f})"


class SearchIndexSnapshot(models.Model):
    """The search index as the worker built it (exhibits.curation.search_index): web processes
    load the newest one of their encoder when its token changes and never build it themselves."""

    encoder = models.CharField(max_length=120, db_index=True)
    token = models.CharField(
        max_length=32, unique=True, help_text=_("Version: a process reloads when it changes.")
    )
    documents = models.PositiveIntegerField(default=0)
    payload = models.BinaryField(help_text="SearchIndex.to_payload(): NumPy .npz, no pickle")
    built_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("search index snapshot")
        verbose_name_plural = _("search index snapshots")

    def __str__(self) -> str:
        return (
            f"{self.encoder} index of {self.documents} artifacts ({self.built_at:%Y-%m-%d %H:%M})"
        )
