"""The API's one error shape, for answers made outside DRF's exception handler (ASGI guards,
upload handlers, plain views). Framework-free."""

from __future__ import annotations

from typing import Any


def error_body(code: str, message: str) -> dict[str, Any]:
    """{"error": {"code", "message", "fields"}}, as museum.api_errors gives every API error."""
    return {"error": {"code": code, "message": message, "fields": {}}}
