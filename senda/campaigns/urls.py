from django.urls import URLPattern, URLResolver, path

from senda.campaigns import views

app_name = "campaigns"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.campaign_list, name="list"),
    path("<slug:slug>/", views.landing, name="landing"),
    path("<slug:slug>/theme.css", views.theme_css, name="theme"),
    path("<slug:slug>/logo", views.logo, name="logo"),
]
