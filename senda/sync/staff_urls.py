"""Staff pages of the field app: devices registered by workers, revocation."""

from django.urls import URLPattern, path

from senda.sync import views

app_name = "sync"

urlpatterns: list[URLPattern] = [
    path("", views.device_list, name="device_list"),
    path("<uuid:device_id>/revoke/", views.device_revoke, name="device_revoke"),
]
