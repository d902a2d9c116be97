"""Staff pages of insights."""

from django.urls import URLPattern, URLResolver

app_name = "insights"

urlpatterns: list[URLPattern | URLResolver] = []
