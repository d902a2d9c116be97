"""Staff pages of insights: dashboard, indicators, donor reports, exports."""

from django.urls import URLPattern, URLResolver, include, path

from senda.insights import dashboard_urls, export_urls, indicator_urls, report_urls

app_name = "insights"

urlpatterns: list[URLPattern | URLResolver] = [
    *dashboard_urls.urlpatterns,
    path("indicators/", include(indicator_urls)),
    path("reports/", include(report_urls)),
    path("exports/", include(export_urls)),
]
