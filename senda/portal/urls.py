from django.urls import path

from senda.portal import pwa, views

app_name = "portal"

# Stable, plain paths: printed on posters and QR codes, so they must not change.
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("near/", views.near, name="near"),
    path("services/<uuid:service_id>/", views.service_detail, name="service"),
    path("offline/", pwa.offline, name="offline"),
]
