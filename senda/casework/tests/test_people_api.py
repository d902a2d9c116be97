"""The people API: search, audited detail, register (409 with candidates), update, consent,
merge, erase."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.casework.models import Person
from senda.casework.tests.factories import PersonFactory
from senda.core.models import AuditEntry

pytestmark = pytest.mark.django_db

BODY = {
    "consent_record": True,
    "consent_share": True,
    "given_name": "Wilmer",
    "family_name": "Castillo",
    "phone": "+507 6444-3322",
    "sex": "male",
    "community": "host",
    "year_of_birth": 1979,
    "nationality": "pa",
}


def api(user: User) -> Client:
    return login_verified(Client(enforce_csrf_checks=False), user)


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def test_register_detail_and_search(org_a: Organisation, users_a: dict[str, User]) -> None:
    client = api(users_a[Role.HEALTH_PROMOTER])
    created = post(client, "/api/people", BODY)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["given_name"] == "Wilmer" and body["nationality"] == "PA"
    assert body["age_group"] == "30-59" and body["consents_to_share"]
    person_id = body["id"]
    detail = client.get(f"/api/people/{person_id}")
    assert detail.status_code == 200 and detail.json()["phone"] == "+507 6444-3322"
    assert (
        AuditEntry.objects.filter(action="casework.person_read", object_id=person_id).count() == 2
    )
    found = client.get("/api/people", {"q": "guilmer"})
    assert [item["id"] for item in found.json()["items"]] == [person_id]


def test_register_answers_409_with_candidates(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    existing = PersonFactory.create(organisation=org_a, registered_by=promoter, phone="64443322")
    client = api(promoter)
    conflict = post(client, "/api/people", BODY)
    assert conflict.status_code == 409
    assert conflict.json()["candidates"] == [
        {
            "id": str(existing.pk),
            "code": existing.code,
            "given_name": existing.given_name,
            "year_of_birth": existing.year_of_birth,
            "age_group": existing.age_group,
        }
    ]
    assert Person.objects.count() == 1
    assert post(client, "/api/people", {**BODY, "confirm_new": True}).status_code == 201


def test_register_refusals_are_4xx_with_messages(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    client = api(users_a[Role.HEALTH_PROMOTER])
    no_consent = post(client, "/api/people", {**BODY, "consent_record": False})
    assert no_consent.status_code == 422 and "consent_record" in no_consent.json()["errors"]
    bad = post(client, "/api/people", {**BODY, "area": "XX99", "nationality": "ZZ"})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"area", "nationality"}
    typo = post(client, "/api/people", {**BODY, "givenname": "x"})
    assert typo.status_code == 422
    assert not Person.objects.exists()


def test_update_consent_merge_erase(org_a: Organisation, users_a: dict[str, User]) -> None:
    supervisor = users_a[Role.SUPERVISOR]
    keep = PersonFactory.create(organisation=org_a, registered_by=supervisor)
    duplicate = PersonFactory.create(organisation=org_a, registered_by=supervisor)
    client = api(supervisor)
    changed = client.patch(
        f"/api/people/{keep.pk}", json.dumps({"notes": "x"}), content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["notes"] == "x"
    consent = post(client, f"/api/people/{keep.pk}/consent", {"scope": "share", "granted": False})
    assert consent.status_code == 200 and consent.json()["consents_to_share"] is False
    merged = post(client, f"/api/people/{keep.pk}/merge", {"duplicate_id": str(duplicate.pk)})
    assert merged.status_code == 200
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == keep.pk
    erased = post(client, f"/api/people/{keep.pk}/erase", {"reason": "request"})
    assert erased.status_code == 200 and erased.json()["given_name"] == ""
    assert erased.json()["erased_at"] is not None
    pairs = client.get("/api/people/duplicates")
    assert pairs.status_code == 200
