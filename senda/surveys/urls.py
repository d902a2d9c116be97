"""Staff pages of surveys: forms, submissions, design, results."""

from django.urls import URLPattern, URLResolver, include, path

from senda.surveys import results_urls, views

app_name = "surveys"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_create, name="create"),
    path("<uuid:survey_id>/", views.survey_detail, name="detail"),
    path("<uuid:survey_id>/edit/", views.survey_edit, name="edit"),
    path("<uuid:survey_id>/import/", views.survey_import, name="import"),
    path("<uuid:survey_id>/kobo/", views.survey_kobo, name="kobo"),
    path("<uuid:survey_id>/kobo/pull/", views.survey_pull, name="pull"),
    path("<uuid:survey_id>/design/", views.survey_design, name="design"),
    path("<uuid:survey_id>/results/", include(results_urls)),
]
