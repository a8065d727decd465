"""Thin views of the interoperability exports: IIIF manifests and Linked Art JSON-LD.

Published records are public; drafts answer 404 except to users who may view them. The JSON
is served with `Access-Control-Allow-Origin: *` because IIIF viewers fetch it cross-origin.
The builders are imported on first use: cromulent takes a noticeable time to import, which
every process that loads the URLconf (management commands included) would otherwise pay.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from exhibits.collection.visibility import (
    visible_artifacts,
    visible_assets,
    visible_exhibitions,
)
from exhibits.models import Artifact, ExhibitionItem


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _json_ld(data: dict[str, Any], content_type: str) -> HttpResponse:
    response = HttpResponse(json.dumps(data, ensure_ascii=False), content_type=content_type)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _artifacts(request: HttpRequest) -> QuerySet[Artifact]:
    assets = visible_assets(request.user).select_related("created_by_job")
    return visible_artifacts(request.user).prefetch_related(
        Prefetch("assets", queryset=assets), "annotations"
    )


@require_safe
def artifact_manifest(request: HttpRequest, pk: int) -> HttpResponse:
    """IIIF Presentation 3 manifest of one artifact."""
    from exhibits.curation import iiif

    artifact = get_object_or_404(_artifacts(request), pk=pk)
    return _json_ld(iiif.artifact_manifest(artifact, _base_url(request)), iiif.CONTENT_TYPE)


@require_safe
def exhibition_manifest(request: HttpRequest, slug: str) -> HttpResponse:
    """IIIF Presentation 3 manifest of an exhibition: its visible artifacts in order."""
    from exhibits.curation import iiif

    exhibition = get_object_or_404(visible_exhibitions(request.user), slug=slug)
    items = (
        ExhibitionItem.objects.filter(
            exhibition=exhibition, artifact__in=visible_artifacts(request.user)
        )
        .order_by("order", "pk")
        .prefetch_related(Prefetch("artifact", queryset=_artifacts(request)))
    )
    data = iiif.exhibition_manifest(exhibition, list(items), _base_url(request))
    return _json_ld(data, iiif.CONTENT_TYPE)


@require_safe
def linked_art_object(request: HttpRequest, pk: int) -> HttpResponse:
    """Linked Art JSON-LD of one artifact (a HumanMadeObject)."""
    from exhibits.curation import linked_art

    artifact = get_object_or_404(_artifacts(request), pk=pk)
    data = linked_art.artifact_object(artifact, _base_url(request))
    return _json_ld(data, linked_art.CONTENT_TYPE)
