from django.urls import URLPattern, URLResolver, path

from senda.campaigns import staff_views

app_name = "campaigns_staff"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", staff_views.campaign_list, name="list"),
    path("new/", staff_views.campaign_create, name="create"),
    path("<int:campaign_id>/", staff_views.campaign_detail, name="detail"),
    path("<int:campaign_id>/edit/", staff_views.campaign_edit, name="edit"),
    path("<int:campaign_id>/status/", staff_views.campaign_status, name="status"),
    path("<int:campaign_id>/placements/", staff_views.placement_create, name="placement_create"),
    path(
        "<int:campaign_id>/placements/<int:placement_id>/deactivate/",
        staff_views.placement_deactivate,
        name="placement_deactivate",
    ),
    path(
        "<int:campaign_id>/placements/<int:placement_id>/qr.png",
        staff_views.placement_qr,
        {"image_format": "png"},
        name="placement_qr_png",
    ),
    path(
        "<int:campaign_id>/placements/<int:placement_id>/qr.svg",
        staff_views.placement_qr,
        {"image_format": "svg"},
        name="placement_qr_svg",
    ),
    path("<int:campaign_id>/reach.csv", staff_views.reach_csv, name="reach_csv"),
]
