"""Condition records: what damage detection found on an artifact's textures, and the
curators' corrections of it. The job that produces them is an exhibits.Job of kind "condition"."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from museum.common.names import unguessable

DAMAGE_CLASS_CHOICES = [
    ("crack", _("Crack")),
    ("loss", _("Loss")),
    ("corrosion", _("Corrosion")),
    ("fading", _("Fading")),
]


def condition_upload_to(
    instance: ConditionRecord | DamageFinding | MaskCorrection, filename: str
) -> str:
    if isinstance(instance, MaskCorrection):  # a correction belongs to the texture, not a record
        artifact_id = instance.artifact_id
    else:
        record = instance if isinstance(instance, ConditionRecord) else instance.record
        artifact_id = record.artifact_id
    return f"condition/{artifact_id}/{unguessable(filename)}"


class ConditionRecord(models.Model):
    """Damage detection on one texture of an artifact, by one run of the condition job."""

    class Origin(models.TextChoices):
        SOURCE = "source", _("Source file")
        WEB = "web", _("Web LOD")
        IMAGE = "image", _("Source image of a flat work")

    artifact = models.ForeignKey(
        "exhibits.Artifact", on_delete=models.CASCADE, related_name="condition_records"
    )
    job = models.ForeignKey(
        "exhibits.Job",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="condition_records",
    )
    source_asset = models.ForeignKey(
        "exhibits.Asset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="condition_records",
        help_text=_("The model file whose embedded texture was analysed."),
    )
    canvas = models.ForeignKey(
        "exhibits.Canvas",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="condition_records",
        help_text=_("The image of a flat work that was analysed (empty for a 3D model)."),
    )
    origin = models.CharField(_("texture taken from"), max_length=16, choices=Origin.choices)
    image_index = models.PositiveIntegerField(_("image index in the glTF"))
    texture_name = models.CharField(_("texture name"), max_length=200, blank=True)
    material_names = models.JSONField(_("materials using it"), default=list, blank=True)
    width_px = models.PositiveIntegerField()
    height_px = models.PositiveIntegerField()
    metres_per_pixel = models.FloatField(
        _("metres per texture pixel"),
        null=True,
        blank=True,
        help_text=_("Mean scale estimated from surface and UV areas; empty when unknown."),
    )
    model_version = models.CharField(_("model version"), max_length=120)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    texture = models.ImageField(_("texture"), upload_to=condition_upload_to, max_length=300)
    probability = models.ImageField(
        _("probability map"), upload_to=condition_upload_to, max_length=300, blank=True
    )
    explanation = models.ImageField(
        _("explanation (Grad-CAM)"), upload_to=condition_upload_to, max_length=300, blank=True
    )
    overlay = models.ImageField(
        _("masks over the texture"), upload_to=condition_upload_to, max_length=300, blank=True
    )
    change_map = models.ImageField(
        _("colour change since the previous check (ΔE00)"),
        upload_to=condition_upload_to,
        max_length=300,
        blank=True,
    )
    seconds = models.FloatField(_("detection time (s)"), default=0)
    texture_key = models.CharField(
        _("texture identity"),
        max_length=100,
        blank=True,
        db_index=True,
        help_text=_(
            "Size and digest of the analysed pixels: curators' corrections carry forward to every "
            "record of the same texture of the artifact."
        ),
    )
    released = models.BooleanField(
        _("released to visitors"),
        default=False,
        help_text=_(
            "Visitors see this condition record and its images once a curator releases it."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "image_index"]
        verbose_name = _("condition record")
        verbose_name_plural = _("condition records")

    def __str__(self) -> str:
        return f"Condition of artifact {self.artifact_id}, texture {self.image_index}"

    def file_fields(self) -> list[FieldFile]:
        return [self.texture, self.probability, self.explanation, self.overlay, self.change_map]

    @property
    def correction_key(self) -> str:
        """The texture's identity for corrections: the pixel digest the job stored, else (older
        or hand-made records) the image index and size."""
        return self.texture_key or f"i{self.image_index}-{self.width_px}x{self.height_px}"

    @cached_property
    def applied_corrections(self) -> list[MaskCorrection]:
        """The curators' corrections that apply to this record, newest first: every one not
        retired that was drawn on any record of the same texture of the artifact (they carry
        forward to later checks until a curator retires them). restoration.condition.corrections
        .attach() fills this for many records in one query."""
        return list(
            MaskCorrection.objects.filter(
                artifact_id=self.artifact_id,
                texture_key=self.correction_key,
                retired_at__isnull=True,
            ).select_related("author")
        )


class DamageFinding(models.Model):
    """One damage class on one analysed texture: its mask, probability and extent, and what a
    curator decided about it (visitors see accepted and corrected findings only)."""

    class Review(models.TextChoices):
        UNREVIEWED = "unreviewed", _("Not reviewed yet")
        ACCEPTED = "accepted", _("Accepted")
        CORRECTED = "corrected", _("Corrected by a curator")
        DISMISSED = "dismissed", _("Dismissed (not damage)")

    record = models.ForeignKey(ConditionRecord, on_delete=models.CASCADE, related_name="findings")
    damage_class = models.CharField(_("class"), max_length=16, choices=DAMAGE_CLASS_CHOICES)
    pixel_share = models.FloatField(_("share of texture pixels"))
    area_cm2 = models.FloatField(_("area (cm²)"), null=True, blank=True)
    mask = models.ImageField(_("mask"), upload_to=condition_upload_to, max_length=300)
    probability = models.ImageField(
        _("probability"), upload_to=condition_upload_to, max_length=300, blank=True
    )
    overlay = models.ImageField(
        _("overlay at the web copy's size"),
        upload_to=condition_upload_to,
        max_length=300,
        blank=True,
        help_text=_("A flat work's: the class's colour where damaged, transparent elsewhere."),
    )
    regions = models.JSONField(
        _("where"),
        default=list,
        blank=True,
        help_text=_("Bounding boxes [x, y, w, h] in the analysed image's pixels, largest first."),
    )
    review = models.CharField(
        _("review"), max_length=16, choices=Review.choices, default=Review.UNREVIEWED
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        ordering = ["record", "pk"]
        verbose_name = _("damage finding")
        verbose_name_plural = _("damage findings")
        constraints = [
            models.UniqueConstraint(
                fields=["record", "damage_class"], name="damage_finding_unique_class"
            ),
            models.CheckConstraint(
                condition=models.Q(pixel_share__gte=0) & models.Q(pixel_share__lte=1),
                name="damage_finding_share_fraction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_damage_class_display()} {self.pixel_share:.2%}"


class MaskCorrection(models.Model):
    """A curator's corrected mask of one class on one texture of an artifact (white = damage).

    It belongs to the texture (artifact + texture_key), not to the record it was drawn on: it
    applies to every later condition record of the same texture until a curator retires it, and
    survives the records (a re-run condition job replaces its records, never the corrections)."""

    artifact = models.ForeignKey(
        "exhibits.Artifact", on_delete=models.CASCADE, related_name="mask_corrections"
    )
    texture_key = models.CharField(_("texture identity"), max_length=100, db_index=True)
    record = models.ForeignKey(
        ConditionRecord,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="corrections",
        help_text=_("The newest condition record of the texture it was drawn on or carried to."),
    )
    damage_class = models.CharField(_("class"), max_length=16, choices=DAMAGE_CLASS_CHOICES)
    mask = models.ImageField(_("mask"), upload_to=condition_upload_to, max_length=300)
    pixel_share = models.FloatField(_("share of texture pixels"), default=0)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("mask correction")
        verbose_name_plural = _("mask corrections")

    def __str__(self) -> str:
        return f"{self.damage_class} correction of artifact {self.artifact_id} ({self.texture_key})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A correction made from a record alone belongs to that record's texture.
        if self.record is not None:
            if self.artifact_id is None:
                self.artifact_id = self.record.artifact_id
            if not self.texture_key:
                self.texture_key = self.record.correction_key
        super().save(*args, **kwargs)
