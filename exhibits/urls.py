"""Routes of the collection API, mounted under /api/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from exhibits.annotating import views as annotating_views
from exhibits.collection import api
from exhibits.curation import search_api

router = DefaultRouter()
router.register("artifacts", api.ArtifactViewSet, basename="artifact")
router.register("assets", api.AssetViewSet, basename="asset")
router.register("annotations", api.AnnotationViewSet, basename="annotation")
router.register("exhibitions", api.ExhibitionViewSet, basename="exhibition")
router.register("jobs", api.JobViewSet, basename="job")

urlpatterns = [
    # Before the router: its artifact-detail pattern would take "<id>/annotations.jsonld".
    path(
        "artifacts/<int:pk>/annotations.jsonld",
        annotating_views.artifact_annotations,
        name="artifact-annotations",
    ),
    path(
        "artifacts/<int:artifact_pk>/assets/",
        api.ArtifactAssetListView.as_view(),
        name="artifact-assets",
    ),
    *router.urls,
]

# Collection search (exhibits/curation/search_api.py).
urlpatterns += [
    path("search", search_api.SearchView.as_view(), name="search"),
    path(
        "artifacts/<int:pk>/similar/",
        search_api.SimilarView.as_view(),
        name="artifact-similar",
    ),
]
