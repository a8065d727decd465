"""HTTP rate limits (issue #17): DRF throttles on the project's cache, and the same limits for the
few plain Django views that do expensive work (the condition PDF, the search page).

Every API request counts against a general rate, per address for visitors (`anon`) and per
account for signed-in users (`user`). Views that cost far more than a page (search, similar
objects, visit planning, the condition PDF, uploads and job requests) also name a scope
(`throttle_scope = "search"`), which has a rate of its own for visitors (`search_anon`) and for
users (`search_user`); `throttle_scope_methods` limits a scope to some methods (an upload's POST,
not the listing beside it). Rates live in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
(environment: MOUSEION_THROTTLE_<RATE>) and are read when a throttle is made, not when this
module is imported, so a changed setting takes effect at once.

Counts are kept in the default cache: in memory on the single profile (one ASGI process), in
Redis on the scaled profile, so a limit holds across every process. A refused request is a 429
with Retry-After, in the API's JSON error shape for the API.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _
from rest_framework import throttling
from rest_framework.settings import api_settings

from museum.common import addresses

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def client_address(request: HttpRequest) -> str:
    """The address a request came from, the one every limit (these throttles, the login lockout)
    counts against: museum.common.addresses, with DRF's NUM_PROXIES."""
    return addresses.client_address(
        request.META.get("REMOTE_ADDR") or None,
        request.META.get("HTTP_X_FORWARDED_FOR"),
        num_proxies=api_settings.NUM_PROXIES,
    )


class _SettingsRate(throttling.SimpleRateThrottle):
    """Rates from the current settings (DRF reads them once, when throttling.py is imported)."""

    def get_rate(self) -> str | None:
        rates = api_settings.DEFAULT_THROTTLE_RATES
        rate = rates.get(str(self.scope))
        return None if rate is None else str(rate)

    def get_ident(self, request: Any) -> str:
        return client_address(request)


class AnonThrottle(_SettingsRate, throttling.AnonRateThrottle):
    """The general rate of a visitor (per address) on every API view."""


class UserThrottle(_SettingsRate, throttling.UserRateThrottle):
    """The general rate of a signed-in user (per account) on every API view."""

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None  # visitors are AnonThrottle's
        return super().get_cache_key(request, view)


class ScopedThrottle(_SettingsRate):
    """The rate of a view's `throttle_scope`: `<scope>_anon` per address for visitors,
    `<scope>_user` per account for signed-in users. Views without a scope are not counted."""

    cache_format = "throttle_%(scope)s_%(ident)s"

    def __init__(self) -> None:
        # The scope, and so the rate, is only known from the view and the user.
        self.rate: str | None = None

    def allow_request(self, request: Any, view: Any) -> bool:
        scope = getattr(view, "throttle_scope", None)
        methods = getattr(view, "throttle_scope_methods", None)
        if not scope or (methods is not None and request.method not in methods):
            return True
        signed_in = bool(request.user and request.user.is_authenticated)
        self.scope = f"{scope}_{'user' if signed_in else 'anon'}"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Any, view: Any) -> str:
        signed_in = request.user and request.user.is_authenticated
        ident = f"user{request.user.pk}" if signed_in else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


def retry_after(throttle: throttling.BaseThrottle) -> int:
    """Whole seconds to wait, as DRF writes Retry-After."""
    wait = throttle.wait()
    return max(1, math.ceil(wait)) if wait is not None else 1


def throttled_view(scope: str, *, methods: tuple[str, ...] | None = None) -> Callable[[View], View]:
    """The scoped limit for a plain Django view: same cache, same rates as the API's views.
    A refused request gets a short plain-text 429 with Retry-After."""

    class Scope:
        throttle_scope = scope
        throttle_scope_methods = methods

    def decorate(view: View) -> View:
        @wraps(view)
        def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            throttle = ScopedThrottle()
            if not throttle.allow_request(request, Scope()):
                seconds = retry_after(throttle)
                message = _("Too many requests. Please try again in %(seconds)d seconds.") % {
                    "seconds": seconds
                }
                response = HttpResponse(message, status=429, content_type="text/plain")
                response["Retry-After"] = str(seconds)
                return response
            return view(request, *args, **kwargs)

        return cast(View, limited)

    return decorate
