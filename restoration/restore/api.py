"""Restoration API: request a restoration (curators), poll a job's progress (curators), accept
or reject it (curators), and list an artifact's restorations (anyone: visitors see only
accepted ones, always labelled as virtual restoration)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exhibits.collection.permissions import visible_artifacts
from restoration.condition.api import HasPermission
from restoration.models import RestorationJob
from restoration.restore import services
from restoration.restore.serializers import (
    RestorationJobSerializer,
    RestorationRequestSerializer,
    RestorationReviewSerializer,
)


class ReadAnyWriteWithPermission(BasePermission):
    """Reads for everyone; writes for authenticated users holding `required_permission`."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return HasPermission().has_permission(request, view)


def _context(request: Request) -> dict[str, Any]:
    return {"request": request, "curator": services.sees_all_restorations(request.user)}


def _job(request: Request, pk: int) -> RestorationJob:
    jobs = RestorationJob.objects.filter(artifact__in=visible_artifacts(request.user))
    return get_object_or_404(jobs.select_related("artifact"), pk=pk)


class ArtifactRestorationsView(APIView):
    """GET: the artifact's restorations the user may see (visitors: accepted ones only).
    POST {kind, method?}: queue a restoration (curators); 202 with the job."""

    permission_classes = [ReadAnyWriteWithPermission]
    required_permission = "restoration.add_restorationjob"
    # Requesting a restoration queues a GPU job (museum/throttling.py); reading is not scoped.
    throttle_scope = "upload"
    throttle_scope_methods = ("POST",)

    @extend_schema(responses={200: RestorationJobSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        artifact = get_object_or_404(visible_artifacts(request.user), pk=pk)
        jobs = services.visible_restorations(artifact=artifact, user=request.user)
        data = RestorationJobSerializer(
            jobs.prefetch_related("regions"), many=True, context=_context(request)
        ).data
        return Response({"artifact_id": artifact.pk, "restorations": data})

    @extend_schema(request=RestorationRequestSerializer, responses={202: RestorationJobSerializer})
    def post(self, request: Request, pk: int) -> Response:
        artifact = get_object_or_404(visible_artifacts(request.user), pk=pk)
        body = RestorationRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        options = (
            {"method": body.validated_data["method"]} if "method" in body.validated_data else {}
        )
        try:
            job = services.request_restoration(
                artifact=artifact,
                kind=body.validated_data["kind"],
                requested_by=request.user,
                options=options,
            )
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"kind": exc.messages}) from exc
        data = RestorationJobSerializer(job, context=_context(request)).data
        return Response(data, status=status.HTTP_202_ACCEPTED)


class RestorationJobView(APIView):
    """GET: a restoration job's status, progress, stage, device, timings and regions (curators;
    the artifact page polls it while the job runs)."""

    permission_classes = [HasPermission]
    required_permission = "restoration.view_restorationjob"

    @extend_schema(responses={200: RestorationJobSerializer})
    def get(self, request: Request, pk: int) -> Response:
        job = _job(request, pk)
        return Response(RestorationJobSerializer(job, context=_context(request)).data)


class _ReviewView(APIView):
    permission_classes = [HasPermission]
    required_permission = "restoration.change_restorationjob"
    action = ""

    @extend_schema(
        request=RestorationReviewSerializer,
        responses={200: RestorationJobSerializer, 400: inline_serializer(
            "RestorationReviewError", {"error": serializers.DictField()}
        )},
    )  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        job = _job(request, pk)
        body = RestorationReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = (
            services.accept_restoration if self.action == "accept" else services.reject_restoration
        )
        try:
            job = review(job=job, user=request.user, note=body.validated_data.get("note", ""))
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"status": exc.messages}) from exc
        return Response(RestorationJobSerializer(job, context=_context(request)).data)


class AcceptRestorationView(_ReviewView):
    """POST {note?}: accept a finished restoration; visitors see it from now on (curators)."""

    action = "accept"


class RejectRestorationView(_ReviewView):
    """POST {note?}: reject a finished restoration; hidden from visitors (curators)."""

    action = "reject"
