from django.urls import URLPattern, URLResolver

app_name = "campaigns_short"

# Short links printed under QR codes: /q/<code>, no language prefix.
urlpatterns: list[URLPattern | URLResolver] = []
