"""The client address every limit counts against: HTTP throttles, the login lockout, the HTTP
flood guard and websocket connection caps all use this one rule. Framework-free.

Behind the deploy example's nginx, uvicorn's `--proxy-headers --forwarded-allow-ips` already
puts the visitor's address in the ASGI scope (REMOTE_ADDR), so the default (NUM_PROXIES 0,
environment MOUSEION_NUM_PROXIES) reads it from there. A server that does not rewrite the
address sets the number of proxies in front of it: the address is then that many entries from
the right of X-Forwarded-For (each proxy appends the address it saw; entries further left are
the client's own claims)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

UNKNOWN_ADDRESS = "unknown"


def client_address(peer: str | None, forwarded_for: str | None, *, num_proxies: int | None) -> str:
    """The address of a client whose direct peer is `peer`, given X-Forwarded-For."""
    remote = peer or UNKNOWN_ADDRESS
    proxies = num_proxies or 0
    if proxies <= 0 or not forwarded_for:
        return remote
    entries = [entry.strip() for entry in forwarded_for.split(",")]
    return entries[-min(proxies, len(entries))] or remote


def scope_address(scope: Mapping[str, Any], *, num_proxies: int | None) -> str:
    """`client_address` of an ASGI scope (HTTP or websocket)."""
    client = scope.get("client")
    peer = str(client[0]) if client else None
    forwarded = None
    for name, value in scope.get("headers", ()):
        if name == b"x-forwarded-for":
            # Several headers are one list, in order (RFC 9110 section 5.3).
            text = value.decode("latin-1")
            forwarded = text if forwarded is None else f"{forwarded}, {text}"
    return client_address(peer, forwarded, num_proxies=num_proxies)
