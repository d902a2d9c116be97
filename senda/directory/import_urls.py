from django.urls import URLPattern

app_name = "directory_import"

urlpatterns: list[URLPattern] = []
