"""Flat works (paintings, prints, pages, photographs): images in, IIIF Image API 3 out.

Framework-free cores: `raster` (the one way to read a flat work's pixels, and the checks that
refuse hostile images), `tiles` (level-0 static tiles), `derivatives` (web copy, thumbnail).
Django glue: models, services, iiif_views, regions, signals."""

from __future__ import annotations

from typing import Any


def urls_for(service: Any, request: Any) -> str:
    """The absolute base URL of an image service, "<scheme>://<host>/iiif/3/<identifier>"."""
    return str(request.build_absolute_uri(f"/iiif/3/{service.identifier}"))
