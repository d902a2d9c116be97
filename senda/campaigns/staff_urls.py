from django.urls import URLPattern, URLResolver

app_name = "campaigns_staff"

urlpatterns: list[URLPattern | URLResolver] = []
