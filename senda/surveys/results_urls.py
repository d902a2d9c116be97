"""URLs of a survey's results pages (included by urls.py under <survey>/results/)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
