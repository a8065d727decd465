"""Routes of the interoperability exports, mounted at the site root (namespace `interop`)."""

from django.urls import path

from exhibits.curation import interop_views

app_name = "interop"

urlpatterns = [
    path(
        "iiif/artifacts/<int:pk>/manifest.json",
        interop_views.artifact_manifest,
        name="iiif-artifact",
    ),
    path(
        "iiif/exhibitions/<slug:slug>/manifest.json",
        interop_views.exhibition_manifest,
        name="iiif-exhibition",
    ),
    path(
        "linked-art/objects/<int:pk>.json",
        interop_views.linked_art_object,
        name="linked-art-object",
    ),
    path(
        "linked-art/concepts/<str:scheme>/<str:slug>.json",
        interop_views.linked_art_concept,
        name="linked-art-concept",
    ),
]
