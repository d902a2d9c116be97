from django.urls import URLPattern, URLResolver

app_name = "inquiries_staff"

urlpatterns: list[URLPattern | URLResolver] = []
