"""REST serializers of the collection: parse and validate; state changes go through services."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from exhibits.collection import services
from exhibits.collection.models import (
    WEB_LOD,
    newest_asset,
    pick_web_model,
)
from exhibits.collection.visibility import User, visible_artifacts, visible_assets_prefetch
from exhibits.models import Annotation, Artifact, Asset, Exhibition, ExhibitionItem, Job


def _file_url(asset: Asset | None, context: Mapping[str, Any]) -> str | None:
    """Absolute URL of an asset's file when a request is at hand, else the storage URL."""
    if asset is None or not asset.file:
        return None
    url = asset.file.url
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


def pick_thumbnail(assets: list[Asset]) -> Asset | None:
    """Artifact.thumbnail() over already loaded assets (no query per artifact)."""
    return newest_asset(assets, Asset.Kind.THUMBNAIL)


LOD_LABELS = ("thumb", WEB_LOD, "inspection")


def pick_lods(assets: list[Asset]) -> dict[str, Asset | None]:
    """The newest LOD asset of each label of the ladder (thumb, web, inspection), or None; the
    web one is the first choice of the web-model rule (`pick_web_model`)."""
    return {label: newest_asset(assets, Asset.Kind.LOD, label=label) for label in LOD_LABELS}


@extend_schema_field(
    {"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3},
)
class Vector3Field(serializers.Field):
    """A 3D vector as a JSON list of exactly three finite numbers."""

    default_error_messages = {
        "invalid": _("Expected a list of three finite numbers [x, y, z]."),
    }

    def __init__(self, *, allow_empty: bool = False, **kwargs: Any) -> None:
        self.allow_empty = allow_empty
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[float]:
        if self.allow_empty and data in (None, [], ""):
            return []
        if not isinstance(data, list | tuple) or len(data) != 3:
            self.fail("invalid")
        for value in data:
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.fail("invalid")
            if not math.isfinite(value):
                self.fail("invalid")
        return [float(value) for value in data]

    def to_representation(self, value: Any) -> list[float]:
        return list(value) if value else []


class AssetSerializer(serializers.ModelSerializer):
    """An asset as read by clients; every field is read-only except `label`."""

    url = serializers.SerializerMethodField()

    class Meta:
        model = Asset
        fields = [
            "id",
            "artifact",
            "kind",
            "label",
            "url",
            "original_filename",
            "format",
            "byte_size",
            "sha256",
            "vertex_count",
            "face_count",
            "width_px",
            "height_px",
            "derived_from",
            "created_by_job",
            "created_at",
        ]
        read_only_fields = [name for name in fields if name != "label"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, asset: Asset) -> str | None:
        return _file_url(asset, self.context)


class AssetUploadSerializer(serializers.Serializer):
    """A multipart upload of a new source file for an artifact."""

    file = serializers.FileField(help_text=_("The scan or image; stored untouched."))
    label = serializers.CharField(max_length=60, required=False, allow_blank=True)  # type: ignore[assignment]  # a field named "label" (Field.label in the stubs)
    unit = serializers.ChoiceField(
        choices=["m", "cm", "mm", "in", "ft"],
        required=False,
        help_text=_("Unit of the file's coordinates; guessed from the size when omitted."),
    )
    scale = serializers.FloatField(
        required=False,
        min_value=1e-6,
        max_value=1e6,
        help_text=_("Factor from file units to metres (overrides unit)."),
    )
    up_axis = serializers.ChoiceField(
        choices=["x", "y", "z"], required=False, help_text=_("The file's up axis.")
    )
    width_cm = serializers.FloatField(
        required=False,
        min_value=0.01,
        max_value=100_000,
        help_text=_("An image: the work's width in centimetres (sets the scale)."),
    )
    height_cm = serializers.FloatField(
        required=False,
        min_value=0.01,
        max_value=100_000,
        help_text=_("An image: the work's height in centimetres."),
    )

    def intake_options(self) -> dict[str, object]:
        return {
            key: self.validated_data[key]
            for key in ("unit", "scale", "up_axis")
            if key in self.validated_data
        }

    def image_size(self) -> dict[str, float | None]:
        """The curator's size of a flat work, for an image upload."""
        return {key: self.validated_data.get(key) for key in ("width_cm", "height_cm")}


class AssetUploadResultSerializer(serializers.Serializer):
    asset = AssetSerializer()
    job_id = serializers.IntegerField(
        allow_null=True, help_text=_("The queued intake job (meshes and images).")
    )


class AnnotationSerializer(serializers.ModelSerializer):
    """A 3D point with its view, or on a flat work a `region` of a canvas (3D fields empty)."""

    position = Vector3Field(required=False, allow_empty=True)
    normal = Vector3Field(required=False, allow_empty=True)
    camera_position = Vector3Field(required=False, allow_empty=True)
    camera_target = Vector3Field(required=False, allow_empty=True)
    region = serializers.JSONField(required=False, allow_null=True)
    shape = serializers.JSONField(required=False, allow_null=True)
    media = serializers.FileField(
        required=False,
        allow_null=True,
        write_only=True,
        help_text=_("Upload: an image or a sound. Read: {url, kind, alt} or null."),
    )

    class Meta:
        model = Annotation
        fields = [
            "id",
            "artifact",
            "title",
            "text",
            "order",
            "position",
            "normal",
            "camera_position",
            "camera_target",
            "region",
            "shape",
            "annotation_class",
            "media",
            "media_alt",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The model's one rule (Annotation.clean): a 3D point and view, a shape drawn on the
        model, or a region of a canvas; and the medium."""
        instance = self.instance or Annotation()
        checked = ("position", "normal", "camera_position", "camera_target", "region", "shape")
        probe = Annotation(
            **{field: attrs.get(field, getattr(instance, field)) for field in checked},
            artifact_id=getattr(attrs.get("artifact"), "pk", instance.artifact_id),
        )
        if attrs.get("media"):
            probe.media = attrs["media"]  # a new upload: checked (sniffed, capped) by clean
        try:
            probe.clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return attrs

    def to_representation(self, instance: Annotation) -> dict[str, Any]:
        """Adds `class` {id, name, group, colour, damageClass} and `media` {url, kind, alt}."""
        from exhibits.annotating.payload import annotation_extras

        data = super().to_representation(instance)
        extras = annotation_extras(instance, self.context.get("request"))
        data["class"] = extras["class"]
        data["media"] = extras["media"]
        return data


class ArtifactSerializer(serializers.ModelSerializer):
    """An artifact with its files and hotspots; expects `assets` and `annotations` prefetched."""

    assets = AssetSerializer(many=True, read_only=True)
    annotations = AnnotationSerializer(many=True, read_only=True)
    thumbnail_url = serializers.SerializerMethodField()
    model_url = serializers.SerializerMethodField()
    lods = serializers.SerializerMethodField(
        help_text=_("URLs of the newest LOD GLB of each label (metres, Y-up, on y=0), or null.")
    )
    dimensions_m = serializers.SerializerMethodField(
        help_text=_("Height, width and depth in metres, or null when none is recorded.")
    )

    class Meta:
        model = Artifact
        fields = [
            "id",
            "object_number",
            "title",
            "classification",
            "object_name",
            "culture",
            "period",
            "place_of_origin",
            "date_text",
            "date_start_year",
            "date_end_year",
            "materials",
            "dimensions",
            "height_m",
            "width_m",
            "depth_m",
            "maker",
            "credit_line",
            "rights",
            "attribution",
            "description",
            "status",
            "created_at",
            "updated_at",
            "thumbnail_url",
            "model_url",
            "lods",
            "dimensions_m",
            "assets",
            "annotations",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, artifact: Artifact) -> str | None:
        return _file_url(pick_thumbnail(list(artifact.assets.all())), self.context)

    @extend_schema_field(OpenApiTypes.URI)
    def get_model_url(self, artifact: Artifact) -> str | None:
        return _file_url(pick_web_model(list(artifact.assets.all())), self.context)

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                label: {"type": "string", "format": "uri", "nullable": True} for label in LOD_LABELS
            },
        }
    )
    def get_lods(self, artifact: Artifact) -> dict[str, str | None]:
        return {
            label: _file_url(asset, self.context)
            for label, asset in pick_lods(list(artifact.assets.all())).items()
        }

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                side: {"type": "number", "nullable": True} for side in ("height", "width", "depth")
            },
        }
    )
    def get_dimensions_m(self, artifact: Artifact) -> dict[str, float | None] | None:
        sides = {"height": artifact.height_m, "width": artifact.width_m, "depth": artifact.depth_m}
        return sides if any(value is not None for value in sides.values()) else None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        def current(name: str) -> int | None:
            if name in attrs:
                return attrs[name]
            return getattr(self.instance, name, None)

        start, end = current("date_start_year"), current("date_end_year")
        if start is not None and end is not None and start > end:
            raise serializers.ValidationError(
                {
                    "date_end_year": [
                        _("The latest year (%(end)d) is before the earliest year (%(start)d).")
                        % {"end": end, "start": start}
                    ]
                }
            )
        return attrs


def exhibition_items_queryset(user: User) -> QuerySet[ExhibitionItem]:
    """Items whose artifact `user` may read, with what the item serializer needs loaded."""
    return (
        ExhibitionItem.objects.filter(artifact__in=visible_artifacts(user))
        .select_related("artifact")
        .prefetch_related(visible_assets_prefetch(user, "artifact__assets"))
        .order_by("order", "pk")
    )


def exhibition_items(exhibition: Exhibition, user: User) -> QuerySet[ExhibitionItem]:
    return exhibition_items_queryset(user).filter(exhibition=exhibition)


class ExhibitionItemSerializer(serializers.ModelSerializer):
    artifact = serializers.IntegerField(source="artifact_id", read_only=True)
    title = serializers.CharField(source="artifact.title", read_only=True)
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = ExhibitionItem
        fields = ["artifact", "title", "order", "label_text", "thumbnail_url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, item: ExhibitionItem) -> str | None:
        return _file_url(pick_thumbnail(list(item.artifact.assets.all())), self.context)


class ExhibitionSerializer(serializers.ModelSerializer):
    """An exhibition; `items` are read in order, `artifact_ids` replaces them in order."""

    items = serializers.SerializerMethodField()
    artifact_ids = serializers.PrimaryKeyRelatedField(
        queryset=Artifact.objects.all(),
        many=True,
        write_only=True,
        required=False,
        help_text=_("The exhibition's artifacts in display order; replaces the current items."),
    )

    class Meta:
        model = Exhibition
        fields = [
            "id",
            "slug",
            "title",
            "introduction",
            "status",
            "created_by",
            "created_at",
            "updated_at",
            "items",
            "artifact_ids",
        ]
        read_only_fields = ["created_by"]

    @extend_schema_field(ExhibitionItemSerializer(many=True))
    def get_items(self, exhibition: Exhibition) -> list[dict[str, Any]]:
        items = getattr(exhibition, "visible_items", None)
        if items is None:
            items = exhibition_items(exhibition, self.context["request"].user)
        return cast(
            list[dict[str, Any]],
            ExhibitionItemSerializer(items, many=True, context=self.context).data,
        )

    def validate_artifact_ids(self, artifacts: list[Artifact]) -> list[Artifact]:
        seen: set[int] = set()
        for artifact in artifacts:
            if artifact.pk in seen:
                raise serializers.ValidationError(
                    _("Artifact %(id)d is listed twice; each may appear once.")
                    % {"id": artifact.pk}
                )
            seen.add(artifact.pk)
        return artifacts

    def create(self, validated_data: dict[str, Any]) -> Exhibition:
        artifacts = validated_data.pop("artifact_ids", None)
        exhibition = Exhibition(**validated_data)
        services.save_exhibition(exhibition=exhibition, artifacts=artifacts or [])
        return exhibition

    def update(self, exhibition: Exhibition, validated_data: dict[str, Any]) -> Exhibition:
        artifacts = validated_data.pop("artifact_ids", None)
        for name, value in validated_data.items():
            setattr(exhibition, name, value)
        services.save_exhibition(exhibition=exhibition, artifacts=artifacts)
        # Items prefetched before the update are stale now.
        exhibition.__dict__.pop("visible_items", None)
        return exhibition


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "progress",
            "stage",
            "error",
            "options",
            "report",
            "artifact",
            "input_asset",
            "outputs",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields
