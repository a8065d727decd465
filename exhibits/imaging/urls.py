"""IIIF Image API 3 routes, mounted at the site root by museum/urls.py."""

from django.urls import path

from exhibits.imaging import iiif_views

urlpatterns = [
    path("iiif/3/<str:identifier>", iiif_views.base, name="iiif-image-base"),
    path("iiif/3/<str:identifier>/info.json", iiif_views.info, name="iiif-image-info"),
    path(
        "iiif/3/<str:identifier>/<str:region>/<str:size>/<str:rotation>/<str:quality>.<str:format>",
        iiif_views.tile,
        name="iiif-image-tile",
    ),
]
