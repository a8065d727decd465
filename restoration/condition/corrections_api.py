"""API of the curators' mask corrections beyond the upload (restoration.condition.api): retire a
correction so it stops applying to this and later condition records of its texture."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exhibits.collection.permissions import visible_artifacts
from restoration.condition.api import HasPermission
from restoration.condition.corrections import retire_mask_correction
from restoration.condition.serializers import MaskCorrectionSerializer
from restoration.models import MaskCorrection


class RetireCorrectionView(APIView):
    """POST: retire a mask correction (curators); it is kept, with who retired it and when."""

    permission_classes = [HasPermission]
    required_permission = "restoration.change_maskcorrection"
    serializer_class = MaskCorrectionSerializer

    def post(self, request: Request, pk: int) -> Response:
        found = MaskCorrection.objects.filter(artifact__in=visible_artifacts(request.user))
        correction = retire_mask_correction(
            correction=get_object_or_404(found, pk=pk), user=request.user
        )
        return Response(MaskCorrectionSerializer(correction, context={"request": request}).data)
