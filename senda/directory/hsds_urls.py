"""The read-only HSDS 3.0 API, included at /hsds/ (no language prefix)."""

from django.urls import URLPattern, path, re_path

from senda.directory import hsds_api

app_name = "hsds"

urlpatterns: list[URLPattern] = [
    path("", hsds_api.meta, name="meta"),
    path("schema/openapi.json", hsds_api.openapi, name="openapi"),
    path("schema/<path:name>", hsds_api.schema_file, name="schema"),
    path("services", hsds_api.services, name="services"),
    path("services/<str:id>", hsds_api.service_detail, name="service"),
    path("organizations", hsds_api.organizations, name="organizations"),
    path("organizations/<str:id>", hsds_api.organization_detail, name="organization"),
    path("service_at_locations", hsds_api.service_at_locations, name="service_at_locations"),
    path(
        "service_at_locations/<str:id>",
        hsds_api.service_at_location_detail,
        name="service_at_location",
    ),
    path("taxonomies", hsds_api.taxonomies, name="taxonomies"),
    path("taxonomies/<str:id>", hsds_api.taxonomy_detail, name="taxonomy"),
    path("taxonomy_terms", hsds_api.taxonomy_terms, name="taxonomy_terms"),
    path("taxonomy_terms/<str:id>", hsds_api.taxonomy_term_detail, name="taxonomy_term"),
    # Anything else under /hsds/ answers in JSON too.
    re_path(r"^(?P<rest>.*)$", hsds_api.not_found, name="not_found"),
]
