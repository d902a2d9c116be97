"""Every role of two organisations against every sync endpoint and the devices page: the
refusal, and that nothing changed."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client

from senda.accounts.models import Organisation, User
from senda.accounts.roles import CAPABILITIES, Capability, Role
from senda.accounts.testing import login_verified
from senda.casework.models import Person
from senda.casework.tests.factories import PersonFactory
from senda.sync.models import Device, SyncConflict, SyncReceipt
from senda.sync.tests.helpers import in_panama, person_data, record, register

pytestmark = pytest.mark.django_db

FIELD_ROLES = {
    role
    for role in Role.values
    if CAPABILITIES[role] & {Capability.CASE_WORK, Capability.OUTREACH_RECORD}
}
PAGE_ROLES = FIELD_ROLES | {
    role
    for role in Role.values
    if CAPABILITIES[role] & {Capability.CASE_SUPERVISE, Capability.ORG_MANAGE}
}
EVERY_USER = [(side, role) for side in ("a", "b") for role in Role.values]


def state() -> tuple[int, int, int, int, list[Any]]:
    return (
        Person.objects.count(),
        SyncReceipt.objects.count(),
        SyncConflict.objects.count(),
        Device.objects.count(),
        sorted(Device.objects.filter(revoked_at__isnull=False).values_list("pk", flat=True)),
    )


@pytest.fixture
def everyone(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User], users_b: dict[str, User]
) -> dict[str, dict[str, User]]:
    in_panama(org_a)
    in_panama(org_b)
    return {"a": users_a, "b": users_b}


@pytest.mark.parametrize(("side", "role"), EVERY_USER)
def test_registering_a_phone(everyone: dict[str, dict[str, User]], side: str, role: str) -> None:
    client = login_verified(Client(), everyone[side][role])
    before = state()
    answer = client.post(
        "/api/sync/devices",
        json.dumps({"name": "Phone", "installation_id": str(uuid.uuid4())}),
        content_type="application/json",
    )
    if role in FIELD_ROLES:
        assert answer.status_code == 201
    else:
        assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
        assert state() == before


@pytest.mark.parametrize(("side", "role"), EVERY_USER)
def test_a_browser_session_opens_none_of_the_device_endpoints(
    everyone: dict[str, dict[str, User]], side: str, role: str
) -> None:
    client = login_verified(Client(), everyone[side][role])
    before = state()
    body = json.dumps({"records": [record("person", "create", person_data())]})
    answers = [
        client.get("/api/sync/status"),
        client.get("/api/sync/pull"),
        client.get("/api/sync/conflicts"),
        client.post("/api/sync/push", body, content_type="application/json"),
        client.post(
            "/api/sync/conflicts/1/resolve", '{"keep": "device"}', content_type="application/json"
        ),
    ]
    assert [a.status_code for a in answers] == [401] * 5
    assert {a.json()["code"] for a in answers} == {"device_unknown"}
    assert state() == before


@pytest.mark.parametrize(("side", "role"), EVERY_USER)
def test_revoking_org_a_volunteers_phone(
    everyone: dict[str, dict[str, User]], side: str, role: str
) -> None:
    volunteer = everyone["a"][Role.COMMUNITY_VOLUNTEER]
    device, _token = register(volunteer)
    actor = everyone[side][role]
    allowed = actor == volunteer or (side == "a" and role == Role.ORG_ADMIN)
    before = state()
    answer = login_verified(Client(), actor).post(f"/api/sync/devices/{device.pk}/revoke")
    device.refresh_from_db()
    if allowed:
        assert answer.status_code == 200 and device.revoked_at is not None
    else:
        assert answer.status_code == 404 and device.revoked_at is None
        assert state() == before


@pytest.mark.parametrize(("side", "role"), EVERY_USER)
def test_the_devices_page(everyone: dict[str, dict[str, User]], side: str, role: str) -> None:
    volunteer_a = everyone["a"][Role.COMMUNITY_VOLUNTEER]
    device, _token = register(volunteer_a, name="Teléfono de la voluntaria")
    actor = everyone[side][role]
    client = login_verified(Client(), actor)
    before = state()
    page = client.get("/en/staff/field/devices/")
    revoke = client.post(f"/en/staff/field/devices/{device.pk}/revoke/")
    device.refresh_from_db()
    sees_it = actor == volunteer_a or (side == "a" and role == Role.ORG_ADMIN)
    if role in PAGE_ROLES:
        assert page.status_code == 200
        assert ("Teléfono de la voluntaria" in page.content.decode()) is sees_it
    else:
        assert page.status_code == 403
    if sees_it:
        assert revoke.status_code == 302 and device.revoked_at is not None
    else:
        assert revoke.status_code in {403, 404} and device.revoked_at is None
        assert state() == before


@pytest.mark.parametrize("role", sorted(FIELD_ROLES))
def test_a_phone_cannot_touch_another_organisations_people(
    everyone: dict[str, dict[str, User]], role: str
) -> None:
    from senda.sync.tests.helpers import phone, push

    theirs = PersonFactory.create(
        organisation=everyone["b"][Role.HEALTH_PROMOTER].memberships.get().organisation,
        registered_by=everyone["b"][Role.HEALTH_PROMOTER],
        phone="+507 6111-1111",
    )
    _device, token = register(everyone["a"][role])
    before_phone = theirs.phone
    answer = push(
        phone(token),
        [
            record(
                "person",
                "update",
                {"phone": "+507 6999-9999"},
                id=theirs.pk,
                base={"phone": "+507 6111-1111"},
            ),
            record(
                "consent", "create", {"person": str(theirs.pk), "scope": "record", "granted": False}
            ),
        ],
    )
    assert [r["status"] for r in answer.json()["results"]] == ["rejected", "rejected"]
    theirs.refresh_from_db()
    assert theirs.phone == before_phone and theirs.erased_at is None
    assert not SyncConflict.objects.exists()
