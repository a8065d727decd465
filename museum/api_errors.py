"""One JSON shape for every API error, so clients can show a clear message."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from museum.common.errors import error_body
from museum.uploads import StorageFull, UploadTooLarge


def json_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Wrap DRF errors as {"error": {"code", "message", "fields"}}; Django's ValidationError too."""
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, UploadTooLarge):  # a PUT/PATCH parsed by DRF (POST: the middleware)
        return Response(error_body("too_large", str(exc)), status=413)
    elif isinstance(exc, StorageFull):
        return Response(error_body("storage_full", str(exc)), status=507)
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    fields: dict[str, Any] = {}
    if isinstance(data, dict) and "detail" in data and len(data) == 1:
        message = str(data["detail"])
    elif isinstance(data, dict):
        fields = data
        first_field, first_errors = next(iter(data.items()))
        first = first_errors[0] if isinstance(first_errors, list) and first_errors else first_errors
        message = f"{first_field}: {first}" if first_field != "non_field_errors" else str(first)
    else:
        message = "; ".join(str(item) for item in data)
    code = getattr(exc, "default_code", "error")
    response.data = {"error": {"code": code, "message": message, "fields": fields}}
    return response
