from django.urls import URLPattern, URLResolver, path

from senda.pathways import offline, views

app_name = "pathways"

# Stable, plain paths: printed on posters and shared on WhatsApp, so they must not change.
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("checklist/", views.checklist_view, name="checklist"),
    # Kept by the service worker: answers any checklist address without a connection.
    path("checklist/offline/", offline.checklist_offline, name="checklist_offline"),
    path("opportunities/", views.opportunities, name="opportunities"),
    path("<str:country_code>/", views.country, name="country"),
    path("<str:country_code>/regular-or-irregular/", views.explainer, name="explainer"),
    path("<str:country_code>/<slug:slug>/", views.channel, name="channel"),
]
