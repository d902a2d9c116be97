"""Referrals API: create, lists, detail (audited), every step; errors are 4xx with a body."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.casework.models import Person, Referral, ReferralStatus
from senda.casework.tests.factories import PersonFactory, ReferralFactory, health_service
from senda.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    return login_verified(Client(enforce_csrf_checks=False), user)


def _post(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(path, body or {}, content_type="application/json")


@pytest.fixture
def promoter(users_a: dict[str, User]) -> User:
    return users_a[Role.HEALTH_PROMOTER]


@pytest.fixture
def focal(users_b: dict[str, User]) -> User:
    return users_b[Role.FOCAL_POINT]


@pytest.fixture
def person(org_a: Organisation, promoter: User) -> Person:
    return PersonFactory.create(
        organisation=org_a, registered_by=promoter, given_name="Yuleisy", family_name="Zeta"
    )


def test_create_then_the_whole_lifecycle_through_the_api(
    promoter: User, focal: User, person: Person, org_b: Organisation
) -> None:
    place = health_service(org_b)
    client = _client(promoter)
    client_uuid = str(uuid.uuid4())
    body = {
        "person_id": str(person.pk),
        "service_at_location_id": str(place.pk),
        "reason": "suspected_covid",
        "urgency": "urgent",
        "note": "Fiebre y tos",
        "client_uuid": client_uuid,
    }

    created = _post(client, "/api/referrals", body)

    assert created.status_code == 201, created.content
    referral_id = created.json()["id"]
    assert created.json()["status"] == "sent" and created.json()["person_given_name"] == "Yuleisy"
    again = _post(client, "/api/referrals", body)
    assert again.status_code == 200 and again.json()["id"] == referral_id
    assert Referral.objects.count() == 1

    receiver = _client(focal)
    inbox = receiver.get("/api/referrals/inbox").json()
    assert inbox["count"] == 1 and inbox["counts"]["new"] == 1
    assert inbox["items"][0]["person_code"] == person.code
    assert [step["slug"] for step in inbox["items"][0]["steps"]] == ["receive"]
    detail = receiver.get(f"/api/referrals/inbox/{referral_id}").json()
    assert detail["person"]["given_name"] == "Yuleisy"
    assert "Zeta" not in str(detail)
    assert "family_name" not in str(detail) and "nationality" not in str(detail)
    assert AuditEntry.objects.filter(
        action="casework.person_read", actor=focal, object_id=str(person.pk)
    ).exists()

    for step, payload in (
        ("receive", None),
        ("accept", {"note": "Mañana a las 8"}),
        ("attend", {}),
    ):
        answer = _post(receiver, f"/api/referrals/{referral_id}/{step}", payload)
        assert answer.status_code == 200, answer.content
    wrong = _post(receiver, f"/api/referrals/{referral_id}/close", {"outcome": "vaccinated"})
    assert wrong.status_code == 422 and "outcome" in wrong.json()["errors"]
    closed = _post(receiver, f"/api/referrals/{referral_id}/close", {"outcome": "tested_negative"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"

    feedback = client.get(f"/api/referrals/{referral_id}").json()
    assert feedback["outcome"] == "tested_negative"
    assert [h["to_status"] for h in feedback["history"]] == [
        "sent",
        "received",
        "accepted",
        "attended",
        "closed",
    ]
    sent = client.get("/api/referrals", {"status": "closed"}).json()
    assert sent["count"] == 1 and sent["items"][0]["id"] == referral_id


def test_bad_input_answers_422_with_field_errors_and_saves_nothing(
    promoter: User, person: Person, org_a: Organisation, org_b: Organisation
) -> None:
    client = _client(promoter)
    place = health_service(org_b)
    unknown_reason = _post(
        client,
        "/api/referrals",
        {"person_id": str(person.pk), "service_at_location_id": str(place.pk), "reason": "x"},
    )
    assert unknown_reason.status_code == 422 and "reason" in unknown_reason.json()["errors"]
    no_place = _post(
        client, "/api/referrals", {"person_id": str(person.pk), "reason": "vaccination"}
    )
    assert no_place.status_code == 422 and no_place.json()["detail"]
    unknown_place = _post(
        client,
        "/api/referrals",
        {
            "person_id": str(person.pk),
            "service_at_location_id": str(uuid.uuid4()),
            "reason": "vaccination",
        },
    )
    assert unknown_place.status_code == 422
    no_consent = PersonFactory.create(
        organisation=org_a, registered_by=promoter, consents_to_share=False
    )
    refused = _post(
        client,
        "/api/referrals",
        {
            "person_id": str(no_consent.pk),
            "service_at_location_id": str(place.pk),
            "reason": "vaccination",
        },
    )
    assert refused.status_code == 422 and "__all__" in refused.json()["errors"]
    nul = _post(
        client,
        "/api/referrals",
        {
            "person_id": str(person.pk),
            "service_at_location_id": str(place.pk),
            "reason": "vaccination",
            "note": "a\x00b",
        },
    )
    assert nul.status_code == 422
    assert not Referral.objects.exists()


def test_decline_and_cancel_need_a_reason(
    promoter: User, focal: User, person: Person, org_b: Organisation
) -> None:
    received = ReferralFactory.create(
        person=person, at=health_service(org_b), status=ReferralStatus.RECEIVED
    )
    other = ReferralFactory.create(person=person, at=health_service(org_b))
    receiver = _client(focal)
    assert _post(receiver, f"/api/referrals/{received.pk}/decline", {}).status_code == 422
    declined = _post(receiver, f"/api/referrals/{received.pk}/decline", {"reason": "Sin cupo"})
    assert declined.json()["decline_reason"] == "Sin cupo"
    referrer = _client(promoter)
    assert _post(referrer, f"/api/referrals/{other.pk}/cancel", {"reason": ""}).status_code == 422
    cancelled = _post(referrer, f"/api/referrals/{other.pk}/cancel", {"reason": "Se mudó"})
    assert cancelled.json()["status"] == "cancelled"
    # A finished referral takes no more steps: a clear 422, not a 500.
    late = _post(receiver, f"/api/referrals/{other.pk}/receive")
    assert late.status_code == 422 and late.json()["detail"]


def test_lists_are_guarded_against_n_plus_one(
    promoter: User,
    focal: User,
    person: Person,
    org_b: Organisation,
    django_assert_max_num_queries: Any,
) -> None:
    centre = health_service(org_b)
    for _ in range(15):
        ReferralFactory.create(person=person, at=centre)
    referrer, receiver = _client(promoter), _client(focal)
    with django_assert_max_num_queries(12):
        sent = referrer.get("/api/referrals")
    assert sent.json()["count"] == 15
    with django_assert_max_num_queries(12):
        inbox = receiver.get("/api/referrals/inbox?view=new&page_size=10")
    assert inbox.json()["count"] == 15 and len(inbox.json()["items"]) == 10


def test_operations_are_documented_in_the_openapi(promoter: User) -> None:
    schema = _client(promoter).get("/api/openapi.json").json()
    paths = schema["paths"]
    assert "/api/referrals" in paths and "/api/referrals/inbox" in paths
    assert any(path.endswith("/close") for path in paths)
