from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from exhibits.curation import search_api
from museum import media
from museum.gallery import embed, views
from museum.tours import views as tour_views

# ReDoc's bundle draws a "by Redocly" logo fetched from cdn.redoc.ly in its sidebar, with no
# option to leave it out: the page forbids images from any other host, so the browser never asks.
REDOC_CSP = "img-src 'self' data:"


def offline_redoc(**initkwargs: Any) -> Callable[..., HttpResponseBase]:
    view = SpectacularRedocView.as_view(**initkwargs)

    def redoc(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = REDOC_CSP
        return response

    return redoc


urlpatterns = [
    path("", views.lobby, name="lobby"),
    path("exhibitions/<slug:slug>/", views.exhibition_detail, name="exhibition-detail"),
    path("artifacts/<int:pk>/", views.artifact_detail, name="artifact-detail"),
    # The embeddable viewer (the one route other sites may frame) and its oEmbed endpoint.
    path("embed/artifacts/<int:pk>/", embed.embed_artifact, name="artifact-embed"),
    path("oembed", embed.oembed, name="oembed"),
    path("search/", search_api.search_page, name="search"),
    path("plan/", views.plan_visit, name="plan-visit"),
    path("tours/", tour_views.tours_index, name="tours"),
    path("tours/<int:pk>/start/", tour_views.tour_start, name="tour-start"),
    path("tours/<str:code>/", tour_views.tour_live, name="tour-live"),
    path(
        "tours/<str:code>/stops/<int:index>/view",
        tour_views.tour_save_view,
        name="tour-save-view",
    ),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Visit analytics: the pages' beacon and the curators' dashboard (before the admin's catch-all).
    path("", include("museum.analytics.urls")),
    path("admin/", admin.site.urls),
    # The API lives in its own namespace so its route names never shadow the pages.
    path("api/", include(("exhibits.urls", "api"), namespace="api")),
    path("api/", include(("museum.planning.urls", "visits"), namespace="visits")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", offline_redoc(url_name="api-schema"), name="api-redoc"),
    # IIIF Image API 3 (level 0) of flat works: info.json and static tiles, access-checked.
    path("", include("exhibits.imaging.urls")),
    # IIIF manifests and Linked Art JSON-LD (namespace "interop").
    path("", include("exhibits.interop_urls")),
    path("", include("restoration.condition.urls")),
    path("", include("restoration.restore.urls")),
    # Uploaded media, each file checked against who may see it (museum.media): streamed here
    # in the single-machine profile, handed to nginx by X-Accel-Redirect at scale.
    re_path(r"^media/(?P<path>.*)$", media.media, name="media"),
]

# Errors in the site's own frame, and the API's JSON error shape under /api/ (museum.error_pages).
handler403 = "museum.error_pages.permission_denied"
handler404 = "museum.error_pages.page_not_found"
handler500 = "museum.error_pages.server_error"
