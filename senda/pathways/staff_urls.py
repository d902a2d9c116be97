from django.urls import URLPattern, URLResolver

app_name = "pathways_staff"

urlpatterns: list[URLPattern | URLResolver] = []
