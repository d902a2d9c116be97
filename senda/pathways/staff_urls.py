from django.urls import URLPattern, URLResolver, path

from senda.pathways import views

app_name = "pathways_staff"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.staff_home, name="home"),
    path("stale/", views.staff_stale, name="stale"),
    path("channels/new/", views.channel_create, name="channel_create"),
    path("channels/<uuid:channel_id>/", views.channel_edit, name="channel_edit"),
    path("channels/<uuid:channel_id>/where/", views.channel_where, name="channel_where"),
    path("documents/", views.document_list, name="document_list"),
    path("documents/new/", views.document_create, name="document_create"),
    path("documents/<uuid:document_id>/", views.document_edit, name="document_edit"),
    path("explainers/new/", views.explainer_create, name="explainer_create"),
    path("explainers/<uuid:explainer_id>/", views.explainer_edit, name="explainer_edit"),
    path(
        "<str:kind>/<uuid:guide_id>/publish/",
        views.guide_publish,
        name="publish",
    ),
    path("<str:kind>/<uuid:guide_id>/submit/", views.guide_submit, name="submit"),
    path(
        "<str:kind>/<uuid:guide_id>/request-changes/",
        views.guide_request_changes,
        name="request_changes",
    ),
    path("<str:kind>/<uuid:guide_id>/discard/", views.guide_discard, name="discard"),
    path("<str:kind>/<uuid:guide_id>/archive/", views.guide_archive, name="archive"),
    path("<str:kind>/<uuid:guide_id>/verify/", views.guide_verify, name="verify"),
]
