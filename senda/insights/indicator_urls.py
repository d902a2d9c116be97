"""URLs of the insights indicator pages (included by urls.py, in its namespace)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
