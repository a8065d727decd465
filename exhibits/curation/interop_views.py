"""Thin views of the interoperability exports: IIIF manifests and Linked Art JSON-LD (objects,
and the concepts their classifications and materials name).

Published records are public; drafts answer 404 except to users who may view them. A concept
answers when the AAT mapping knows it or a record the reader may see uses it. The JSON
is served with `Access-Control-Allow-Origin: *` because IIIF viewers fetch it cross-origin.
The builders are imported on first use: cromulent takes a noticeable time to import, which
every process that loads the URLconf (management commands included) would otherwise pay.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from exhibits.collection.visibility import (
    visible_artifacts,
    visible_assets,
    visible_exhibitions,
)
from exhibits.curation import concepts
from exhibits.models import Artifact, Canvas, ExhibitionItem


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _json_ld(data: dict[str, Any], content_type: str) -> HttpResponse:
    response = HttpResponse(json.dumps(data, ensure_ascii=False), content_type=content_type)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _artifacts(request: HttpRequest) -> QuerySet[Artifact]:
    assets = visible_assets(request.user).select_related("created_by_job", "image_service")
    canvases = Canvas.objects.select_related("source__image_service")
    return visible_artifacts(request.user).prefetch_related(
        Prefetch("assets", queryset=assets),
        "annotations",
        Prefetch("canvases", queryset=canvases),
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


# The catalogue fields whose terms each concept scheme holds.
_SCHEME_FIELDS = {"types": ("classification", "object_name"), "materials": ("materials",)}


@require_safe
def linked_art_concept(request: HttpRequest, scheme: str, slug: str) -> HttpResponse:
    """Linked Art JSON-LD of one of the museum's concepts (a Type or a Material), with its
    Getty AAT equivalent when the mapping has one."""
    from exhibits.curation import linked_art

    if scheme not in _SCHEME_FIELDS:
        raise Http404
    fields = _SCHEME_FIELDS[scheme]
    # Narrow the search to records whose field holds the slug's longest word, then compare
    # the slugs of their terms: the wording that is served is one a visible record uses.
    word = max(slug.split("-"), key=len)
    match = Q()
    for field in fields:
        match |= Q(**{f"{field}__icontains": word})
    rows = visible_artifacts(request.user).filter(match).values_list(*fields)[:1000]
    terms = [term for row in rows for text in row for term in _terms(scheme, text)]
    concept = concepts.find(scheme, slug, terms)
    if concept is None:
        raise Http404
    data = linked_art.concept_record(concept, _base_url(request))
    return _json_ld(data, linked_art.CONTENT_TYPE)


def _terms(scheme: str, text: str) -> list[str]:
    return concepts.material_terms(text) if scheme == "materials" else [text]
