"""URLs of the insights export pages (included by urls.py, in its namespace)."""

from django.urls import URLPattern, URLResolver, path

from senda.insights import export_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", export_views.export_home, name="exports"),
    path("indicators.<str:file_format>", export_views.indicator_export, name="export_indicators"),
    path(
        "who-does-what-where.<str:file_format>",
        export_views.who_what_where_export,
        name="export_who_what_where",
    ),
    path("records/", export_views.records_export, name="export_records"),
]
