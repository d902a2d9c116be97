"""Field work's staff pages, under /staff/field/ (one module of URLs per part)."""

from __future__ import annotations

from django.urls import URLPattern

from senda.casework import activities_urls, people_urls, referrals_urls, tasks_urls

app_name = "casework"

urlpatterns: list[URLPattern] = [
    *tasks_urls.urlpatterns,
    *people_urls.urlpatterns,
    *referrals_urls.urlpatterns,
    *activities_urls.urlpatterns,
]
