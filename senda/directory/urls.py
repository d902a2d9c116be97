from django.urls import path

from senda.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.staff_home, name="staff_home"),
]
