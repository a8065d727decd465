"""REST serializers of condition records (read-only) and of the mask-correction upload."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from restoration.condition import visibility
from restoration.condition.images import hex_colour
from restoration.models import DAMAGE_CLASS_CHOICES, ConditionRecord, DamageFinding, MaskCorrection


def file_url(field: FieldFile | None, context: Mapping[str, Any]) -> str | None:
    if not field:
        return None
    request = context.get("request")
    return request.build_absolute_uri(field.url) if request is not None else field.url


class _FileUrls(serializers.ModelSerializer):
    """Turns the model's file fields into URLs (or null)."""

    url_fields: tuple[str, ...] = ()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        for name in self.url_fields:
            data[f"{name}_url"] = file_url(getattr(instance, name), self.context)
        return data


class DamageFindingSerializer(_FileUrls):
    url_fields = ("mask", "probability", "overlay")

    class Meta:
        model = DamageFinding
        fields = ["id", "damage_class", "pixel_share", "area_cm2", "review", "regions"]


class MaskCorrectionSerializer(_FileUrls):
    url_fields = ("mask",)
    author: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    retire_url = serializers.SerializerMethodField()

    class Meta:
        model = MaskCorrection
        fields = [
            "id",
            "record",
            "damage_class",
            "pixel_share",
            "author",
            "note",
            "created_at",
            "retired_at",
            "retire_url",
        ]

    def get_retire_url(self, correction: MaskCorrection) -> str:
        return reverse("condition:api-retire-correction", args=[correction.pk])


class ConditionRecordSerializer(_FileUrls):
    url_fields = ("texture", "probability", "explanation", "overlay")
    findings = serializers.SerializerMethodField()
    corrections = serializers.SerializerMethodField()

    class Meta:
        model = ConditionRecord
        fields = [
            "id",
            "canvas",
            "image_index",
            "texture_name",
            "material_names",
            "origin",
            "width_px",
            "height_px",
            "metres_per_pixel",
            "model_version",
            "seconds",
            "created_at",
            "findings",
            "corrections",
        ]

    @extend_schema_field(DamageFindingSerializer(many=True))
    def get_findings(self, record: ConditionRecord) -> list[dict[str, Any]]:
        # Visitors: the findings a curator accepted or corrected (condition/review.py).
        request = self.context.get("request")
        shown = visibility.visible_findings(record, getattr(request, "user", None))
        return list(DamageFindingSerializer(shown, many=True, context=self.context).data)

    def get_corrections(self, record: ConditionRecord) -> list[dict[str, Any]]:
        # Corrections are curators' work in progress: shown to those who may make them.
        if not self.context.get("show_corrections"):
            return []
        return cast(
            list[dict[str, Any]],
            MaskCorrectionSerializer(
                record.applied_corrections, many=True, context=self.context
            ).data,
        )


def damage_classes() -> list[dict[str, str]]:
    return [
        {"name": name, "label": str(label), "colour": hex_colour(name)}
        for name, label in DAMAGE_CLASS_CHOICES
    ]


class MaskCorrectionUploadSerializer(serializers.Serializer):
    damage_class = serializers.ChoiceField(choices=DAMAGE_CLASS_CHOICES)
    mask = serializers.FileField(
        help_text=_("Any image of the texture's size; white (opaque) pixels are damage.")
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
