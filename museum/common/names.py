"""Storage names nobody can guess: every new upload or derived file gets a random segment, so a
media URL is known only to those shown it (ids and original names are easy to guess)."""

from __future__ import annotations

import secrets
from pathlib import PurePosixPath

TOKEN_BYTES = 12  # 16 URL-safe characters, 96 random bits
MAX_STEM = 120


def unguessable(filename: str) -> str:
    """`filename`'s base name with a random segment before its extension: `stem-<token>.ext`.

    The stem's start is kept (clean-ups find attempt files by their `job<pk>-` prefix)."""
    path = PurePosixPath(filename.replace("\\", "/"))
    stem = path.stem[:MAX_STEM] or "file"
    return f"{stem}-{secrets.token_urlsafe(TOKEN_BYTES)}{path.suffix[:16]}"
