"""Every role of two organisations against every staff endpoint of the directory.

The objects belong to organisation A. A user of A whose role may do the step succeeds; a
role that may not is refused (403 when the page or the step is not for that role, 404 when
the object is invisible to it); every user of B gets 404 for A's objects. A refusal must
leave the database exactly as it was.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client

from senda.accounts.models import Organisation, User
from senda.accounts.roles import CAPABILITIES, Capability, Role
from senda.accounts.testing import login_verified
from senda.core.models import AuditEntry
from senda.directory.models import (
    Accessibility,
    Address,
    CostOption,
    Language,
    Location,
    Organization,
    Phone,
    PublicationStatus,
    RequiredDocument,
    Schedule,
    Service,
    ServiceAtLocation,
    WeeklyOpening,
)
from senda.directory.tests.factories import (
    LocationFactory,
    OrganizationFactory,
    ServiceFactory,
)
from senda.directory.tests.test_staff_views import (
    formset,
    hours_payload,
    service_payload,
    url,
)

EDITORS = {
    role for role, capabilities in CAPABILITIES.items() if Capability.DIRECTORY_EDIT in capabilities
}
REVIEWERS = {
    role
    for role, capabilities in CAPABILITIES.items()
    if Capability.DIRECTORY_PUBLISH in capabilities
}


@dataclass
class World:
    """Organisation A's directory: a provider, a service at one location, a spare location."""

    provider: Organization
    service: Service
    location: Location
    spare_location: Location


@dataclass
class Endpoint:
    name: str
    method: str
    # Which right the step needs: "login", "edit" or "publish".
    needs: str
    # The URL arguments, from the world (none for lists and "new" pages).
    args: Callable[[World], tuple[Any, ...]] = lambda world: ()
    payload: Callable[[World], dict[str, Any]] = lambda world: {}
    # The publication state the service must be in for the step to make sense.
    status: str = PublicationStatus.DRAFT
    # Object pages: a user who cannot see the object gets 404 (lists and new pages: 403).
    on_object: bool = True
    # A create page posted by another organisation's editor: refused by the form (200).
    creates_for_a: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _service(world: World) -> tuple[Any, ...]:
    return (world.service.pk,)


def _service_location(world: World) -> tuple[Any, ...]:
    return (world.service.pk, world.location.pk)


def _edit_payload(world: World) -> dict[str, Any]:
    payload = service_payload(world.provider, name="Renamed service")
    return payload


def _location_payload(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Renamed place",
        "country": "PA",
        "admin_area": "PA0805",
        **formset("phones", []),
        **fields,
    }


ENDPOINTS = [
    Endpoint("staff_home", "GET", "login", on_object=False),
    Endpoint("review_list", "GET", "publish", on_object=False),
    Endpoint("stale_list", "GET", "edit", on_object=False),
    Endpoint("organization_list", "GET", "edit", on_object=False),
    Endpoint("location_list", "GET", "edit", on_object=False),
    Endpoint("service_create", "GET", "edit", on_object=False),
    Endpoint(
        "service_create",
        "POST",
        "edit",
        payload=lambda world: service_payload(world.provider),
        on_object=False,
        creates_for_a=True,
    ),
    Endpoint("organization_create", "GET", "edit", on_object=False),
    Endpoint(
        "organization_create",
        "POST",
        "edit",
        payload=lambda world: {"name": "Nueva clínica"},
        on_object=False,
    ),
    Endpoint("location_create", "GET", "edit", on_object=False),
    Endpoint(
        "location_create",
        "POST",
        "edit",
        payload=lambda world: _location_payload(name="Nuevo lugar"),
        on_object=False,
    ),
    Endpoint("service_detail", "GET", "edit", args=_service),
    Endpoint("service_edit", "GET", "edit", args=_service),
    Endpoint("service_edit", "POST", "edit", args=_service, payload=_edit_payload),
    Endpoint("service_hours", "GET", "edit", args=_service),
    Endpoint(
        "service_hours",
        "POST",
        "edit",
        args=_service,
        payload=lambda world: hours_payload(mo=("09:00", "13:00")),
    ),
    Endpoint("service_location_hours", "GET", "edit", args=_service_location),
    Endpoint(
        "service_location_hours",
        "POST",
        "edit",
        args=_service_location,
        payload=lambda world: hours_payload(tu=("09:00", "13:00")),
    ),
    Endpoint("service_location_add", "GET", "edit", args=_service),
    Endpoint(
        "service_location_add",
        "POST",
        "edit",
        args=_service,
        payload=lambda world: {"existing": str(world.spare_location.pk)},
    ),
    Endpoint("service_location_remove", "POST", "edit", args=_service_location),
    Endpoint("service_submit", "POST", "edit", args=_service),
    Endpoint(
        "service_publish",
        "POST",
        "publish",
        args=_service,
        status=PublicationStatus.PENDING_REVIEW,
    ),
    Endpoint(
        "service_return_to_draft",
        "POST",
        "publish",
        args=_service,
        payload=lambda world: {"note": "Falta el horario"},
        status=PublicationStatus.PENDING_REVIEW,
    ),
    Endpoint(
        "service_archive",
        "POST",
        "publish",
        args=_service,
        status=PublicationStatus.PUBLISHED,
    ),
    Endpoint(
        "service_verify",
        "POST",
        "edit",
        args=_service,
        payload=lambda world: {"source": "Visita"},
    ),
    Endpoint("organization_edit", "GET", "edit", args=lambda world: (world.provider.pk,)),
    Endpoint(
        "organization_edit",
        "POST",
        "edit",
        args=lambda world: (world.provider.pk,),
        payload=lambda world: {"name": "Renamed provider"},
    ),
    Endpoint("location_edit", "GET", "edit", args=lambda world: (world.location.pk,)),
    Endpoint(
        "location_edit",
        "POST",
        "edit",
        args=lambda world: (world.location.pk,),
        payload=lambda world: _location_payload(),
    ),
]


def snapshot() -> dict[str, Any]:
    """Every directory row (with its modification time) and the number of audit entries."""
    models: list[type[Model]] = [
        Organization,
        Service,
        Location,
        ServiceAtLocation,
        Address,
        Phone,
        Schedule,
        CostOption,
        RequiredDocument,
        Language,
        Accessibility,
        WeeklyOpening,
        Service.categories.through,
    ]
    state: dict[str, Any] = {
        model.__name__: sorted(repr(row) for row in model._default_manager.values_list())
        for model in models
    }
    state["audit"] = AuditEntry.objects.count()
    return state


def expected(endpoint: Endpoint, role: str, same_organisation: bool) -> int | str:
    """The status code a user should get, or "ok" for the success of the step."""
    may = {
        "login": True,
        "edit": role in EDITORS,
        "publish": role in REVIEWERS,
    }[endpoint.needs]
    if endpoint.on_object:
        if not same_organisation or role not in EDITORS:
            return 404  # the object is invisible
        return "ok" if may else 403  # seen, but the step is a content editor's
    if not may:
        return 403
    if endpoint.creates_for_a and not same_organisation and endpoint.method == "POST":
        return 200  # the form refuses another organisation's provider
    return "ok"


def _world(organisation: Organisation, status: str) -> World:
    provider = OrganizationFactory.create(owner=organisation, name="Proveedor A")
    location = LocationFactory.create(owner=organisation, organization=provider)
    service = ServiceFactory.create(
        owner=organisation,
        organization=provider,
        publication_status=status,
        assured_date=datetime.date(2020, 1, 1),
        locations=[location],
    )
    spare = LocationFactory.create(owner=organisation, organization=provider)
    return World(provider=provider, service=service, location=location, spare_location=spare)


@pytest.mark.parametrize("same_organisation", [True, False], ids=["org_a", "org_b"])
@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[f"{e.method}-{e.name}" for e in ENDPOINTS])
def test_permission_matrix(
    request: pytest.FixtureRequest,
    client: Client,
    org_a: Organisation,
    endpoint: Endpoint,
    role: str,
    same_organisation: bool,
) -> None:
    # given organisation A's directory and a user of A or of B with this role
    users: dict[str, User] = request.getfixturevalue("users_a" if same_organisation else "users_b")
    world = _world(org_a, endpoint.status)
    login_verified(client, users[role])
    target = url(endpoint.name, *endpoint.args(world))
    before = snapshot()

    # when the user tries the step
    if endpoint.method == "GET":
        response = client.get(target)
    else:
        response = client.post(target, endpoint.payload(world))

    # then the answer is the one for that role, and a refusal changed nothing
    outcome = expected(endpoint, role, same_organisation)
    if outcome == "ok":
        if endpoint.method == "GET":
            assert response.status_code == 200
        else:
            assert response.status_code == 302, response.content.decode()[:2000]
            assert snapshot() != before
    else:
        assert response.status_code == outcome
        assert snapshot() == before


def test_anonymous_users_are_sent_to_log_in(client: Client, org_a: Organisation) -> None:
    world = _world(org_a, PublicationStatus.PENDING_REVIEW)
    before = snapshot()
    for endpoint in ENDPOINTS:
        target = url(endpoint.name, *endpoint.args(world))
        response = (
            client.get(target)
            if endpoint.method == "GET"
            else client.post(target, endpoint.payload(world))
        )
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    assert snapshot() == before


def test_network_editor_reviews_every_organisation(
    client: Client, org_a: Organisation, users_b: dict[str, User]
) -> None:
    # given a content editor of a network-editor organisation (B) and A's waiting service
    org_b = users_b[Role.CONTENT_EDITOR].memberships.get().organisation
    org_b.is_network_editor = True
    org_b.save()
    world = _world(org_a, PublicationStatus.PENDING_REVIEW)
    login_verified(client, users_b[Role.CONTENT_EDITOR])

    # then A's service is on their review list, and they may publish it
    review = client.get(url("review_list"))
    assert list(review.context["services"]) == [world.service]
    assert client.post(url("service_publish", world.service.pk)).status_code == 302
    world.service.refresh_from_db()
    assert world.service.publication_status == PublicationStatus.PUBLISHED

    # while B's other roles still see nothing of A
    login_verified(client, users_b[Role.INFO_POINT_STAFF])
    assert client.get(url("service_detail", world.service.pk)).status_code == 404
