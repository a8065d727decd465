"""Routes of the visit API, mounted under /api/ (namespace "api")."""

from django.urls import path

from museum.planning import api as planning_api

urlpatterns = [
    path("visits/plan", planning_api.VisitPlanView.as_view(), name="visit-plan"),
    path("visits/next-stop", planning_api.NextStopView.as_view(), name="visit-next-stop"),
]
