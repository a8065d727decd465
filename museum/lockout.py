"""The answer to a locked-out sign-in (django-axes' AXES_LOCKOUT_CALLABLE, museum/settings.py).

A person gets a page that says why and for how long; a script (JSON accepted, or an /api/ path)
the API's JSON error shape. Both are 429 with Retry-After: each failed attempt during the lockout
starts the cool-off again (axes' default), so the full cool-off is the honest wait."""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(request: HttpRequest, *_args: Any, **_kwargs: Any) -> HttpResponse:
    """429 with Retry-After: a page for people, the API's error shape for scripts.

    axes passes (request, original_response, credentials), or (request, credentials) from its
    async middleware: neither is needed here."""
    cool_off = get_cool_off(request)
    seconds = math.ceil(cool_off.total_seconds()) if cool_off else 0
    minutes = max(1, math.ceil(seconds / 60))
    message = _(
        "Too many failed sign-ins for this account from your address. "
        "Try again in %(minutes)d minutes."
    ) % {"minutes": minutes}
    response: HttpResponse
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        error = {"code": "login_locked", "message": message, "fields": {}}
        response = JsonResponse({"error": error}, status=429)
    else:
        context = {"message": message, "minutes": minutes}
        response = render(request, "registration/login_locked.html", context, status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
