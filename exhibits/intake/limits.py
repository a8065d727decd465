"""Caps that protect the server from hostile or accidental giant inputs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IntakeLimits:
    max_bytes: int = 512 * 1024 * 1024
    max_faces: int = 10_000_000
    max_vertices: int = 10_000_000
    max_texture_pixels: int = 128 * 1024 * 1024  # all textures of one file together
    max_texture_side: int = 16_384
    max_zip_members: int = 512
    max_unzipped_bytes: int = 1024 * 1024 * 1024
    max_zip_ratio: float = 200.0  # uncompressed / compressed, per member

    @classmethod
    def from_settings(cls) -> IntakeLimits:
        from django.conf import settings

        overrides = getattr(settings, "MOUSEION_INTAKE_LIMITS", {})
        return cls(max_bytes=settings.MOUSEION_MAX_UPLOAD_BYTES, **overrides)
