"""The API's one error shape, for answers made outside DRF's exception handler (ASGI guards,
upload handlers, plain views). Framework-free."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any


def error_body(code: str, message: str) -> dict[str, Any]:
    """{"error": {"code", "message", "fields"}}, as museum.api_errors gives every API error."""
    return {"error": {"code": code, "message": message, "fields": {}}}


async def send_json_error(
    send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    *,
    status: int,
    code: str,
    message: str,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """Answer an ASGI HTTP request with `error_body` as JSON, from middleware that runs before
    Django (the flood guard, the body cap)."""
    body = json.dumps(error_body(code, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
