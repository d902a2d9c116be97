"""URLs of the insights report pages (included by urls.py, in its namespace)."""

from django.urls import URLPattern, URLResolver, path

from senda.insights import report_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", report_views.report_home, name="reports"),
    path("<int:programme_id>/", report_views.report_detail, name="report"),
    path("<int:programme_id>/narrative/", report_views.report_save, name="report_save"),
    path("<int:programme_id>/print/", report_views.report_print, name="report_print"),
    path("<int:programme_id>/report.xlsx", report_views.report_download, name="report_xlsx"),
]
