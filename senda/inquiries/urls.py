from django.urls import URLPattern, URLResolver, path

from senda.inquiries import views

app_name = "inquiries"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.inquiry_new, name="new"),
    path("thanks/", views.inquiry_thanks, name="thanks"),
]
