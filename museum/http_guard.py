"""A flood guard in front of Django: HTTP requests per client address, refused cheaply.

The API's throttles (museum/throttling.py) decide per scope and per account, but a refusal there
still runs the whole middleware stack, the session and a cache round trip: a few milliseconds of
the one process that also serves everybody else's pages and websockets. A script looping on a
throttled endpoint then costs the server about as much as when it was served. This guard counts
every HTTP request per client address (museum.common.addresses) in a token bucket of this process
and answers a 429 itself, before Django, once the bucket is empty: a refusal costs microseconds.

Defaults (MOUSEION_HTTP_RATE per second, MOUSEION_HTTP_BURST) leave a person untouched: a page
with its API calls and media is a few dozen requests, the burst; static files and /healthz are
not counted. Behind nginx the deploy example also limits requests at the edge (limit_req), so
this guard is the single profile's edge and the scaled profile's second line; it is per process.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings

from museum.common.addresses import scope_address
from museum.common.buckets import KeyedBuckets
from museum.common.errors import send_json_error

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

EXEMPT_PREFIXES = ("/static/", "/healthz")


class RequestRateGuard:
    """ASGI middleware: per-address token bucket over HTTP requests; 429 when it is empty."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.buckets = KeyedBuckets()
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rate = float(getattr(settings, "MOUSEION_HTTP_RATE", 0) or 0)
        if scope["type"] != "http" or rate <= 0 or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        burst = float(getattr(settings, "MOUSEION_HTTP_BURST", rate))
        proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES")
        address = scope_address(scope, num_proxies=proxies)
        if self.buckets.take(address, rate=rate, burst=burst):
            await self.app(scope, receive, send)
            return
        self.refused += 1
        await _send_refusal(send, retry_after=math.ceil(1.0 / rate))


async def _send_refusal(send: Send, *, retry_after: int) -> None:
    await send_json_error(
        send,
        status=429,
        code="rate_limited",
        message="Too many requests from your address; slow down and try again shortly.",
        headers=[(b"retry-after", str(retry_after).encode()), (b"cache-control", b"no-store")],
    )
