from django.urls import URLPattern, URLResolver, path

from senda.inquiries import views

app_name = "inquiries_staff"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.inbox, name="inbox"),
    path("<uuid:inquiry_id>/", views.detail, name="detail"),
    path("<uuid:inquiry_id>/assign/", views.assign, name="assign"),
    path("<uuid:inquiry_id>/reply/", views.reply, name="reply"),
    path("<uuid:inquiry_id>/note/", views.note, name="note"),
    path("<uuid:inquiry_id>/close/", views.close, name="close"),
]
