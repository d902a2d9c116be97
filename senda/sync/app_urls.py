"""The field app itself (a progressive web app) at /field/ and /en/field/."""

from django.urls import URLPattern, path

from senda.sync import app_views

app_name = "fieldapp"

# Each language's app is its own installable app: its service worker's scope is its address.
urlpatterns: list[URLPattern] = [
    path("", app_views.shell, name="shell"),
    path("manifest.webmanifest", app_views.manifest, name="manifest"),
    path("sw.js", app_views.service_worker, name="service_worker"),
    path("session/", app_views.session, name="session"),
]
