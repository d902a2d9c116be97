"""Registering a phone from a signed-in browser, its token, revoking it (and wiping it)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client

from senda.accounts.models import ApiToken, Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.casework.models import Person
from senda.casework.tests.factories import TeamFactory
from senda.core.models import AuditEntry
from senda.sync.models import Device
from senda.sync.tests.helpers import in_panama, person_data, phone, push, record, register

pytestmark = pytest.mark.django_db


def browser(user: User) -> Client:
    return login_verified(Client(), user)


def register_over_http(client: Client, installation_id: uuid.UUID, name: str = "Moto G") -> Any:
    return client.post(
        "/api/sync/devices",
        json.dumps({"name": name, "installation_id": str(installation_id)}),
        content_type="application/json",
    )


def test_a_field_worker_registers_a_phone_and_gets_its_token_once(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    answer = register_over_http(browser(promoter), uuid.uuid4(), "Moto G (Ana)")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["lock_minutes"] == 15 and body["wipe_hours"] == 72
    assert body["username"] == promoter.username
    assert body["organisation"] == {"id": str(org_a.pk), "name": org_a.name}
    device = Device.objects.get(pk=body["device_id"])
    assert device.user == promoter and device.name == "Moto G (Ana)"
    assert body["token"] not in device.api_token.token_hash  # only its hash is stored
    status = phone(body["token"]).get("/api/sync/status")
    assert status.status_code == 200 and status.json()["device_id"] == str(device.pk)
    device.refresh_from_db()
    assert device.last_seen_at is not None
    # the token list shows when the phone's token was last used, like any token's
    assert device.api_token.last_used_at is not None
    assert AuditEntry.objects.filter(
        action="sync.device_register", object_id=str(device.pk)
    ).exists()


def test_registering_needs_the_csrf_token_with_the_session(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    client = login_verified(Client(enforce_csrf_checks=True), users_a[Role.HEALTH_PROMOTER])
    answer = register_over_http(client, uuid.uuid4())
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    assert not Device.objects.exists()


def test_registering_again_from_the_same_installation_replaces_the_device(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    client = browser(users_a[Role.HEALTH_PROMOTER])
    installation = uuid.uuid4()
    first = register_over_http(client, installation).json()
    second = register_over_http(client, installation).json()
    assert first["device_id"] != second["device_id"]
    old = phone(first["token"]).get("/api/sync/status")
    assert old.status_code == 403 and old.json() | {"detail": ""} == {
        "detail": "",
        "errors": {},
        "code": "device_revoked",
        "wipe": True,
    }
    assert phone(second["token"]).get("/api/sync/status").status_code == 200


def test_a_role_without_field_work_cannot_register(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    answer = register_over_http(browser(users_a[Role.FOCAL_POINT]), uuid.uuid4())
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    assert not Device.objects.exists() and not ApiToken.objects.exists()


def test_a_bad_name_is_refused_with_a_message(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    answer = register_over_http(browser(users_a[Role.HEALTH_PROMOTER]), uuid.uuid4(), "")
    assert answer.status_code == 422 and answer.json()["code"] == "invalid"
    assert "name" in answer.json()["errors"]


def test_an_unknown_token_is_device_unknown(db: None) -> None:
    answer = phone("senda_not-a-token").get("/api/sync/status")
    assert answer.status_code == 401 and answer.json()["code"] == "device_unknown"
    assert Client().get("/api/sync/status").json()["code"] == "device_unknown"


def test_a_revoked_phone_is_refused_told_to_wipe_and_its_token_dies_everywhere(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    in_panama(org_a)
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    device, token = register(volunteer)
    admin = browser(users_a[Role.ORG_ADMIN])
    revoked = admin.post(f"/api/sync/devices/{device.pk}/revoke")
    assert revoked.status_code == 200 and revoked.json()["is_active"] is False
    assert revoked.json()["revoked_by"] == users_a[Role.ORG_ADMIN].username

    client = phone(token, language="es")
    answer = push(client, [record("person", "create", person_data())])
    assert answer.status_code == 403
    body = answer.json()
    assert body["code"] == "device_revoked" and body["wipe"] is True
    assert body["detail"] and answer["Content-Language"] == "es"
    assert not Person.objects.exists()
    device.refresh_from_db()
    assert device.wipe_confirmed_at is not None
    # The same token opens nothing else of the API either.
    other = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/people")
    assert other.status_code == 401
    assert AuditEntry.objects.filter(action="sync.device_revoke", object_id=str(device.pk)).exists()
    assert (
        AuditEntry.objects.filter(action="sync.device_wipe", object_id=str(device.pk)).count() == 1
    )


def test_losing_field_work_in_the_organisation_wipes_the_phone(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    _device, token = register(promoter)
    membership = promoter.memberships.get()
    membership.role = Role.VIEWER
    membership.save()
    answer = phone(token).get("/api/sync/status")
    assert answer.status_code == 403 and answer.json()["wipe"] is True


def test_who_may_revoke(
    org_a: Organisation, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    volunteer = users_a[Role.COMMUNITY_VOLUNTEER]
    supervisor = users_a[Role.SUPERVISOR]
    outsider = member(org_a)
    team = TeamFactory.create(organisation=org_a, supervisor=supervisor, members=[volunteer])
    assert team.members.count() == 1
    for actor, allowed in (
        (outsider, False),  # another supervisor, not of the volunteer's team
        (users_b[Role.ORG_ADMIN], False),
        (users_a[Role.HEALTH_PROMOTER], False),
        (volunteer, True),
        (supervisor, True),
        (users_a[Role.ORG_ADMIN], True),
    ):
        device, _token = register(volunteer)
        answer = browser(actor).post(f"/api/sync/devices/{device.pk}/revoke")
        device.refresh_from_db()
        assert (answer.status_code == 200) is allowed, (actor, answer.content)
        assert (device.revoked_at is not None) is allowed
        if not allowed:
            assert answer.status_code == 404 and answer.json()["code"] == "not_found"


def member(organisation: Organisation) -> User:
    from senda.accounts.tests.factories import member as make_member

    return make_member(organisation, Role.SUPERVISOR, username="a-other-supervisor")


def test_the_devices_list_follows_who_may_see(
    org_a: Organisation, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    mine, _ = register(users_a[Role.HEALTH_PROMOTER])
    colleague, _ = register(users_a[Role.COMMUNITY_VOLUNTEER])
    foreign, _ = register(users_b[Role.HEALTH_PROMOTER])
    listed = browser(users_a[Role.HEALTH_PROMOTER]).get("/api/sync/devices").json()
    assert [d["id"] for d in listed] == [str(mine.pk)]
    listed = browser(users_a[Role.ORG_ADMIN]).get("/api/sync/devices").json()
    assert {d["id"] for d in listed} == {str(mine.pk), str(colleague.pk)}
    assert str(foreign.pk) not in {d["id"] for d in listed}


def test_the_staff_page_lists_and_revokes_with_a_confirmation(
    org_a: Organisation, users_a: dict[str, User], django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        register(users_a[Role.COMMUNITY_VOLUNTEER])
    device, _token = register(users_a[Role.HEALTH_PROMOTER], name="Teléfono de Ana")
    client = browser(users_a[Role.ORG_ADMIN])
    client.get("/en/staff/field/devices/")  # warm the session
    with django_assert_max_num_queries(15):
        page = client.get("/en/staff/field/devices/")
    assert page.status_code == 200
    assert "Teléfono de Ana" in page.content.decode()
    confirm = client.get(f"/en/staff/field/devices/{device.pk}/revoke/")
    assert confirm.status_code == 200 and "Revoke this phone" in confirm.content.decode()
    device.refresh_from_db()
    assert device.revoked_at is None  # asking is not doing
    done = client.post(f"/en/staff/field/devices/{device.pk}/revoke/")
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.revoked_at is not None


def test_a_phone_token_opens_only_the_sync_api(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    # given a registered phone of a promoter, whose rights reach the people API
    in_panama(org_a)
    _device, token = register(users_a[Role.HEALTH_PROMOTER])
    # then its token works for the sync API and for nothing else
    assert phone(token).get("/api/sync/status").status_code == 200
    other = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert other.get("/api/people").status_code == 401
    assert other.get("/api/tokens").status_code == 401


def test_a_phone_whose_token_was_revoked_from_the_token_list_shows_as_revoked(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    in_panama(org_a)
    device, _token = register(users_a[Role.HEALTH_PROMOTER])
    ApiToken.objects.filter(pk=device.api_token_id).update(revoked_at=device.created_at)
    listed = browser(users_a[Role.ORG_ADMIN]).get("/api/sync/devices").json()
    assert [entry["is_active"] for entry in listed if entry["id"] == str(device.pk)] == [False]
