"""Error answers for the whole site (urls.handler404/403/500): pages in the site's own frame, and
the API's JSON error shape (museum.common.errors) under /api/, where a client expects JSON.

DRF's views already answer their own errors as JSON (museum.api_errors); these cover what no view
answers: an unknown /api/ path, and errors raised outside DRF.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

from museum.common.errors import error_body

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        message = _("Nothing is at this address of the API; see /api/docs/.")
        return JsonResponse(error_body("not_found", message), status=404)
    # `error_page`: nothing of the asked address is echoed (the language switcher's return
    # address included), so a private file's 404 reads like any other.
    return render(request, "404.html", {"error_page": True}, status=404)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        message = _("You do not have permission to perform this action.")
        return JsonResponse(error_body("permission_denied", message), status=403)
    return render(request, "403.html", {"error_page": True}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: rendered without the request's context, as Django's own (nothing that might have
    failed is touched again)."""
    if _is_api(request):
        message = _("The server failed to answer; the error was logged.")
        return JsonResponse(error_body("server_error", message), status=500)
    return defaults.server_error(request)
