"""Condition records: what damage detection found on an artifact's textures, and the
curators' corrections of it. The job that produces them is an exhibits.Job of kind "condition"."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.fields.files import FieldFile
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
    record = instance if isinstance(instance, ConditionRecord) else instance.record
    return f"condition/{record.artifact_id}/{unguessable(filename)}"


class ConditionRecord(models.Model):
    """Damage detection on one texture of an artifact, by one run of the condition job."""

    class Origin(models.TextChoices):
        SOURCE = "source", _("Source file")
        WEB = "web", _("Web LOD")

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
    seconds = models.FloatField(_("detection time (s)"), default=0)
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
        return [self.texture, self.probability, self.explanation, self.overlay]


class DamageFinding(models.Model):
    """One damage class on one analysed texture: its mask, probability and extent."""

    record = models.ForeignKey(ConditionRecord, on_delete=models.CASCADE, related_name="findings")
    damage_class = models.CharField(_("class"), max_length=16, choices=DAMAGE_CLASS_CHOICES)
    pixel_share = models.FloatField(_("share of texture pixels"))
    area_cm2 = models.FloatField(_("area (cm²)"), null=True, blank=True)
    mask = models.ImageField(_("mask"), upload_to=condition_upload_to, max_length=300)
    probability = models.ImageField(
        _("probability"), upload_to=condition_upload_to, max_length=300, blank=True
    )

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
    """A curator's corrected mask of one class on one analysed texture (white = damage)."""

    record = models.ForeignKey(
        ConditionRecord, on_delete=models.CASCADE, related_name="corrections"
    )
    damage_class = models.CharField(_("class"), max_length=16, choices=DAMAGE_CLASS_CHOICES)
    mask = models.ImageField(_("mask"), upload_to=condition_upload_to, max_length=300)
    pixel_share = models.FloatField(_("share of texture pixels"), default=0)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("mask correction")
        verbose_name_plural = _("mask corrections")

    def __str__(self) -> str:
        return f"{self.damage_class} correction of record {self.record_id}"
