"""Routes of visit analytics: the page beacon and the curators' dashboard (before admin/)."""

from django.urls import path

from museum.analytics import beacon, dashboard

urlpatterns = [
    path("analytics/beacon", beacon.beacon, name="analytics-beacon"),
    path("admin/analytics/", dashboard.analytics_dashboard, name="analytics-dashboard"),
    path("admin/analytics.csv", dashboard.analytics_csv, name="analytics-csv"),
]
