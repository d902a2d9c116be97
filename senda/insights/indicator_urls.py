"""URLs of the insights indicator pages (included by urls.py, in its namespace)."""

from django.urls import URLPattern, URLResolver, path

from senda.insights import indicator_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", indicator_views.indicator_list, name="indicator_list"),
    path("new/", indicator_views.indicator_create, name="indicator_create"),
    path("<int:indicator_id>/", indicator_views.indicator_edit, name="indicator_edit"),
    path(
        "<int:indicator_id>/archive/", indicator_views.indicator_archive, name="indicator_archive"
    ),
    path(
        "<int:indicator_id>/restore/", indicator_views.indicator_restore, name="indicator_restore"
    ),
    path("programmes/", indicator_views.programme_list, name="programme_manage_list"),
    path("programmes/new/", indicator_views.programme_create, name="programme_manage_create"),
    path(
        "programmes/<int:programme_id>/",
        indicator_views.programme_edit,
        name="programme_manage_edit",
    ),
]
