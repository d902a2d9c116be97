"""The field app itself (a progressive web app) at /field/ and /en/field/."""

from django.urls import URLPattern

app_name = "fieldapp"

urlpatterns: list[URLPattern] = []
