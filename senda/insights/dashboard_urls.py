"""URLs of the insights dashboard pages (included by urls.py, in its namespace)."""

from django.urls import URLPattern, URLResolver, path

from senda.insights import dashboard_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", dashboard_views.dashboard_home, name="dashboard"),
    path("programmes/<int:programme_id>/", dashboard_views.dashboard, name="programme_dashboard"),
    path(
        "programmes/<int:programme_id>/table.csv",
        dashboard_views.dashboard_csv,
        name="dashboard_csv",
    ),
    path(
        "programmes/<int:programme_id>/refresh/",
        dashboard_views.dashboard_refresh,
        name="dashboard_refresh",
    ),
]
