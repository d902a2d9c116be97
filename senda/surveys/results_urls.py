"""URLs of a survey's results pages (included by urls.py under <survey>/results/)."""

from django.urls import URLPattern, URLResolver, path

from senda.surveys import results_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", results_views.results, name="results"),
    path("print/", results_views.results_print, name="results_print"),
    path("results.csv", results_views.results_csv, name="results_csv"),
    path("comparison/", results_views.comparison, name="results_comparison"),
    path("comparison.csv", results_views.comparison_csv, name="results_comparison_csv"),
]
