"""Staff pages of surveys: forms, submissions, design, results."""

from django.urls import URLPattern, URLResolver, include, path

from senda.surveys import results_urls

app_name = "surveys"

urlpatterns: list[URLPattern | URLResolver] = [
    path("<uuid:survey_id>/results/", include(results_urls)),
]
