"""Condition report pages and API, and the restoration API (included from museum/urls.py,
namespace "condition")."""

from django.urls import path

from restoration import api, restoration_api, views

app_name = "condition"

urlpatterns = [
    path("artifacts/<int:pk>/condition/", views.condition_report, name="report"),
    path("artifacts/<int:pk>/condition.pdf", views.condition_report_pdf, name="pdf"),
    path("api/artifacts/<int:pk>/condition", api.ConditionView.as_view(), name="api-condition"),
    path(
        "api/artifacts/<int:pk>/condition-check",
        api.ConditionCheckView.as_view(),
        name="api-check",
    ),
    path(
        "api/condition-records/<int:pk>/corrections",
        api.MaskCorrectionView.as_view(),
        name="api-corrections",
    ),
    path(
        "api/artifacts/<int:pk>/restorations",
        restoration_api.ArtifactRestorationsView.as_view(),
        name="api-restorations",
    ),
    path(
        "api/restoration-jobs/<int:pk>",
        restoration_api.RestorationJobView.as_view(),
        name="api-restoration-job",
    ),
    path(
        "api/restoration-jobs/<int:pk>/accept",
        restoration_api.AcceptRestorationView.as_view(),
        name="api-restoration-accept",
    ),
    path(
        "api/restoration-jobs/<int:pk>/reject",
        restoration_api.RejectRestorationView.as_view(),
        name="api-restoration-reject",
    ),
]
