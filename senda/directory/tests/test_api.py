"""Senda's directory API through the HTTP client: behaviour, bad input, tenancy, permissions."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.accounts.token_actions import api_token_create
from senda.core.models import AuditEntry
from senda.directory.models import (
    Location,
    Organization,
    PublicationStatus,
    Service,
    ServiceAtLocation,
)
from senda.directory.reference import term_id
from senda.directory.tests.factories import (
    LocationFactory,
    OrganizationFactory,
    ServiceFactory,
)

EDITORS = (Role.ORG_ADMIN, Role.CONTENT_EDITOR, Role.INFO_POINT_STAFF, Role.FOCAL_POINT)
PUBLISHERS = (Role.CONTENT_EDITOR,)


class Api:
    """An HTTP client that sends a bearer token and JSON."""

    def __init__(self, user: User, language: str = "en") -> None:
        _, self.token = api_token_create(actor=user, name="tests")
        self.client = Client()
        self.headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}
        self.language = language

    def request(self, method: str, path: str, body: Any = None, raw: bytes | None = None) -> Any:
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return getattr(self.client, method)(
            path,
            data,
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=self.language,
            **self.headers,
        )

    def get(self, path: str) -> Any:
        return self.client.get(path, HTTP_ACCEPT_LANGUAGE=self.language, **self.headers)

    def post(self, path: str, body: Any = None, raw: bytes | None = None) -> Any:
        return self.request("post", path, body, raw)

    def patch(self, path: str, body: Any = None, raw: bytes | None = None) -> Any:
        return self.request("patch", path, body, raw)


@pytest.fixture
def provider_a(org_a: Organisation) -> Organization:
    return OrganizationFactory.create(owner=org_a, name="Centro de Salud A")


@pytest.fixture
def location_a(org_a: Organisation, provider_a: Organization) -> Location:
    return LocationFactory.create(owner=org_a, organization=provider_a, name="Sede A")


@pytest.fixture
def editor_a(users_a: dict[str, User]) -> Api:
    return Api(users_a[Role.CONTENT_EDITOR])


def service_body(provider: Organization, **extra: Any) -> dict[str, Any]:
    return {"name": "Vacunación infantil", "organization_id": str(provider.pk), **extra}


# Creating and changing services.


def test_create_service_as_draft_with_everything(
    editor_a: Api, org_a: Organisation, provider_a: Organization, location_a: Location
) -> None:
    # when a content editor creates a service with categories (code and id) and a location
    response = editor_a.post(
        "/api/services",
        service_body(
            provider_a,
            description="Vacunas para niñas y niños.",
            minimum_age=0,
            maximum_age=12,
            translations={"en": {"name": "Child vaccination"}},
            categories=["health.vaccination", str(term_id("health.primary"))],
            location_ids=[str(location_a.pk)],
        ),
    )
    # then it is a draft of their organisation, with all of that
    assert response.status_code == 201, response.json()
    body = response.json()
    service = Service.objects.get(pk=body["id"])
    assert service.publication_status == PublicationStatus.DRAFT
    assert service.owner == org_a
    assert service.organization == provider_a
    assert service.translations == {"en": {"name": "Child vaccination"}}
    assert {term.code for term in service.categories.all()} == {
        "health.vaccination",
        "health.primary",
    }
    assert list(service.service_at_locations.values_list("location_id", flat=True)) == [
        location_a.pk
    ]
    assert body["publication_status"] == "draft"
    assert body["location_ids"] == [str(location_a.pk)]
    assert {c["code"] for c in body["categories"]} == {"health.vaccination", "health.primary"}
    assert AuditEntry.objects.filter(
        action="directory.service_create", object_id=str(service.pk)
    ).exists()


def test_unknown_references_answer_422_and_save_nothing(
    editor_a: Api, provider_a: Organization, org_b: Organisation
) -> None:
    location_b = LocationFactory.create(owner=org_b)
    response = editor_a.post(
        "/api/services",
        service_body(
            provider_a,
            categories=["health.vaccination", "no.such.code"],
            location_ids=[str(location_b.pk)],
        ),
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["categories"] == ["Unknown category: no.such.code."]
    assert "location_ids" in errors  # another organisation's location is not usable
    assert not Service.objects.exists()


def test_provider_of_another_organisation_is_refused(editor_a: Api, org_b: Organisation) -> None:
    provider_b = OrganizationFactory.create(owner=org_b)
    response = editor_a.post("/api/services", service_body(provider_b))
    assert response.status_code == 422
    assert "organization_id" in response.json()["errors"]
    assert not Service.objects.exists()


def test_patch_changes_only_the_fields_sent(
    editor_a: Api, org_a: Organisation, provider_a: Organization
) -> None:
    service = ServiceFactory.create(
        owner=org_a,
        organization=provider_a,
        name="Consulta",
        description="Antes",
        categories=["health.primary"],
    )
    response = editor_a.patch(
        f"/api/services/{service.pk}",
        {"description": "Después", "translations": {"en": {"description": "After"}}},
    )
    assert response.status_code == 200, response.json()
    service.refresh_from_db()
    assert service.name == "Consulta"
    assert service.description == "Después"
    assert service.translations == {"en": {"description": "After"}}
    assert [term.code for term in service.categories.all()] == ["health.primary"]
    assert response.json()["description"] == "Después"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"status": "closed"}, "status"),
        ({"minimum_age": 10, "maximum_age": 5}, "maximum_age"),
        ({"email": "not-an-email"}, "email"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"organization_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7"}, "organization_id"),
        ({"translations": {"EN!": {"name": "x"}}}, "translations"),
    ],
)
def test_patch_refuses_bad_values_with_the_field_named(
    editor_a: Api, org_a: Organisation, provider_a: Organization, body: dict[str, Any], field: str
) -> None:
    service = ServiceFactory.create(owner=org_a, organization=provider_a, name="Consulta")
    response = editor_a.patch(f"/api/services/{service.pk}", body)
    assert response.status_code == 422
    assert field in response.json()["errors"], response.json()
    service.refresh_from_db()
    assert service.name == "Consulta"
    assert service.status == "active"


def test_service_details_phones_costs_documents_languages_hours(
    editor_a: Api, provider_a: Organization
) -> None:
    # when a service is created with its details
    response = editor_a.post(
        "/api/services",
        service_body(
            provider_a,
            phones=[{"number": "+507 6000-0000", "type": "cell", "whatsapp": True}],
            cost_options=[{"option": "Consulta", "amount": "0", "currency": "USD"}],
            required_documents=[
                {"document": "Pasaporte", "translations": {"en": {"document": "Passport"}}}
            ],
            languages=["es", "en"],
            hours=[
                {"weekday": 0, "opens_at": "08:00", "closes_at": "16:00"},
                {"weekday": 1, "opens_at": "08:00", "closes_at": "16:00"},
            ],
        ),
    )
    # then they are stored and shown, and a zero cost makes it free
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["is_free"] is True
    assert [phone["number"] for phone in body["phones"]] == ["+507 6000-0000"]
    assert body["phones"][0]["whatsapp"] is True
    assert body["required_documents"][0]["translations"] == {"en": {"document": "Passport"}}
    assert sorted(body["languages"]) == ["en", "es"]
    assert body["hours"] == [
        {"weekday": 0, "opens_at": "08:00:00", "closes_at": "16:00:00"},
        {"weekday": 1, "opens_at": "08:00:00", "closes_at": "16:00:00"},
    ]
    # when a phone is sent back with its id, it is updated in place
    phone_id = body["phones"][0]["id"]
    response = editor_a.patch(
        f"/api/services/{body['id']}",
        {"phones": [{"id": phone_id, "number": "+507 6000-1111", "type": "voice"}]},
    )
    assert response.status_code == 200, response.json()
    assert [(p["id"], p["number"]) for p in response.json()["phones"]] == [
        (phone_id, "+507 6000-1111")
    ]
    assert response.json()["required_documents"]  # lists not sent are kept


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phones": [{"number": "call me"}]}, "phones.0.number"),
        ({"phones": [{"type": "voice"}]}, "phones.0.number"),
        ({"cost_options": [{"amount": "-1"}]}, "cost_options.0.amount"),
        ({"cost_options": [{"amount": "5", "currency": "dollars"}]}, "cost_options.0.currency"),
        ({"hours": [{"weekday": 0, "opens_at": "16:00", "closes_at": "08:00"}]}, "hours.0"),
        ({"hours": [{"weekday": 9, "opens_at": "08:00", "closes_at": "16:00"}]}, "hours.0.weekday"),
        ({"languages": ["Spanish!"]}, "languages.0"),
        ({"required_documents": [{"document": ""}]}, "required_documents.0.document"),
    ],
)
def test_bad_details_name_the_row_and_field(
    editor_a: Api, org_a: Organisation, provider_a: Organization, body: dict[str, Any], field: str
) -> None:
    service = ServiceFactory.create(owner=org_a, organization=provider_a)
    response = editor_a.patch(f"/api/services/{service.pk}", body)
    assert response.status_code == 422
    assert field in response.json()["errors"], response.json()
    assert not service.phones.exists()
    assert not service.cost_options.exists()


# Reading.


def test_list_filters_searches_and_paginates(
    editor_a: Api, org_a: Organisation, org_b: Organisation, provider_a: Organization
) -> None:
    ServiceFactory.create(owner=org_a, organization=provider_a, name="Vacunación")
    ServiceFactory.create(
        owner=org_a, organization=provider_a, name="Asesoría legal", published=True
    )
    ServiceFactory.create(owner=org_b, name="Vacunación en B")
    # accent- and case-insensitive search, only their organisation's services
    body = editor_a.get("/api/services?q=VACUNACION").json()
    assert [item["name"] for item in body["items"]] == ["Vacunación"]
    assert body["count"] == 1
    body = editor_a.get("/api/services?publication_status=published").json()
    assert [item["name"] for item in body["items"]] == ["Asesoría legal"]
    body = editor_a.get("/api/services?page_size=1&page=2").json()
    assert body["count"] == 2
    assert [item["name"] for item in body["items"]] == ["Vacunación"]
    for bad in ["publication_status=gone", f"page={10**30}", "page=0", "page_size=0", "q=%00"]:
        response = editor_a.get(f"/api/services?{bad}")
        assert response.status_code == 422, bad
        assert response.json()["errors"], bad


def _count_queries(api: Api, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("path", ["/api/services", "/api/locations", "/api/organizations"])
def test_lists_take_the_same_number_of_queries_for_1_or_15_rows(
    editor_a: Api, org_a: Organisation, provider_a: Organization, path: str
) -> None:
    def add_one() -> None:
        location = LocationFactory.create(owner=org_a, organization=provider_a)
        ServiceFactory.create(
            owner=org_a,
            organization=provider_a,
            categories=["health.vaccination", "legal"],
            locations=[location],
        )

    add_one()
    editor_a.get(path)  # the first request of a token records its use
    few = _count_queries(editor_a, path)
    for _ in range(14):
        add_one()
    assert _count_queries(editor_a, path) == few
    assert few <= 12  # auth (3), count, page, one per prefetched collection


def test_get_other_organisations_service_is_not_found(editor_a: Api, org_b: Organisation) -> None:
    service_b = ServiceFactory.create(owner=org_b)
    assert editor_a.get(f"/api/services/{service_b.pk}").status_code == 404
    response = editor_a.patch(f"/api/services/{service_b.pk}", {"name": "Mine"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": {}}
    service_b.refresh_from_db()
    assert service_b.name != "Mine"
    location_b = LocationFactory.create(owner=org_b)
    assert editor_a.get(f"/api/locations/{location_b.pk}").status_code == 404
    assert editor_a.get("/api/services/not-a-uuid").status_code == 422


def test_taxonomy_is_public_and_translated(db: None) -> None:
    client = Client()
    english = client.get("/api/taxonomy-terms?parent=health", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200
    assert english["Content-Language"] == "en"
    by_code = {term["code"]: term for term in english.json()}
    assert by_code["health.vaccination"]["name"] == "Vaccination"
    assert all(term["parent_code"] == "health" for term in english.json())
    assert client.get("/api/taxonomy-terms?parent=nothing").status_code == 404


# The review workflow.


def test_workflow_submit_publish_archive_and_return_with_note(
    users_a: dict[str, User], org_a: Organisation, provider_a: Organization
) -> None:
    author = Api(users_a[Role.INFO_POINT_STAFF])
    reviewer = Api(users_a[Role.CONTENT_EDITOR])
    service = ServiceFactory.create(owner=org_a, organization=provider_a)
    path = f"/api/services/{service.pk}"

    assert author.post(f"{path}/submit").json()["publication_status"] == "pending_review"
    # the author may not publish: they see the service, so 403 (not 404)
    assert author.post(f"{path}/publish").status_code == 403
    response = reviewer.post(f"{path}/return-to-draft", {"note": "Add the opening hours."})
    assert response.json()["publication_status"] == "draft"
    entry = AuditEntry.objects.get(action="directory.service_draft", object_id=str(service.pk))
    assert entry.details["note"] == "Add the opening hours."

    assert author.post(f"{path}/submit").status_code == 200
    assert reviewer.post(f"{path}/publish", {}).json()["publication_status"] == "published"
    assert reviewer.post(f"{path}/archive").json()["publication_status"] == "archived"


def test_invalid_transition_answers_422_with_a_message(
    editor_a: Api, org_a: Organisation, provider_a: Organization
) -> None:
    service = ServiceFactory.create(owner=org_a, organization=provider_a, published=True)
    response = editor_a.post(f"/api/services/{service.pk}/submit")
    assert response.status_code == 422
    assert "cannot become" in response.json()["detail"]
    service.refresh_from_db()
    assert service.publication_status == PublicationStatus.PUBLISHED


def test_mark_verified(editor_a: Api, org_a: Organisation, provider_a: Organization) -> None:
    service = ServiceFactory.create(owner=org_a, organization=provider_a, assured_date=None)
    response = editor_a.post(
        f"/api/services/{service.pk}/verify", {"source": "Visit to the centre"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["assured_date"] == timezone.localdate().isoformat()
    assert body["verified_by"] == "a-content_editor"
    assert body["source"] == "Visit to the centre"
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = editor_a.post(
        f"/api/services/{service.pk}/verify", {"verified_on": tomorrow.isoformat()}
    )
    assert response.status_code == 422
    assert "assured_date" in response.json()["errors"]


# Locations and provider organisations.


def test_create_and_change_a_location(
    editor_a: Api, org_a: Organisation, provider_a: Organization
) -> None:
    response = editor_a.post(
        "/api/locations",
        {
            "name": "Centro de Salud de Belisario Porras",
            "latitude": 9.07,
            "longitude": -79.49,
            "admin_area": "PA0805",
            "organization_id": str(provider_a.pk),
            "translations": {"en": {"name": "Belisario Porras Health Centre"}},
            "addresses": [
                {
                    "address_1": "Vía Domingo Díaz",
                    "city": "San Miguelito",
                    "state_province": "Panamá",
                    "country": "PA",
                }
            ],
            "phones": [{"number": "+507 500-0000"}],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["country"] == "PA"  # from the area
    assert body["admin_area"] == "PA0805"
    assert body["timezone"] == "America/Panama"
    assert [address["city"] for address in body["addresses"]] == ["San Miguelito"]
    assert [phone["number"] for phone in body["phones"]] == ["+507 500-0000"]
    location = Location.objects.get(pk=body["id"])
    assert location.owner == org_a
    assert location.grid_cell is not None

    response = editor_a.patch(
        f"/api/locations/{location.pk}", {"latitude": None, "longitude": None}
    )
    assert response.status_code == 200
    location.refresh_from_db()
    assert location.latitude is None
    assert location.grid_cell is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Sin longitud", "latitude": 9.0}, "longitude"),
        ({"name": "Lejos", "latitude": 91, "longitude": 0}, "latitude"),
        ({"name": "Área", "admin_area": "XX999"}, "admin_area"),
        ({"name": "País", "country": "ZZ"}, "country"),
        ({"name": "Mezcla", "country": "MX", "admin_area": "PA0805"}, "admin_area"),
        ({"name": "Tipo", "location_type": "boat"}, "location_type"),
    ],
)
def test_bad_location_input_names_the_field(
    editor_a: Api, body: dict[str, Any], field: str
) -> None:
    response = editor_a.post("/api/locations", body)
    assert response.status_code == 422
    assert field in response.json()["errors"], response.json()
    assert not Location.objects.exists()


def test_create_and_list_provider_organisations(
    editor_a: Api, org_a: Organisation, org_b: Organisation
) -> None:
    OrganizationFactory.create(owner=org_b, name="Not theirs")
    response = editor_a.post(
        "/api/organizations",
        {
            "name": "Clínica Comunitaria",
            "description": "Atención primaria.",
            "website": "https://clinica.example.org",
            "translations": {"en": {"description": "Primary care."}},
        },
    )
    assert response.status_code == 201, response.json()
    assert Organization.objects.get(pk=response.json()["id"]).owner == org_a
    listed = editor_a.get("/api/organizations").json()
    assert [item["name"] for item in listed["items"]] == ["Clínica Comunitaria"]


# Bad input on every write endpoint: 4xx with a JSON body, never 500, nothing saved.

GARBAGE: list[bytes] = [
    b"{not json",
    b"[1, 2]",
    b'"text"',
    b"123",
    b"\xff\xfe\x00",
    b"[" * 50_000,
    b'{"latitude": NaN, "longitude": 1}',
    b"a=b&c=d",
    json.dumps({"bogus": 1}).encode(),
    json.dumps({"name": 12}).encode(),
    json.dumps({"name": ["x"]}).encode(),
    json.dumps({"name": "bad\u0000byte"}).encode(),
    json.dumps({"name": "x" * 5000}).encode(),
    json.dumps({"translations": "x"}).encode(),
    json.dumps({"translations": {"en": {"bogus": "x"}}}).encode(),
    json.dumps({"categories": ["no.such.code"]}).encode(),
    json.dumps({"location_ids": ["not-a-uuid"]}).encode(),
    json.dumps({"latitude": 10, "longitude": None}).encode(),
    json.dumps({"latitude": "north", "longitude": 1}).encode(),
    json.dumps({"note": 5}).encode(),
    json.dumps({"verified_on": "yesterday"}).encode(),
    json.dumps({"owner_id": "x", "name": "x"}).encode(),
    json.dumps({"minimum_age": -1}).encode(),
    json.dumps({"year_incorporated": 10**30}).encode(),
    json.dumps({"phones": "+507 6000-0000"}).encode(),
    json.dumps({"phones": [{"number": "\u0000"}]}).encode(),
    json.dumps({"hours": [{"weekday": 0, "opens_at": "25:00", "closes_at": "x"}]}).encode(),
    json.dumps({"cost_options": [{"amount": "NaN"}]}).encode(),
    json.dumps({"cost_options": [{"amount": "1e30", "currency": "USD"}]}).encode(),
    json.dumps({"addresses": [{"address_1": "Calle 1"}]}).encode(),
    json.dumps({"languages": [None]}).encode(),
]


@dataclass
class World:
    org_a: Organisation
    provider: Organization
    location: Location
    service: Service


@pytest.fixture
def world(org_a: Organisation, provider_a: Organization, location_a: Location) -> World:
    service = ServiceFactory.create(
        owner=org_a, organization=provider_a, name="Original", locations=[location_a]
    )
    return World(org_a=org_a, provider=provider_a, location=location_a, service=service)


def snapshot(world: World) -> tuple[Any, ...]:
    """Everything a refused request must leave as it was."""
    service = Service.objects.get(pk=world.service.pk)
    location = Location.objects.get(pk=world.location.pk)
    return (
        Service.objects.count(),
        Location.objects.count(),
        Organization.objects.count(),
        ServiceAtLocation.objects.count(),
        AuditEntry.objects.exclude(action="accounts.api_token_create").count(),
        service.name,
        service.publication_status,
        service.assured_date,
        service.updated_at,
        location.name,
        location.latitude,
        location.updated_at,
    )


# (method, path template, start state of the service, a valid body)
WRITE_ENDPOINTS: dict[str, tuple[str, str, str, Any]] = {
    "service_create": ("post", "/api/services", "draft", "service"),
    "service_update": ("patch", "/api/services/{service}", "draft", {"name": "Changed"}),
    "service_submit": ("post", "/api/services/{service}/submit", "draft", None),
    "service_publish": ("post", "/api/services/{service}/publish", "pending_review", None),
    "service_return_to_draft": (
        "post",
        "/api/services/{service}/return-to-draft",
        "pending_review",
        {"note": "Check the hours."},
    ),
    "service_archive": ("post", "/api/services/{service}/archive", "published", None),
    "service_verify": ("post", "/api/services/{service}/verify", "draft", {}),
    "location_create": ("post", "/api/locations", "draft", {"name": "New place"}),
    "location_update": ("patch", "/api/locations/{location}", "draft", {"name": "Moved"}),
    "organization_create": (
        "post",
        "/api/organizations",
        "draft",
        {"name": "New provider", "description": "x"},
    ),
}
PUBLISH_ENDPOINTS = {"service_publish", "service_return_to_draft", "service_archive"}
CREATE_ENDPOINTS = {"service_create", "location_create", "organization_create"}


def _path(template: str, world: World) -> str:
    return template.format(service=world.service.pk, location=world.location.pk)


def _valid_body(body: Any, world: World) -> Any:
    if body == "service":
        return {"name": "New", "organization_id": str(world.provider.pk)}
    return body


@pytest.mark.parametrize("endpoint", sorted(WRITE_ENDPOINTS))
def test_garbage_on_every_write_endpoint_answers_4xx(
    world: World, editor_a: Api, endpoint: str
) -> None:
    method, template, state, _ = WRITE_ENDPOINTS[endpoint]
    Service.objects.filter(pk=world.service.pk).update(publication_status=state)
    before = snapshot(world)
    for raw in GARBAGE:
        response = editor_a.request(method, _path(template, world), raw=raw)
        assert 400 <= response.status_code < 500, (raw[:60], response.status_code)
        body = response.json()
        assert body["detail"], raw[:60]
        assert isinstance(body["errors"], dict)
    assert snapshot(world) == before


# Permission matrix: every role of both organisations against every write endpoint.


def _expected(endpoint: str, organisation: str, role: str) -> int | None:
    """The refusal code, or None when the role may do it."""
    if organisation == "a":
        if endpoint in PUBLISH_ENDPOINTS:
            if role in PUBLISHERS:
                return None
            return 403 if role in EDITORS else 404
        if role in EDITORS:
            return None
    return 403 if endpoint in CREATE_ENDPOINTS else 404


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("organisation", ["a", "b"])
@pytest.mark.parametrize("endpoint", sorted(WRITE_ENDPOINTS))
def test_permission_matrix(
    world: World,
    users_a: dict[str, User],
    users_b: dict[str, User],
    endpoint: str,
    organisation: str,
    role: str,
) -> None:
    # given a service of organisation A in the state the endpoint starts from
    method, template, state, body = WRITE_ENDPOINTS[endpoint]
    Service.objects.filter(pk=world.service.pk).update(publication_status=state)
    if endpoint in CREATE_ENDPOINTS:
        body = {**_valid_body(body, world), "owner_id": str(world.org_a.pk)}
    api = Api((users_a if organisation == "a" else users_b)[role])
    before = snapshot(world)
    # when the user tries it
    response = api.request(method, _path(template, world), _valid_body(body, world))
    # then it works for the roles that may, and is refused, changing nothing, for the others
    refusal = _expected(endpoint, organisation, role)
    if refusal is None:
        assert response.status_code in (200, 201), response.json()
    else:
        assert response.status_code == refusal, response.json()
        assert response.json()["detail"]
        assert snapshot(world) == before


def test_network_editors_publish_every_organisations_services(
    world: World, org_b: Organisation, users_b: dict[str, User]
) -> None:
    org_b.is_network_editor = True
    org_b.save()
    Service.objects.filter(pk=world.service.pk).update(
        publication_status=PublicationStatus.PENDING_REVIEW
    )
    response = Api(users_b[Role.CONTENT_EDITOR]).post(f"/api/services/{world.service.pk}/publish")
    assert response.status_code == 200
    world.service.refresh_from_db()
    assert world.service.publication_status == PublicationStatus.PUBLISHED
    # other roles of the network organisation are not network editors
    assert Api(users_b[Role.ORG_ADMIN]).get(f"/api/services/{world.service.pk}").status_code == 404


# Authentication: session with CSRF for the browser, tokens for devices.


def test_anonymous_is_refused_with_401(world: World) -> None:
    client = Client()
    assert client.get("/api/services").status_code == 401
    response = client.post(
        "/api/services", _valid_body("service", world), content_type="application/json"
    )
    assert response.status_code in (401, 403)
    assert Service.objects.count() == 1


def test_session_writes_need_the_csrf_token(world: World, users_a: dict[str, User]) -> None:
    client = Client(enforce_csrf_checks=True)
    login_verified(client, users_a[Role.CONTENT_EDITOR])
    body = json.dumps(_valid_body("service", world))
    # reads need no CSRF token
    assert client.get("/api/services").status_code == 200
    # a write without the CSRF token is refused, and nothing is created
    response = client.post("/api/services", body, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert Service.objects.count() == 1
    # with the token from the cookie it works
    client.get("/api/docs")  # the docs page hands out the CSRF cookie
    csrf_token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/services", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf_token
    )
    assert response.status_code == 201
    assert Service.objects.count() == 2


def test_token_writes_need_no_csrf_token(world: World, users_a: dict[str, User]) -> None:
    api = Api(users_a[Role.CONTENT_EDITOR])
    api.client = Client(enforce_csrf_checks=True)
    response = api.post("/api/services", _valid_body("service", world))
    assert response.status_code == 201


def test_errors_answer_in_the_callers_language(world: World, users_a: dict[str, User]) -> None:
    english = Api(users_a[Role.CONTENT_EDITOR], language="en")
    response = english.patch(f"/api/services/{world.service.pk}", {"name": None})
    assert response["Content-Language"] == "en"
    assert response.json()["errors"]["name"] == ["Enter text."]
    spanish = Api(users_a[Role.CONTENT_EDITOR], language="es")
    response = spanish.patch(f"/api/services/{world.service.pk}", {"name": None})
    assert response.status_code == 422
    assert response["Content-Language"] == "es"


def test_a_django_validation_error_also_answers_422(rf: Any) -> None:
    from django.core.exceptions import ValidationError as DjangoValidationError

    from config.api import django_validation_error

    response = django_validation_error(
        rf.get("/api/services"), DjangoValidationError({"url": ["Enter a valid URL."]})
    )
    assert response.status_code == 422
    assert json.loads(response.content) == {
        "detail": "Enter a valid URL.",
        "errors": {"url": ["Enter a valid URL."]},
    }
