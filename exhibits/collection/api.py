"""REST API of the collection: thin views that parse, authorise and call services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from exhibits.collection import services
from exhibits.collection.permissions import (
    ViewModelPermissions,
    visible_annotations,
    visible_artifacts,
    visible_assets,
    visible_exhibitions,
)
from exhibits.collection.serializers import (
    AnnotationSerializer,
    ArtifactSerializer,
    AssetSerializer,
    AssetUploadResultSerializer,
    AssetUploadSerializer,
    ExhibitionSerializer,
    JobSerializer,
    exhibition_items_queryset,
)
from exhibits.collection.visibility import visible_assets_prefetch
from exhibits.models import Artifact, Asset, DimensionsSource, ExhibitionItem, Job

# Fields fixed once an asset is stored; only `label` may change.
FIXED_ASSET_FIELDS = (frozenset(AssetSerializer.Meta.fields) | {"file"}) - {"label", "id"}
SOURCE_FILE_FIELDS = frozenset({"file", "sha256"})


class SourceAssetImmutable(exceptions.APIException):
    """409: the request would replace a source asset's stored file."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("A source asset's file cannot be replaced; upload a new source instead.")
    default_code = "source_immutable"


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise exceptions.ValidationError({name: [_("Expected an integer id.")]}) from None


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", str, description=_("Search title, object number and culture.")),
            OpenApiParameter("classification", str, description=_("Exact classification.")),
            OpenApiParameter("exhibition", str, description=_("Slug; ordered as exhibited.")),
        ]
    )
)
class ArtifactViewSet(viewsets.ModelViewSet):
    """Artifacts: published ones for everyone, drafts too for users allowed to view them."""

    serializer_class = ArtifactSerializer

    def get_queryset(self) -> QuerySet[Artifact]:
        user = self.request.user
        queryset = visible_artifacts(user).prefetch_related(
            visible_assets_prefetch(user), "annotations__annotation_class"
        )
        params = self.request.query_params
        if query := params.get("q", "").strip():
            queryset = queryset.filter(
                Q(title__icontains=query)
                | Q(object_number__icontains=query)
                | Q(culture__icontains=query)
            )
        if classification := params.get("classification", "").strip():
            queryset = queryset.filter(classification__iexact=classification)
        if slug := params.get("exhibition", "").strip():
            exhibitions = visible_exhibitions(self.request.user).filter(slug=slug)
            order = ExhibitionItem.objects.filter(
                exhibition__in=exhibitions, artifact=OuterRef("pk")
            ).values("order")[:1]
            queryset = (
                queryset.filter(exhibitions__in=exhibitions)
                .annotate(exhibition_order=Subquery(order))
                .order_by("exhibition_order", "pk")
            )
        return queryset

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        self._save(serializer)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        self._save(serializer)

    def _save(self, serializer: serializers.BaseSerializer) -> None:
        # Dimensions sent by a person are theirs: intake never overwrites them.
        entered = services.DIMENSION_FIELDS & set(serializer.validated_data)
        serializer.save(**({"dimensions_source": DimensionsSource.PERSON} if entered else {}))

    def perform_destroy(self, instance: Artifact) -> None:
        services.delete_artifact(artifact=instance)


class ArtifactAssetListView(generics.ListCreateAPIView):
    """An artifact's assets; POST uploads a new source file (multipart, curators)."""

    serializer_class = AssetSerializer
    parser_classes = [MultiPartParser, FormParser]
    # The upload's own rate (museum/throttling.py); the listing counts as any API call.
    throttle_scope = "upload"
    throttle_scope_methods = ("POST",)

    def get_artifact(self) -> Artifact:
        artifacts = visible_artifacts(self.request.user)
        return get_object_or_404(artifacts, pk=self.kwargs["artifact_pk"])

    def get_queryset(self) -> QuerySet[Asset]:
        if getattr(self, "swagger_fake_view", False):
            return Asset.objects.none()
        return visible_assets(self.request.user).filter(artifact=self.get_artifact())

    @extend_schema(
        request={"multipart/form-data": AssetUploadSerializer},
        responses={201: AssetUploadResultSerializer},
        description=_(
            "Upload a source file. It is stored untouched (its real format is checked against "
            "its extension); a mesh also gets an intake job (validation, normalisation, LOD "
            "ladder, thumbnail) whose progress /api/jobs/<id>/ shows. An image (JPEG, PNG, "
            "TIFF, WebP) becomes a new canvas of a flat work (label: 'recto', 'verso'...; "
            "width_cm / height_cm: the work's size) with its intake job (web copy, "
            "thumbnail, IIIF tiles)."
        ),
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        artifact = self.get_artifact()
        upload = AssetUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        try:
            asset, job = services.add_source_asset(
                artifact=artifact,
                upload=file,
                filename=file.name,
                max_bytes=settings.MOUSEION_MAX_UPLOAD_BYTES,
                label=upload.validated_data.get("label", ""),
                intake_options=upload.intake_options(),
                **upload.image_size(),
            )
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"file": exc.messages}) from exc
        result = AssetUploadResultSerializer(
            {"asset": asset, "job_id": job.pk if job else None}, context={"request": request}
        )
        namespace = request.resolver_match.namespace if request.resolver_match else ""
        detail = f"{namespace}:asset-detail" if namespace else "asset-detail"
        headers = {"Location": reverse(detail, args=[asset.pk])}
        return Response(result.data, status=status.HTTP_201_CREATED, headers=headers)


class AssetLabelSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=60, allow_blank=True)  # type: ignore[assignment]  # a field named "label" (Field.label in the stubs)


@extend_schema_view(
    update=extend_schema(request=AssetLabelSerializer),
    partial_update=extend_schema(request=AssetLabelSerializer),
)
class AssetViewSet(
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """One asset: read it, change its label, delete it if derived. Sources are never replaced."""

    serializer_class = AssetSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[Asset]:
        return visible_assets(self.request.user)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        asset = self.get_object()
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError(_("Expected a JSON object."))
        sent = set(request.data) | set(request.FILES)
        fixed = sorted(sent & FIXED_ASSET_FIELDS)
        if asset.kind == Asset.Kind.SOURCE and SOURCE_FILE_FIELDS & set(fixed):
            raise SourceAssetImmutable({"file": [SourceAssetImmutable.default_detail]})
        if fixed:
            message = _("Only the label of a stored asset can be changed.")
            raise exceptions.ValidationError({name: [message] for name in fixed})
        unknown = sorted(sent - {"label", "id"})
        if unknown:
            message = _("Unknown field.")
            raise exceptions.ValidationError({name: [message] for name in unknown})
        data = AssetLabelSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        if "label" in data.validated_data:
            services.relabel_asset(asset=asset, label=data.validated_data["label"])
        return Response(self.get_serializer(asset).data)

    def perform_destroy(self, instance: Asset) -> None:
        if instance.kind == Asset.Kind.SOURCE:
            raise SourceAssetImmutable(_("A source asset cannot be deleted."))
        services.delete_derived_asset(asset=instance)


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("artifact", OpenApiTypes.INT, description=_("Artifact id."))]
    )
)
class AnnotationViewSet(viewsets.ModelViewSet):
    """Hotspots on artifacts; readable wherever their artifact is."""

    serializer_class = AnnotationSerializer

    def get_queryset(self) -> QuerySet:
        queryset = visible_annotations(self.request.user).select_related("annotation_class")
        if (artifact := _int_param(self.request, "artifact")) is not None:
            queryset = queryset.filter(artifact_id=artifact)
        return queryset


class ExhibitionViewSet(viewsets.ModelViewSet):
    """Exhibitions by slug, with their ordered items; `artifact_ids` sets the items."""

    serializer_class = ExhibitionSerializer
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet:
        user = self.request.user
        items = Prefetch("items", exhibition_items_queryset(user), to_attr="visible_items")
        return visible_exhibitions(user).prefetch_related(items)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.save(created_by=self.request.user)


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("artifact", OpenApiTypes.INT, description=_("Artifact id."))]
    )
)
class JobViewSet(viewsets.ReadOnlyModelViewSet):
    """Background jobs and their progress (users with the `view job` permission)."""

    serializer_class = JobSerializer
    permission_classes = [ViewModelPermissions]

    def get_queryset(self) -> QuerySet[Job]:
        queryset = Job.objects.all()
        if (artifact := _int_param(self.request, "artifact")) is not None:
            queryset = queryset.filter(artifact_id=artifact)
        return queryset
