"""The editors' HSDS upload page, mounted at /staff/directory/import/ (in every page language)."""

from django.urls import URLPattern, path

from senda.directory import import_views

app_name = "directory_import"

urlpatterns: list[URLPattern] = [
    path("", import_views.import_home, name="home"),
    path("<uuid:job_id>/", import_views.import_job_detail, name="job"),
]
