from django.urls import URLPattern, URLResolver, path

from senda.campaigns import views

app_name = "campaigns_short"

# Short links printed under QR codes: /q/<code>, no language prefix.
urlpatterns: list[URLPattern | URLResolver] = [
    path("<str:code>", views.short_link, name="go"),
]
