"""Staff pages of the field app: devices registered by workers, revocation."""

from django.urls import URLPattern

app_name = "sync"

urlpatterns: list[URLPattern] = []
