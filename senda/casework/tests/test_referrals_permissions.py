"""Permissions matrix of referrals: every role of two organisations against every page and
API endpoint. A referral goes from organisation A (a promoter's person) to a centre of
organisation B. Allowed: the answer works. Refused: a 403/404 (with a body on the API) and
nothing changed in the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.casework.models import Referral, ReferralEvent, ReferralStatus
from senda.casework.tests.factories import PersonFactory, ReferralFactory, health_service
from senda.core.models import AuditEntry

pytestmark = pytest.mark.django_db

REFERRERS_A = {"a:" + Role.HEALTH_PROMOTER, "a:" + Role.INFO_POINT_STAFF}
READERS_A = REFERRERS_A | {"a:" + Role.PROGRAMME_OFFICER}
RECEIVERS_B = {"b:" + Role.FOCAL_POINT, "b:" + Role.INFO_POINT_STAFF, "b:" + Role.SUPERVISOR}
RECEIVING_ROLES = {Role.FOCAL_POINT, Role.INFO_POINT_STAFF, Role.SUPERVISOR}
PEOPLE_ROLES = {
    Role.HEALTH_PROMOTER,
    Role.INFO_POINT_STAFF,
    Role.COMMUNITY_VOLUNTEER,
    Role.SUPERVISOR,
    Role.PROGRAMME_OFFICER,
}
EVERY_USER = [f"{org}:{role}" for org in ("a", "b") for role in Role.values]


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: Any  # (world) -> str
    allowed: Any  # (key) -> bool
    body: dict[str, Any] | None = None
    api: bool = False
    writes: bool = False


def _role(key: str) -> str:
    return key.split(":", 1)[1]


def _step_path(step: str) -> Any:
    return lambda world: f"/api/referrals/{world.referral.pk}/{step}"


ENDPOINTS = [
    Endpoint(
        "sent list",
        "get",
        lambda w: reverse("casework:referral_list"),
        lambda k: _role(k) in PEOPLE_ROLES,
    ),
    Endpoint(
        "inbox",
        "get",
        lambda w: reverse("casework:referral_inbox"),
        lambda k: _role(k) in RECEIVING_ROLES,
    ),
    Endpoint(
        "received detail",
        "get",
        lambda w: reverse("casework:referral_received", args=[w.referral.pk]),
        lambda k: k in RECEIVERS_B,
    ),
    Endpoint(
        "step receive",
        "post",
        lambda w: reverse("casework:referral_step", args=[w.referral.pk, "receive"]),
        lambda k: k in RECEIVERS_B,
        writes=True,
    ),
    Endpoint(
        "sent detail",
        "get",
        lambda w: reverse("casework:referral_detail", args=[w.referral.pk]),
        lambda k: k in READERS_A,
    ),
    Endpoint(
        "cancel",
        "post",
        lambda w: reverse("casework:referral_cancel", args=[w.referral.pk]),
        lambda k: k in REFERRERS_A,
        body={"reason": "Se mudó"},
        writes=True,
    ),
    Endpoint(
        "create form",
        "get",
        lambda w: reverse("casework:referral_create", args=[w.person.pk]),
        lambda k: k in REFERRERS_A,
    ),
    Endpoint(
        "create",
        "post",
        lambda w: reverse("casework:referral_create", args=[w.person.pk]),
        lambda k: k in REFERRERS_A,
        body={"reason": "vaccination", "option": "__place__", "urgency": "routine"},
        writes=True,
    ),
    Endpoint(
        "api sent list",
        "get",
        lambda w: "/api/referrals",
        lambda k: _role(k) in PEOPLE_ROLES,
        api=True,
    ),
    Endpoint(
        "api inbox",
        "get",
        lambda w: "/api/referrals/inbox",
        lambda k: _role(k) in RECEIVING_ROLES,
        api=True,
    ),
    Endpoint(
        "api received detail",
        "get",
        lambda w: f"/api/referrals/inbox/{w.referral.pk}",
        lambda k: k in RECEIVERS_B,
        api=True,
    ),
    Endpoint(
        "api sent detail",
        "get",
        lambda w: f"/api/referrals/{w.referral.pk}",
        lambda k: k in READERS_A,
        api=True,
    ),
    Endpoint(
        "api create",
        "post",
        lambda w: "/api/referrals",
        lambda k: k in REFERRERS_A,
        body={"person_id": "__person__", "service_at_location_id": "__place__", "reason": "work"},
        api=True,
        writes=True,
    ),
    *[
        Endpoint(
            f"api {step}",
            "post",
            _step_path(step),
            lambda k: k in RECEIVERS_B,
            body=body,
            api=True,
            writes=True,
        )
        for step, body in (
            ("receive", {}),
            ("accept", {}),
            ("decline", {"reason": "Sin cupo"}),
            ("attend", {}),
            ("close", {"outcome": "served"}),
        )
    ],
    Endpoint(
        "api cancel",
        "post",
        lambda w: f"/api/referrals/{w.referral.pk}/cancel",
        lambda k: k in REFERRERS_A,
        body={"reason": "Se mudó"},
        api=True,
        writes=True,
    ),
]


@dataclass
class World:
    person: Any
    referral: Referral
    place: Any


def _world(users_a: dict[str, User], org_a: Organisation, org_b: Organisation) -> World:
    person = PersonFactory.create(organisation=org_a, registered_by=users_a[Role.HEALTH_PROMOTER])
    place = health_service(org_b)
    referral = ReferralFactory.create(person=person, at=place)
    return World(person=person, referral=referral, place=place)


def _snapshot() -> tuple[Any, ...]:
    return (
        sorted(Referral.objects.values_list("pk", "status", "decline_reason", "outcome")),
        ReferralEvent.objects.count(),
        AuditEntry.objects.exclude(action__endswith="_read").count(),
    )


def _body(endpoint: Endpoint, world: World) -> dict[str, Any]:
    replacements = {"__person__": str(world.person.pk), "__place__": str(world.place.pk)}
    return {key: replacements.get(value, value) for key, value in (endpoint.body or {}).items()}


def _prepare(endpoint: Endpoint, world: World) -> None:
    """Put the referral where the step is allowed, so that a refusal is about who asks."""
    status = {
        "api accept": ReferralStatus.RECEIVED,
        "api decline": ReferralStatus.RECEIVED,
        "api attend": ReferralStatus.ACCEPTED,
        "api close": ReferralStatus.ATTENDED,
    }.get(endpoint.name)
    if status:
        Referral.objects.filter(pk=world.referral.pk).update(status=status)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
@pytest.mark.parametrize("who", EVERY_USER)
def test_every_role_against_every_referral_endpoint(
    who: str,
    endpoint: Endpoint,
    users_a: dict[str, User],
    users_b: dict[str, User],
    org_a: Organisation,
    org_b: Organisation,
) -> None:
    world = _world(users_a, org_a, org_b)
    _prepare(endpoint, world)
    user = (users_a if who.startswith("a:") else users_b)[_role(who)]
    client = login_verified(Client(), user)
    path = endpoint.path(world)
    body = _body(endpoint, world)
    before = _snapshot()

    if endpoint.method == "get":
        response = client.get(path)
    elif endpoint.api:
        response = client.post(path, body, content_type="application/json")
    else:
        response = client.post(path, body)

    if endpoint.allowed(who):
        assert response.status_code in (200, 201, 302), (who, response.status_code)
        if endpoint.writes:
            assert _snapshot() != before
    else:
        assert response.status_code in (403, 404), (who, response.status_code)
        if endpoint.api:
            assert response.json()["detail"]
        assert _snapshot() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_anonymous_is_refused_everywhere(
    endpoint: Endpoint, users_a: dict[str, User], org_a: Organisation, org_b: Organisation
) -> None:
    world = _world(users_a, org_a, org_b)
    before = _snapshot()
    client = Client()
    path = endpoint.path(world)
    if endpoint.method == "get":
        response = client.get(path)
    else:
        response = client.post(path, _body(endpoint, world), content_type="application/json")
    if endpoint.api:
        assert response.status_code == 401
    else:
        assert response.status_code == 302 and "login" in response["Location"]
    assert _snapshot() == before
