"""Condition API: the latest condition record of an artifact, on-demand checks, corrections.

Reads follow the collection: findings of published artifacts are public, drafts only for users
who may view drafts. Checks and corrections need the restoration permissions (curators).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exhibits.collection.permissions import visible_artifacts
from exhibits.models import Artifact, Job
from restoration.condition import drawn, images, services, visibility
from restoration.condition.serializers import (
    ConditionRecordSerializer,
    MaskCorrectionSerializer,
    MaskCorrectionUploadSerializer,
    damage_classes,
)
from restoration.models import ConditionRecord


class HasPermission(BasePermission):
    """Authenticated users holding `permission` (set on the view)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(view.required_permission))


def condition_payload(
    artifact: Artifact, request: Request | None, *, show_corrections: bool = False
) -> dict[str, Any]:
    """What the viewer overlay, the report page and the API show of an artifact's condition."""
    job, records = services.latest_records(artifact)
    records = visibility.visible_records(records, request.user if request else None)
    context = {"request": request, "show_corrections": show_corrections}
    return {
        "artifact_id": artifact.pk,
        "checked_at": job.finished_at.isoformat() if job and job.finished_at else None,
        "job_id": job.pk if job else None,
        "model_version": records[0].model_version if records else None,
        "report_url": reverse("condition:report", args=[artifact.pk]),
        "pdf_url": reverse("condition:pdf", args=[artifact.pk]),
        "classes": damage_classes(),
        "records": ConditionRecordSerializer(records, many=True, context=context).data,
        # Regions a conservator drew with a damage class (restoration.condition.drawn).
        "drawn": drawn.shown_to(
            artifact,
            records_seen=bool(records),
            staff=visibility.sees_unreleased(request.user if request else None),
        ),
    }


class ConditionView(APIView):
    """GET: the newest finished condition check of an artifact (empty `records` if none)."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: inline_serializer("Condition", {"records": serializers.ListField()})}
    )
    def get(self, request: Request, pk: int) -> Response:
        artifact = get_object_or_404(visible_artifacts(request.user), pk=pk)
        corrections = request.user.has_perm("restoration.view_maskcorrection")
        payload = condition_payload(artifact, request, show_corrections=corrections)
        if request.user.has_perm("exhibits.view_job"):
            pending = artifact.jobs.filter(kind=services.CONDITION_KIND).order_by("-pk").first()
            payload["latest_job"] = (
                {"id": pending.pk, "status": pending.status, "progress": pending.progress}
                if pending
                else None
            )
        return Response(payload)


class ConditionCheckView(APIView):
    """POST: queue a condition check of the artifact (curators). 202 with the job's id."""

    permission_classes = [HasPermission]
    required_permission = "restoration.add_conditionrecord"
    throttle_scope = "upload"  # a job request (museum/throttling.py)

    @extend_schema(
        request=None,
        responses={
            202: inline_serializer("ConditionCheck", {"job_id": serializers.IntegerField()})
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        artifact = get_object_or_404(visible_artifacts(request.user), pk=pk)
        job = services.request_condition_check(artifact=artifact, requested_by=request.user)
        body = {
            "job_id": job.pk,
            "status": job.status,
            "job_url": reverse("api:job-detail", args=[job.pk]),
            "condition_url": reverse("condition:api-condition", args=[artifact.pk]),
        }
        code = status.HTTP_202_ACCEPTED if job.status != Job.Status.DONE else status.HTTP_200_OK
        return Response(body, status=code)


class MaskCorrectionView(APIView):
    """POST (multipart): a corrected mask of one class of a condition record (curators)."""

    permission_classes = [HasPermission]
    required_permission = "restoration.add_maskcorrection"
    parser_classes = [MultiPartParser, FormParser]
    throttle_scope = "upload"  # museum/throttling.py
    max_upload_bytes = images.MASK_MAX_BYTES  # refused while it arrives (museum/uploads.py)

    @extend_schema(
        request={"multipart/form-data": MaskCorrectionUploadSerializer},
        responses={201: MaskCorrectionSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        artifacts = visible_artifacts(request.user)
        record = get_object_or_404(ConditionRecord.objects.filter(artifact__in=artifacts), pk=pk)
        upload = MaskCorrectionUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        mask = upload.validated_data["mask"]
        if mask.size > images.MASK_MAX_BYTES:
            raise exceptions.ValidationError(
                {"mask": [f"The mask file is {mask.size:,} bytes; the limit is "
                          f"{images.MASK_MAX_BYTES:,}."]}
            )  # fmt: skip
        try:
            correction = services.save_mask_correction(
                record=record,
                damage_class=upload.validated_data["damage_class"],
                data=mask.read(),
                author=request.user,
                note=upload.validated_data.get("note", ""),
            )
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"mask": exc.messages}) from exc
        data = MaskCorrectionSerializer(correction, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class ConditionReleaseSerializer(serializers.Serializer):
    released = serializers.BooleanField(
        default=True, help_text="True releases the record to visitors; false withdraws it."
    )


class ConditionReleaseView(APIView):
    """POST: release a condition record (its images and findings) to visitors, or withdraw it
    with {"released": false} (curators). Unreleased records are seen by curators only."""

    permission_classes = [HasPermission]
    required_permission = "restoration.change_conditionrecord"

    @extend_schema(request=ConditionReleaseSerializer, responses={200: ConditionReleaseSerializer})
    def post(self, request: Request, pk: int) -> Response:
        artifacts = visible_artifacts(request.user)
        records = ConditionRecord.objects.filter(artifact__in=artifacts, pk=pk)
        get_object_or_404(records)
        body = ConditionReleaseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        released = body.validated_data["released"]
        visibility.set_released(records=records, released=released, by=request.user)
        return Response({"id": pk, "released": released})
