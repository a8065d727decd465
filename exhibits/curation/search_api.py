"""Collection search: `GET /api/search`, `GET /api/artifacts/<id>/similar/` and the /search/ page.

Thin views: they parse the query, work out what the user may see and ask this process's copy
of the index the worker built (exhibits/curation/embedding_store.py, search_index.py) for
results; the ranking is in curation/search.py.
Anonymous visitors see published artifacts; users with `exhibits.view_artifact` see drafts too.
"""

from __future__ import annotations

from typing import Any

from django.contrib.humanize.templatetags.humanize import ordinal
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exhibits.collection.permissions import sees_drafts
from exhibits.collection.visibility import visible_artifacts
from exhibits.curation import embedding_store
from exhibits.curation.embeddings import default_encoder
from exhibits.curation.search import Filters, Hit, SearchIndex, SearchResult
from exhibits.models import Asset, PublicationStatus
from museum.throttling import throttled_view

PAGE_SIZE = 20
MAX_PAGE_SIZE = 50
SIMILAR_K = 8
FACETS = ("classification", "culture", "century", "material")


class SearchUnavailable(exceptions.APIException):
    """No index stored yet and this process is building its keyword-only one (embedding_store)."""

    status_code = 503
    default_detail = gettext_lazy("Search is starting up; try again in a few seconds.")
    default_code = "search_starting"
    wait = embedding_store.RETRY_AFTER_S  # DRF sends it as Retry-After


def _index() -> SearchIndex:
    """This process's index; never built here (embedding_store, search_index)."""
    try:
        return embedding_store.search_index()
    except embedding_store.IndexUnavailable:
        raise SearchUnavailable from None


def century_label(value: int) -> str:
    """16 -> '16th century CE', -15 -> '15th century BCE' (in French "16e siècle apr. J.-C.":
    humanize's French ordinal carries a <sup>, dropped here because labels are plain text)."""
    if value < 0:
        return _("%(ordinal)s century BCE") % {"ordinal": _plain_ordinal(-value)}
    return _("%(ordinal)s century CE") % {"ordinal": _plain_ordinal(value)}


def _plain_ordinal(value: int) -> str:
    return strip_tags(ordinal(value) or str(value))


def _int(raw: str | None, name: str, *, minimum: int | None = None) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise exceptions.ValidationError({name: [_("Expected an integer.")]}) from None
    if minimum is not None and value < minimum:
        raise exceptions.ValidationError({name: [_("Must be at least %(n)d.") % {"n": minimum}]})
    return value


def parse_filters(params: Any) -> Filters:
    century = _int(params.get("century"), "century")
    if century == 0:
        raise exceptions.ValidationError({"century": [_("There is no century 0.")]})
    return Filters(
        classification=params.get("classification", "").strip(),
        culture=params.get("culture", "").strip(),
        century=century,
        material=params.get("material", "").strip(),
    )


def page_pattern() -> str:
    """The artifact page URL with a placeholder: reverse() once per response, not per hit."""
    return reverse("artifact-detail", args=[999999999]).replace("999999999", "{}")


def thumbnail_urls(hits: list[Hit]) -> dict[int, str]:
    """The newest thumbnail of each published hit (a public web copy), in one query."""
    ids = [hit.document.id for hit in hits if hit.document.published]
    urls: dict[int, str] = {}
    thumbnails = Asset.objects.filter(
        kind=Asset.Kind.THUMBNAIL, artifact_id__in=ids, artifact__status=PublicationStatus.PUBLISHED
    ).exclude(file="")
    for asset in thumbnails.order_by("-created_at", "-pk"):
        urls.setdefault(asset.artifact_id, asset.file.url)
    return urls


def hit_data(hit: Hit, pattern: str, thumbnails: dict[int, str] | None = None) -> dict[str, Any]:
    doc = hit.document
    return {
        "id": doc.id,
        "object_number": doc.object_number,
        "title": doc.title,
        "classification": doc.classification,
        "culture": doc.culture,
        "date_text": doc.date_text,
        "published": doc.published,
        "url": pattern.format(doc.id) if doc.published else None,
        "thumbnail": (thumbnails or {}).get(doc.id),
        "score": round(hit.score, 4),
        "semantic": round(hit.semantic, 4),
        "keyword": round(hit.keyword, 4),
    }


def facet_data(result: SearchResult) -> dict[str, list[dict[str, Any]]]:
    facets: dict[str, list[dict[str, Any]]] = {}
    for name in FACETS:
        facets[name] = [
            {
                "value": value,
                "label": century_label(int(value)) if name == "century" else str(value),
                "count": count,
            }
            for value, count in result.facets[name]
        ]
    return facets


class ResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    object_number = serializers.CharField()
    title = serializers.CharField()
    classification = serializers.CharField()
    culture = serializers.CharField()
    date_text = serializers.CharField()
    published = serializers.BooleanField()
    url = serializers.CharField(allow_null=True, help_text=gettext_lazy("Public page, if any."))
    thumbnail = serializers.CharField(
        allow_null=True, help_text=gettext_lazy("Thumbnail image of a published object, if any.")
    )
    score = serializers.FloatField(help_text=gettext_lazy("Blended score (0-1)."))
    semantic = serializers.FloatField()
    keyword = serializers.FloatField()


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField(help_text=gettext_lazy("Centuries: signed, negative = BCE."))
    label = serializers.CharField()  # type: ignore[assignment]  # a field named "label" (Field.label in the stubs)
    count = serializers.IntegerField()


class FacetsSerializer(serializers.Serializer):
    classification = FacetValueSerializer(many=True)
    culture = FacetValueSerializer(many=True)
    century = FacetValueSerializer(many=True)
    material = FacetValueSerializer(many=True)


class SearchResponseSerializer(serializers.Serializer):
    query = serializers.CharField()
    mode = serializers.CharField(help_text=gettext_lazy("'semantic+keyword' or 'keyword'."))
    encoder = serializers.CharField()
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    results = ResultSerializer(many=True)
    facets = FacetsSerializer()


class SimilarResponseSerializer(serializers.Serializer):
    artifact = serializers.IntegerField()
    encoder = serializers.CharField()
    # False while the artifact waits for the index's next rebuild (a new or just published
    # object): no neighbours yet, which is not an error.
    indexed = serializers.BooleanField()
    results = ResultSerializer(many=True)


class SearchView(APIView):
    """Semantic + keyword search over the collection, with facets (see curation/search.py)."""

    permission_classes = [AllowAny]
    throttle_scope = "search"  # museum/throttling.py

    @extend_schema(
        operation_id="search",
        parameters=[
            OpenApiParameter("q", str, description=gettext_lazy("Words or a description.")),
            OpenApiParameter("classification", str),
            OpenApiParameter("culture", str),
            OpenApiParameter("century", int, description=gettext_lazy("Negative for BCE.")),
            OpenApiParameter("material", str, description=gettext_lazy("A material word.")),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description=f"1-{MAX_PAGE_SIZE}"),
        ],
        responses=SearchResponseSerializer,
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        page = _int(params.get("page"), "page", minimum=1) or 1
        size = min(_int(params.get("page_size"), "page_size", minimum=1) or PAGE_SIZE, 50)
        return Response(
            run_search(
                params.get("q", ""),
                parse_filters(params),
                include_drafts=sees_drafts(request.user, "artifact"),
                page=page,
                page_size=size,
            )
        )


def run_search(
    query: str, filters: Filters, *, include_drafts: bool, page: int = 1, page_size: int = 20
) -> dict[str, Any]:
    index = _index()
    result = index.search(
        query[:500],
        filters,
        include_drafts=include_drafts,
        offset=(page - 1) * page_size,
        limit=page_size,
    )
    pattern = page_pattern()
    thumbnails = thumbnail_urls(result.hits)
    return {
        "query": query,
        "mode": result.mode,
        "encoder": default_encoder().name,
        "count": result.total,
        "page": page,
        "page_size": page_size,
        "num_pages": max(1, -(-result.total // page_size)),
        "results": [hit_data(hit, pattern, thumbnails) for hit in result.hits],
        "facets": facet_data(result),
    }


class SimilarView(APIView):
    """More like this: the artifacts nearest to this one by their embeddings."""

    permission_classes = [AllowAny]
    throttle_scope = "similar"

    @extend_schema(
        operation_id="artifacts_similar",
        parameters=[OpenApiParameter("k", int, description=f"1-{MAX_PAGE_SIZE} (8)")],
        responses=SimilarResponseSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        k = min(_int(request.query_params.get("k"), "k", minimum=1) or SIMILAR_K, MAX_PAGE_SIZE)
        include_drafts = sees_drafts(request.user, "artifact")
        try:
            hits, indexed = similar_hits(pk, k=k, include_drafts=include_drafts), True
        except Http404:
            # Visible but not in this index yet (its rebuild job has not run): the artifact's
            # page asks anyway, and a 404 there read as a broken page.
            if not visible_artifacts(request.user).filter(pk=pk).exists():
                raise
            hits, indexed = [], False
        pattern = page_pattern()
        thumbnails = thumbnail_urls(hits)
        return Response(
            {
                "artifact": pk,
                "encoder": default_encoder().name,
                "indexed": indexed,
                "results": [hit_data(hit, pattern, thumbnails) for hit in hits],
            }
        )


def similar_hits(pk: int, *, k: int, include_drafts: bool) -> list[Hit]:
    """Neighbours of a visible artifact; 404 for one the user may not see."""
    index = _index()
    position = index.positions.get(pk)
    if position is None or not (include_drafts or index.documents[position].published):
        raise Http404
    return index.similar(pk, k=k, include_drafts=include_drafts)


@throttled_view("search")
def search_page(request: HttpRequest) -> HttpResponse:
    """The visitors' results page (published artifacts): works without JavaScript."""
    try:
        return _search_page(request)
    except SearchUnavailable as exc:
        busy = HttpResponse(str(exc.detail), status=503, content_type="text/plain")
        busy["Retry-After"] = str(exc.wait)
        return busy


def _search_page(request: HttpRequest) -> HttpResponse:
    params = request.GET
    try:
        filters = parse_filters(params)
        page = _int(params.get("page"), "page", minimum=1) or 1
        like = _int(params.get("like"), "like")
    except exceptions.ValidationError:
        filters, page, like = Filters(), 1, None
    context: dict[str, Any] = {"q": params.get("q", "").strip(), "filters": filters}
    if like is not None:
        hits = similar_hits(like, k=PAGE_SIZE, include_drafts=False)
        index = _index()
        context["like"] = index.documents[index.positions[like]]
        pattern = page_pattern()
        results = [hit_data(hit, pattern, thumbnail_urls(hits)) for hit in hits]
        context["data"] = {"results": results, "count": len(results)}
    elif context["q"] or any(value not in ("", None) for value in vars(filters).values()):
        data = run_search(context["q"], filters, include_drafts=False, page=page)
        for name, items in data["facets"].items():
            for item in items:
                item["href"] = _link(params, **{name: item["value"], "page": None})
        context["data"] = data
        context["active"] = [
            {
                "value": century_label(value) if name == "century" else value,
                "remove": _link(params, **{name: None, "page": None}),
            }
            for name, value in vars(filters).items()
            if value not in ("", None)
        ]
        if page > 1:
            context["previous"] = _link(params, page=page - 1)
        if page < data["num_pages"]:
            context["next"] = _link(params, page=page + 1)
    return render(request, "museum/search.html", context)


def _link(params: QueryDict, **changes: Any) -> str:
    """The current query string with some parameters set (or removed with None)."""
    query = params.copy()
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = str(value)
    return f"?{query.urlencode()}"


def example_queries(count: int = 2) -> list[str]:
    """Search examples for the hint under the search box: from the index (search.py's
    example_queries), so each finds something; none while the index is being built."""
    try:
        return _index().example_queries(count)
    except SearchUnavailable:
        return []
