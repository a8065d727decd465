"""Virtual restoration API (namespace "restoration")."""

from django.urls import path

from restoration.restore import api

app_name = "restoration"

urlpatterns = [
    path(
        "api/artifacts/<int:pk>/restorations",
        api.ArtifactRestorationsView.as_view(),
        name="api-restorations",
    ),
    path("api/restoration-jobs/<int:pk>", api.RestorationJobView.as_view(), name="api-job"),
    path(
        "api/restoration-jobs/<int:pk>/accept",
        api.AcceptRestorationView.as_view(),
        name="api-accept",
    ),
    path(
        "api/restoration-jobs/<int:pk>/reject",
        api.RejectRestorationView.as_view(),
        name="api-reject",
    ),
]
