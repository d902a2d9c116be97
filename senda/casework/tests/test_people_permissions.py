"""Permissions matrix for people: every role of two organisations against every page and API
endpoint of the part. A refusal is a 403/404 (page) or a 4xx with a body (API), and nothing
changes in the database."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.casework.models import ConsentEvent, Person, PersonSearchKey
from senda.casework.tests.factories import PersonFactory
from senda.core.models import AuditEntry

pytestmark = pytest.mark.django_db

REGISTER = {
    "consent_record": True,
    "given_name": "Matrix",
    "sex": "female",
    "community": "migrant",
    "age_group": "30-59",
    "confirm_new": True,
}
# Roles that work with people in their own organisation; the rest see none.
CASE_WORKERS = {
    Role.HEALTH_PROMOTER,
    Role.COMMUNITY_VOLUNTEER,
    Role.INFO_POINT_STAFF,
    Role.SUPERVISOR,
}
PEOPLE_READERS = CASE_WORKERS | {Role.PROGRAMME_OFFICER}


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: Callable[[Person], str]
    data: dict[str, Any]
    # Whether (role, same organisation as the person) may use it on a promoter's person.
    allowed: Callable[[str, bool], bool]
    api: bool = False


def _page(name: str, with_person: bool = True) -> Callable[[Person], str]:
    return lambda p: reverse(f"casework:{name}", args=[p.pk] if with_person else [])


def _sees(role: str, same: bool) -> bool:
    # The promoter's person: seen by roles that see the whole organisation.
    return same and role in {Role.HEALTH_PROMOTER, Role.INFO_POINT_STAFF, Role.PROGRAMME_OFFICER}


def _works(role: str, same: bool) -> bool:
    return same and role in {Role.HEALTH_PROMOTER, Role.INFO_POINT_STAFF}


def _erases(role: str, same: bool) -> bool:
    return same and role == Role.PROGRAMME_OFFICER


def _never(role: str, same: bool) -> bool:
    return False


ENDPOINTS = [
    Endpoint("list", "get", _page("people_list", False), {}, lambda r, s: r in PEOPLE_READERS),
    Endpoint(
        "register",
        "post",
        _page("person_register", False),
        {**REGISTER, "consent_record": "on", "confirm_new": "on"},
        lambda r, s: r in CASE_WORKERS,
    ),
    Endpoint(
        "duplicates", "get", _page("people_duplicates", False), {}, lambda r, s: r == "supervisor"
    ),
    Endpoint("detail", "get", _page("person_detail"), {}, _sees),
    Endpoint(
        "edit",
        "post",
        _page("person_edit"),
        {"given_name": "Changed", "sex": "male", "community": "host", "age_group": "60+"},
        _works,
    ),
    Endpoint(
        "consent",
        "post",
        _page("person_consent"),
        {"scope": "share", "decision": "withdraw"},
        _works,
    ),
    Endpoint("merge", "post", _page("person_merge"), {"confirm": "on"}, _never),
    Endpoint(
        "erase", "post", _page("person_erase"), {"reason": "request", "confirm": "on"}, _erases
    ),
    Endpoint(
        "api list", "get", lambda p: "/api/people", {}, lambda r, s: r in PEOPLE_READERS, True
    ),
    Endpoint(
        "api register",
        "post",
        lambda p: "/api/people",
        REGISTER,
        lambda r, s: r in CASE_WORKERS,
        True,
    ),
    Endpoint(
        "api duplicates",
        "get",
        lambda p: "/api/people/duplicates",
        {},
        lambda r, s: r == "supervisor",
        True,
    ),
    Endpoint("api detail", "get", lambda p: f"/api/people/{p.pk}", {}, _sees, True),
    Endpoint(
        "api update", "patch", lambda p: f"/api/people/{p.pk}", {"given_name": "X"}, _works, True
    ),
    Endpoint(
        "api consent",
        "post",
        lambda p: f"/api/people/{p.pk}/consent",
        {"scope": "share", "granted": False},
        _works,
        True,
    ),
    Endpoint("api merge", "post", lambda p: f"/api/people/{p.pk}/merge", {}, _never, True),
    Endpoint(
        "api erase",
        "post",
        lambda p: f"/api/people/{p.pk}/erase",
        {"reason": "request"},
        _erases,
        True,
    ),
]


def _snapshot() -> tuple[Any, ...]:
    people = sorted(
        (
            str(p.pk),
            p.code,
            p.given_name,
            p.consents_to_share,
            p.erased_at,
            p.merged_into_id,
            p.last_activity_at,
        )
        for p in Person.objects.all()
    )
    writes = AuditEntry.objects.exclude(action__endswith="_read").count()
    return (
        people,
        ConsentEvent.objects.count(),
        PersonSearchKey.objects.count(),
        writes,
    )


def _call(client: Client, endpoint: Endpoint, path: str, data: dict[str, Any]) -> Any:
    if endpoint.api:
        if endpoint.method == "get":
            return client.get(path)
        return getattr(client, endpoint.method)(
            path, json.dumps(data), content_type="application/json"
        )
    return getattr(client, endpoint.method)(path, data)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_every_role_of_both_organisations(
    endpoint: Endpoint,
    org_a: Organisation,
    users_a: dict[str, User],
    users_b: dict[str, User],
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=promoter)
    # For merges: a second record the roles that see the first also see.
    other = PersonFactory.create(organisation=org_a, registered_by=promoter)
    data = dict(endpoint.data)
    if endpoint.name == "merge":
        data["duplicate"] = other.code
    if endpoint.name == "api merge":
        data["duplicate_id"] = str(other.pk)
    for same, users in ((True, users_a), (False, users_b)):
        for role, user in users.items():
            if endpoint.allowed(role, same):
                continue
            before = _snapshot()
            response = _call(login_verified(Client(), user), endpoint, endpoint.path(person), data)
            label = f"{endpoint.name} as {user.username}"
            if endpoint.api:
                assert 400 <= response.status_code < 500, label
                assert response.json()["detail"], label
            else:
                assert response.status_code in (403, 404), (label, response.status_code)
            assert _snapshot() == before, label


def test_allowed_roles_really_get_through(org_a: Organisation, users_a: dict[str, User]) -> None:
    """The matrix's allowed cells are not refusals in disguise (a sample)."""
    person = PersonFactory.create(organisation=org_a, registered_by=users_a[Role.HEALTH_PROMOTER])
    officer = login_verified(Client(), users_a[Role.PROGRAMME_OFFICER])
    assert officer.get(reverse("casework:person_detail", args=[person.pk])).status_code == 200
    assert officer.get(reverse("casework:person_edit", args=[person.pk])).status_code == 404
    staff = login_verified(Client(), users_a[Role.INFO_POINT_STAFF])
    assert staff.get(f"/api/people/{person.pk}").status_code == 200
