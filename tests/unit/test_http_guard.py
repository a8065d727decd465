"""The HTTP flood guard (museum/http_guard.py): per-address token bucket in front of Django."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from django.conf import settings
from django.test import override_settings

from museum.http_guard import RequestRateGuard


class CountingApp:
    """Stands in for Django: counts what reached it and answers 200."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        self.calls += 1
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})


def scope(address: str, path: str = "/api/search", *, kind: str = "http", xff: str = "") -> dict:
    headers = [(b"x-forwarded-for", xff.encode())] if xff else []
    return {"type": kind, "path": path, "client": (address, 5555), "headers": headers}


def call(guard: RequestRateGuard, request_scope: dict) -> tuple[int | None, dict]:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(guard(request_scope, receive, send))
    start = next((m for m in sent if m["type"] == "http.response.start"), None)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    status = start["status"] if start else None
    headers = dict(start["headers"]) if start else {}
    return status, {"headers": headers, "body": body}


@override_settings(MOUSEION_HTTP_RATE=1.0, MOUSEION_HTTP_BURST=5)
def test_a_flood_from_one_address_is_refused_before_django_and_others_are_served() -> None:
    app = CountingApp()
    guard = RequestRateGuard(app)
    statuses = [call(guard, scope("203.0.113.7"))[0] for _ in range(40)]
    assert statuses[:5] == [200] * 5
    assert statuses[5:].count(429) >= 34  # at most a token or so refilled during the loop
    assert app.calls == statuses.count(200)  # refusals never reached Django
    status, answer = call(guard, scope("203.0.113.7"))
    assert status == 429
    assert int(answer["headers"][b"retry-after"]) >= 1
    assert json.loads(answer["body"])["error"]["code"] == "rate_limited"
    # Another visitor is not affected by the flooder.
    assert call(guard, scope("198.51.100.20"))[0] == 200


@override_settings(MOUSEION_HTTP_RATE=1.0, MOUSEION_HTTP_BURST=2)
def test_static_files_health_checks_and_websockets_are_not_counted() -> None:
    app = CountingApp()
    guard = RequestRateGuard(app)
    for _ in range(20):
        assert call(guard, scope("203.0.113.7", "/static/js/viewer.abc123def456.js"))[0] == 200
        assert call(guard, scope("203.0.113.7", "/healthz"))[0] == 200
        call(guard, scope("203.0.113.7", "/ws/rooms/1/", kind="websocket"))
    assert app.calls == 60
    assert call(guard, scope("203.0.113.7"))[0] == 200  # the bucket is still full


@override_settings(MOUSEION_HTTP_RATE=0)
def test_a_rate_of_zero_switches_the_guard_off() -> None:
    guard = RequestRateGuard(CountingApp())
    assert all(call(guard, scope("203.0.113.7"))[0] == 200 for _ in range(300))


@override_settings(MOUSEION_HTTP_RATE=1.0, MOUSEION_HTTP_BURST=3)
def test_behind_a_proxy_the_forwarded_address_is_counted_not_the_proxy() -> None:
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}):
        guard = RequestRateGuard(CountingApp())
        flooder = [call(guard, scope("10.0.0.2", xff="203.0.113.7"))[0] for _ in range(10)]
        assert flooder.count(429) >= 6
        # Same proxy, another visitor: served. A forged left-most entry does not help the flooder.
        assert call(guard, scope("10.0.0.2", xff="198.51.100.20"))[0] == 200
        assert call(guard, scope("10.0.0.2", xff="1.2.3.4, 203.0.113.7"))[0] == 429


def test_the_default_limits_cover_a_page_with_its_requests() -> None:
    """A person opening the lobby (the page, its API calls, a few dozen thumbnails) is never
    refused under the default settings: 80 requests at once from one address are served."""
    guard = RequestRateGuard(CountingApp())
    assert all(call(guard, scope("198.51.100.20", "/media/x.jpg"))[0] == 200 for _ in range(80))
