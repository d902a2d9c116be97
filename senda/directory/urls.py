"""Staff pages of the directory, mounted at /staff/directory/ (in every page language)."""

from django.urls import path

from senda.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.staff_home, name="staff_home"),
    path("review/", views.review_list, name="review_list"),
    path("stale/", views.stale_list, name="stale_list"),
    path("services/new/", views.service_create, name="service_create"),
    path("services/<uuid:service_id>/", views.service_detail, name="service_detail"),
    path("services/<uuid:service_id>/edit/", views.service_edit, name="service_edit"),
    path("services/<uuid:service_id>/hours/", views.service_hours, name="service_hours"),
    path(
        "services/<uuid:service_id>/locations/add/",
        views.service_location_add,
        name="service_location_add",
    ),
    path(
        "services/<uuid:service_id>/locations/<uuid:location_id>/",
        views.service_hours,
        name="service_location_hours",
    ),
    path(
        "services/<uuid:service_id>/locations/<uuid:location_id>/remove/",
        views.service_location_remove,
        name="service_location_remove",
    ),
    path("services/<uuid:service_id>/submit/", views.service_submit, name="service_submit"),
    path("services/<uuid:service_id>/publish/", views.service_publish, name="service_publish"),
    path("services/<uuid:service_id>/archive/", views.service_archive, name="service_archive"),
    path(
        "services/<uuid:service_id>/return/",
        views.service_return_to_draft,
        name="service_return_to_draft",
    ),
    path("services/<uuid:service_id>/verify/", views.service_verify, name="service_verify"),
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path(
        "organizations/<uuid:organization_id>/edit/",
        views.organization_edit,
        name="organization_edit",
    ),
    path("locations/", views.location_list, name="location_list"),
    path("locations/new/", views.location_create, name="location_create"),
    path("locations/<uuid:location_id>/edit/", views.location_edit, name="location_edit"),
]
