"""Condition report pages and API (namespace "condition")."""

from django.urls import path

from restoration.condition import api, corrections_api, views

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
        "api/mask-corrections/<int:pk>/retire",
        corrections_api.RetireCorrectionView.as_view(),
        name="api-retire-correction",
    ),
    path(
        "api/condition-records/<int:pk>/release",
        api.ConditionReleaseView.as_view(),
        name="api-release",
    ),
]
