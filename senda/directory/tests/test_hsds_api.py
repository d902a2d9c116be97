"""The read-only HSDS API under /hsds/: responses validate against the official OpenAPI."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from senda.directory.hsds.validate import object_errors, response_errors
from senda.directory.hsds_api import DEFAULT_PER_PAGE
from senda.directory.models import Location, Service, TaxonomyTerm
from senda.directory.reference import SENDA_TAXONOMY_ID
from senda.directory.tests.factories import (
    LocationFactory,
    OrganizationFactory,
    ServiceFactory,
    category,
)
from senda.directory.tests.test_hsds_export import Directory, build_directory

PAGE_KEYS = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}


@pytest.fixture
def directory(db: None) -> Directory:
    return build_directory()


def get(client: Client, url: str, **headers: str) -> Any:
    response = client.get(url, headers=headers)
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response


def assert_response_valid(body: Any, path: str) -> None:
    errors = response_errors(body, path)
    assert not errors, "\n".join(str(error) for error in errors)


def assert_page(body: Any, path: str) -> None:
    assert set(body) == PAGE_KEYS
    assert_response_valid(body, path)


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["contents"]]


# Meta information and the OpenAPI document.


def test_meta_information_names_the_version_and_the_openapi_document(
    client: Client, db: None
) -> None:
    body = get(client, "/hsds/").json()

    assert_response_valid(body, "/")
    assert body["version"] == "3.0"
    assert body["openapi_url"] == "http://testserver/hsds/schema/openapi.json"
    document = get(client, "/hsds/schema/openapi.json").json()
    assert document["info"]["title"] == "Senda HSDS API"
    assert document["servers"] == [{"url": "http://testserver/hsds"}]
    assert "/services" in document["paths"]


def test_the_schema_files_the_openapi_document_refers_to_are_served(
    client: Client, db: None
) -> None:
    response = client.get("/hsds/schema/service.json")
    listing = client.get("/hsds/schema/compiled/service_list.json")

    assert response.status_code == 200
    assert json.loads(response.content)["name"] == "service"
    assert listing.status_code == 200
    assert client.get("/hsds/schema/../../settings.py").status_code == 404


# Services.


def test_services_lists_published_services_as_a_valid_page(
    client: Client, directory: Directory
) -> None:
    body = get(client, "/hsds/services").json()

    assert_page(body, "/services")
    assert ids(body) == [str(directory.service.pk)]
    assert body["total_items"] == 1
    assert body["total_pages"] == 1
    assert body["page_number"] == 1
    assert body["size"] == 1
    assert body["first_page"] is True
    assert body["last_page"] is True
    assert body["empty"] is False
    item = body["contents"][0]
    assert item["organization"]["id"] == str(directory.organization.pk)
    assert "service_at_locations" not in item  # one-to-one fields only unless full=true


def test_services_full_gives_fully_nested_services(client: Client, directory: Directory) -> None:
    body = get(client, "/hsds/services?full=true").json()

    assert_page(body, "/services")
    [item] = body["contents"]
    assert not object_errors(item, "service")
    assert item["service_at_locations"][0]["location"]["id"] == str(directory.location.pk)
    assert item["attributes"][0]["taxonomy_term"]["code"] == "health.vaccination"


def test_services_minimal_gives_ids_and_modification_dates(
    client: Client, directory: Directory
) -> None:
    body = get(client, "/hsds/services?minimal=true").json()

    assert_page(body, "/services")
    assert set(body["contents"][0]) == {"id", "name", "status", "last_modified"}


def test_services_pages(client: Client, db: None) -> None:
    names = ["Alfa", "Beta", "Gamma"]
    for name in names:
        ServiceFactory.create(published=True, name=name)

    first = get(client, "/hsds/services?per_page=2").json()
    second = get(client, "/hsds/services?per_page=2&page=2").json()
    beyond = get(client, "/hsds/services?per_page=2&page=9").json()

    for body in (first, second, beyond):
        assert_page(body, "/services")
    assert [item["name"] for item in first["contents"]] == ["Alfa", "Beta"]
    assert (first["total_pages"], first["first_page"], first["last_page"]) == (2, True, False)
    assert [item["name"] for item in second["contents"]] == ["Gamma"]
    assert (second["size"], second["first_page"], second["last_page"]) == (1, False, True)
    assert beyond["contents"] == []
    assert beyond["empty"] is True
    assert beyond["total_items"] == 3


def test_services_with_nothing_published_is_an_empty_page(client: Client, db: None) -> None:
    ServiceFactory.create(name="Borrador")

    body = get(client, "/hsds/services").json()

    assert_page(body, "/services")
    assert (body["total_items"], body["total_pages"], body["empty"]) == (0, 0, True)


def test_services_search_is_accent_insensitive_and_published_only(
    client: Client, directory: Directory
) -> None:
    ServiceFactory.create(published=True, name="Asesoría legal")

    body = get(client, "/hsds/services?search=vacunacion").json()
    draft = get(client, "/hsds/services?search=borrador").json()

    assert_page(body, "/services")
    assert ids(body) == [str(directory.service.pk)]
    assert draft["contents"] == []


def test_services_filter_by_taxonomy_term_including_narrower_terms(
    client: Client, directory: Directory
) -> None:
    legal = ServiceFactory.create(published=True, name="Asesoría", categories=["legal"])
    health = category("health")

    by_parent = get(client, f"/hsds/services?taxonomy_term_id={health.pk}").json()
    by_term = get(client, f"/hsds/services?taxonomy_term_id={category('legal').pk}").json()
    by_taxonomy = get(client, f"/hsds/services?taxonomy_id={SENDA_TAXONOMY_ID}").json()
    other_taxonomy = get(client, f"/hsds/services?taxonomy_id={uuid.uuid4()}").json()

    assert ids(by_parent) == [str(directory.service.pk)]
    assert ids(by_term) == [str(legal.pk)]
    assert set(ids(by_taxonomy)) == {str(directory.service.pk), str(legal.pk)}
    assert other_taxonomy["contents"] == []


def test_services_filter_by_organization(client: Client, directory: Directory) -> None:
    other = ServiceFactory.create(published=True, name="Otro")

    body = get(client, f"/hsds/services?organization_id={other.organization_id}").json()
    searched = get(
        client, f"/hsds/services?organization_id={other.organization_id}&search=vacunacion"
    ).json()

    assert ids(body) == [str(other.pk)]
    assert searched["contents"] == []


def test_services_filter_by_modification_time(client: Client, directory: Directory) -> None:
    long_ago = timezone.now() - datetime.timedelta(days=30)
    Service.objects.filter(pk=directory.service.pk).update(
        updated_at=long_ago, last_modified=long_ago
    )
    Location.objects.update(updated_at=long_ago)
    directory.organization.__class__.objects.update(updated_at=long_ago)
    recent = ServiceFactory.create(published=True, name="Nuevo")
    since = (timezone.now() - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    body = get(client, f"/hsds/services?modified_after={since}").json()
    everything = get(client, "/hsds/services?modified_after=2000-01-01").json()
    searched = get(client, f"/hsds/services?modified_after={since}&search=nuevo").json()

    assert ids(body) == [str(recent.pk)]
    assert len(everything["contents"]) == 2
    assert ids(searched) == [str(recent.pk)]


def test_a_changed_location_counts_as_a_change_of_its_services(
    client: Client, directory: Directory
) -> None:
    long_ago = timezone.now() - datetime.timedelta(days=30)
    Service.objects.update(updated_at=long_ago, last_modified=long_ago)
    directory.organization.__class__.objects.update(updated_at=long_ago)
    directory.location.save()  # updated now
    since = (timezone.now() - datetime.timedelta(days=1)).date().isoformat()

    body = get(client, f"/hsds/services?modified_after={since}").json()

    assert ids(body) == [str(directory.service.pk)]


def test_service_detail_is_the_fully_nested_service(client: Client, directory: Directory) -> None:
    body = get(client, f"/hsds/services/{directory.service.pk}").json()

    assert_response_valid(body, "/services/{id}")
    assert body["id"] == str(directory.service.pk)
    assert body["phones"][0]["number"] == "+507 6111-1111"
    assert body["required_documents"][0]["document"] == "Cédula o pasaporte"


@pytest.mark.parametrize("which", ["draft", "unknown", "malformed"])
def test_service_detail_is_404_for_drafts_unknown_and_malformed_ids(
    client: Client, directory: Directory, which: str
) -> None:
    service_id = {"draft": directory.draft.pk, "unknown": uuid.uuid4(), "malformed": "nope"}[which]

    response = get(client, f"/hsds/services/{service_id}")

    assert response.status_code == 404
    assert response.json()["detail"]


# Bad parameters: 400 naming the parameter.


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/hsds/services?page=abc", "page"),
        ("/hsds/services?page=0", "page"),
        ("/hsds/services?per_page=0", "per_page"),
        ("/hsds/services?per_page=100000", "per_page"),
        ("/hsds/services?modified_after=notadate", "modified_after"),
        ("/hsds/services?modified_after=2024-13-45", "modified_after"),
        ("/hsds/services?taxonomy_term_id=vaccination", "taxonomy_term_id"),
        ("/hsds/services?taxonomy_id=1", "taxonomy_id"),
        ("/hsds/services?organization_id=x", "organization_id"),
        ("/hsds/services?full=maybe", "full"),
        ("/hsds/services?format=xml", "format"),
        ("/hsds/services?lang=english!", "lang"),
        ("/hsds/organizations?full_service=2", "full_service"),
        ("/hsds/organizations/00000000-0000-0000-0000-000000000000?full_service=x", "full_service"),
        ("/hsds/service_at_locations?postcode=0801", "postcode"),
        ("/hsds/service_at_locations?proximity=1000", "proximity"),
        ("/hsds/service_at_locations?page=-1", "page"),
        ("/hsds/taxonomy_terms?parent_id=health", "parent_id"),
        ("/hsds/taxonomy_terms?top_only=perhaps", "top_only"),
        ("/hsds/taxonomies?per_page=two", "per_page"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    client: Client, db: None, url: str, parameter: str
) -> None:
    response = get(client, url)

    assert response.status_code == 400
    body = response.json()
    assert body["parameter"] == parameter
    assert parameter in body["detail"] or body["detail"]


def test_only_get_is_allowed(client: Client, db: None) -> None:
    response = client.post("/hsds/services", data={})

    assert response.status_code == 405
    assert response.json()["detail"]
    assert response["Allow"] == "GET, HEAD"


def test_unknown_endpoints_are_404_in_json(client: Client, db: None) -> None:
    response = get(client, "/hsds/programs")

    assert response.status_code == 404
    assert "openapi.json" in response.json()["detail"]


def test_ndjson_streams_every_result_without_pages(client: Client, directory: Directory) -> None:
    ServiceFactory.create(published=True, name="Otro")

    response = client.get("/hsds/services?format=ndjson&full=true")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-ndjson")
    lines = b"".join(response.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    services = [json.loads(line) for line in lines]
    assert {item["name"] for item in services} == {"Vacunación", "Otro"}
    for item in services:
        assert not object_errors(item, "service")


# Language.


def test_text_is_in_the_records_language_by_default(client: Client, directory: Directory) -> None:
    body = get(client, f"/hsds/services/{directory.service.pk}").json()

    assert body["name"] == "Vacunación"
    assert body["translations"]["en"]["name"] == "Vaccination"


@pytest.mark.parametrize(
    "how", [{"url": "?lang=en"}, {"header": "en-GB,en;q=0.9,es;q=0.5"}, {"url": "?lang=en-US"}]
)
def test_english_on_request_with_spanish_kept_in_translations(
    client: Client, directory: Directory, how: dict[str, str]
) -> None:
    url = f"/hsds/services/{directory.service.pk}{how.get('url', '')}"
    headers = {"Accept-Language": how["header"]} if "header" in how else {}

    response = get(client, url, **headers)
    body = response.json()

    assert_response_valid(body, "/services/{id}")
    assert body["name"] == "Vaccination"
    assert body["translations"]["es"]["name"] == "Vacunación"
    assert body["organization"]["name"] == "Community Clinic"
    assert response["Content-Language"] == "en"
    assert "Accept-Language" in response["Vary"]


@pytest.mark.parametrize("header", ["*", "es-PA,es;q=0.9", "fr;q=0", "not a language"])
def test_accept_language_without_a_usable_other_language_keeps_the_records_language(
    client: Client, directory: Directory, header: str
) -> None:
    body = get(client, f"/hsds/services/{directory.service.pk}", **{"Accept-Language": header})

    assert body.json()["name"] == "Vacunación"


def test_lists_translate_too(client: Client, directory: Directory) -> None:
    services = get(client, "/hsds/services?lang=en").json()
    terms = get(client, "/hsds/taxonomy_terms?lang=en&search=vaccination").json()

    assert services["contents"][0]["name"] == "Vaccination"
    assert terms["contents"][0]["name"] == "Vaccination"
    assert terms["contents"][0]["translations"]["es"]["name"] == "Vacunación"


# Organizations.


def test_organizations_lists_providers_of_published_services(
    client: Client, directory: Directory
) -> None:
    OrganizationFactory.create(name="Sin servicios publicados")

    body = get(client, "/hsds/organizations").json()
    searched = get(client, "/hsds/organizations?search=clinica").json()
    english = get(client, "/hsds/organizations?search=community").json()

    assert_page(body, "/organizations")
    assert ids(body) == [str(directory.organization.pk)]
    assert ids(searched) == [str(directory.organization.pk)]
    assert ids(english) == [str(directory.organization.pk)]
    assert "services" not in body["contents"][0]


@pytest.mark.parametrize("parameter", ["full=true", "full_service=true"])
def test_organizations_full_nests_services(
    client: Client, directory: Directory, parameter: str
) -> None:
    body = get(client, f"/hsds/organizations?{parameter}").json()

    assert_page(body, "/organizations")
    [organization] = body["contents"]
    assert not object_errors(organization, "organization")
    assert [item["id"] for item in organization["services"]] == [str(directory.service.pk)]
    nested_in_full = "service_at_locations" in organization["services"][0]
    assert nested_in_full == (parameter == "full_service=true")


def test_organization_detail(client: Client, directory: Directory) -> None:
    url = f"/hsds/organizations/{directory.organization.pk}"

    simple = get(client, url).json()
    full = get(client, f"{url}?full_service=true").json()

    for body in (simple, full):
        assert_response_valid(body, "/organizations/{id}")
        assert body["locations"][0]["id"] == str(directory.location.pk)
    assert set(simple["services"][0]) >= {"id", "name", "status"}
    assert "service_at_locations" not in simple["services"][0]
    assert full["services"][0]["service_at_locations"]


def test_organization_without_published_services_is_404(client: Client, db: None) -> None:
    draft = ServiceFactory.create(name="Borrador")

    response = get(client, f"/hsds/organizations/{draft.organization_id}")

    assert response.status_code == 404


# Service at locations.


def test_service_at_locations_lists_published_services_places(
    client: Client, directory: Directory
) -> None:
    elsewhere = LocationFactory.create(name="Otro lugar")
    other = ServiceFactory.create(published=True, name="Comedor", locations=[elsewhere])

    body = get(client, "/hsds/service_at_locations").json()
    searched = get(client, "/hsds/service_at_locations?search=comedor").json()
    by_organization = get(
        client, f"/hsds/service_at_locations?organization_id={other.organization_id}"
    ).json()
    by_term = get(
        client, f"/hsds/service_at_locations?taxonomy_term_id={category('health').pk}"
    ).json()

    assert_page(body, "/service_at_locations")
    assert {item["service_id"] for item in body["contents"]} == {
        str(directory.service.pk),
        str(other.pk),
    }
    item = next(row for row in body["contents"] if row["service_id"] == str(other.pk))
    assert item["location"]["name"] == "Otro lugar"
    assert item["service"]["name"] == "Comedor"
    assert [row["service_id"] for row in searched["contents"]] == [str(other.pk)]
    assert [row["service_id"] for row in by_organization["contents"]] == [str(other.pk)]
    assert [row["service_id"] for row in by_term["contents"]] == [str(directory.service.pk)]


def test_service_at_locations_full(client: Client, directory: Directory) -> None:
    body = get(client, "/hsds/service_at_locations?full=true").json()

    assert_page(body, "/service_at_locations")
    [item] = body["contents"]
    assert not object_errors(item, "service_at_location")
    assert item["location"]["addresses"][0]["address_1"] == "Calle 1"


def test_service_at_location_detail(client: Client, directory: Directory) -> None:
    body = get(client, f"/hsds/service_at_locations/{directory.service_at_location.pk}").json()

    # The 3.0 OpenAPI points this response at service.json, but its description and the
    # official example (examples/service_at_location_full.json) are a service_at_location.
    assert not object_errors(body, "service_at_location")
    assert body["id"] == str(directory.service_at_location.pk)
    assert body["location"]["phones"][0]["number"] == "+507 6000-0000"
    assert body["service"]["id"] == str(directory.service.pk)


def test_service_at_location_of_a_draft_is_404(client: Client, directory: Directory) -> None:
    row = directory.draft.service_at_locations.get()

    assert get(client, f"/hsds/service_at_locations/{row.pk}").status_code == 404


# Taxonomies and taxonomy terms.


def test_taxonomies(client: Client, db: None) -> None:
    body = get(client, "/hsds/taxonomies").json()
    searched = get(client, "/hsds/taxonomies?search=senda").json()
    detail = get(client, f"/hsds/taxonomies/{SENDA_TAXONOMY_ID}").json()

    assert_page(body, "/taxonomies")
    assert ids(body) == [str(SENDA_TAXONOMY_ID)]
    assert ids(searched) == [str(SENDA_TAXONOMY_ID)]
    assert_response_valid(detail, "/taxonomies/{id}")
    assert get(client, f"/hsds/taxonomies/{uuid.uuid4()}").status_code == 404


def test_taxonomy_terms_and_their_filters(client: Client, db: None) -> None:
    health = category("health")

    everything = get(client, "/hsds/taxonomy_terms?per_page=200").json()
    top = get(client, "/hsds/taxonomy_terms?top_only=true&per_page=200").json()
    children = get(client, f"/hsds/taxonomy_terms?parent_id={health.pk}").json()
    in_taxonomy = get(client, f"/hsds/taxonomy_terms?taxonomy_id={SENDA_TAXONOMY_ID}").json()
    searched = get(client, "/hsds/taxonomy_terms?search=vacunacion").json()
    detail = get(client, f"/hsds/taxonomy_terms/{health.pk}").json()

    for body in (everything, top, children, in_taxonomy, searched):
        assert_page(body, "/taxonomy_terms")
    assert everything["total_items"] == TaxonomyTerm.objects.count()
    assert top["total_items"] == TaxonomyTerm.objects.filter(parent=None).count()
    assert {item["parent_id"] for item in children["contents"]} == {str(health.pk)}
    assert in_taxonomy["total_items"] == everything["total_items"]
    assert [item["code"] for item in searched["contents"]] == ["health.vaccination"]
    assert_response_valid(detail, "/taxonomy_terms/{id}")
    assert detail["taxonomy_detail"]["id"] == str(SENDA_TAXONOMY_ID)


# Query counts: a page costs the same whatever its size.


def _many(count: int) -> None:
    for number in range(count):
        location = LocationFactory.create(name=f"Lugar {number}")
        ServiceFactory.create(
            published=True,
            name=f"Servicio {number}",
            categories=["health.vaccination"],
            locations=[location],
        )


@pytest.mark.parametrize(
    ("url", "limit"),
    [
        ("/hsds/services", 4),
        ("/hsds/services?full=true", 25),
        ("/hsds/services?search=vacunacion", 6),
        ("/hsds/organizations", 4),
        ("/hsds/organizations?full_service=true", 37),
        ("/hsds/service_at_locations", 4),
        ("/hsds/service_at_locations?full=true", 15),
        ("/hsds/taxonomy_terms", 4),
    ],
)
def test_list_queries_do_not_grow_with_the_page(
    client: Client,
    directory: Directory,
    django_assert_max_num_queries: Any,
    url: str,
    limit: int,
) -> None:
    with CaptureQueriesContext(connection) as one_service:
        get(client, url)
    _many(12)

    # As many queries for a page of many as for a page of one, and never more than ``limit``.
    with django_assert_max_num_queries(min(limit, len(one_service))):
        body = get(client, url).json()

    assert body["size"] == min(DEFAULT_PER_PAGE, body["total_items"]) > 1
