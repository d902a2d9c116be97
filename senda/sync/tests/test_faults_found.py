"""What the property test found, pinned down as plain tests: after a sync a phone holds exactly
the server's state of its scope, whatever the order of answers and pulls."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.casework.actions import people as people_actions
from senda.casework.actions import referrals as referral_actions
from senda.casework.models import FollowUpStatus, Person
from senda.casework.tests.factories import FollowUpFactory, PersonFactory, health_service
from senda.sync import protocol
from senda.sync.models import Device
from senda.sync.tests.helpers import in_panama, phone, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def promoter(org_a: Organisation, users_a: dict[str, User]) -> User:
    in_panama(org_a)
    return users_a[Role.HEALTH_PROMOTER]


def held(device: Device, cursor: str | None = None) -> tuple[dict[tuple[str, str], Any], str]:
    """What a phone holds after pulling from ``cursor`` until the end (kind, id -> data)."""
    found: dict[tuple[str, str], Any] = {}
    for _page in range(100):
        page = protocol.pull(device=device, cursor=cursor)
        for record in page["records"]:
            found[(record["kind"], record["id"])] = None if record["deleted"] else record["data"]
        cursor = page["cursor"]
        if not page["more"]:
            return found, cursor
    raise AssertionError("the pull never ended")


def change(kind: str, object_id: Any, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": uuid.uuid4(),
        "kind": kind,
        "op": "update",
        "id": str(object_id),
        "recorded_at": timezone.now(),
        "base": {},
        "data": data,
    }


def test_a_person_on_the_phone_stays_as_the_server_has_them_after_a_referral(
    org_a: Organisation, org_b: Organisation, promoter: User
) -> None:
    # given a phone holding a person (its first sync)
    someone = PersonFactory.create(organisation=org_a, registered_by=promoter)
    device, _token = register(promoter)
    phone_copy, cursor = held(device)
    # when the server refers them (which moves their retention clock, with no change to the
    # person in the feed) and the phone pulls what changed
    referral_actions.referral_create(
        actor=promoter,
        person=someone,
        service_at_location=health_service(org_b),
        reason="vaccination",
    )
    changed, _cursor = held(device, cursor)
    phone_copy.update(changed)
    # then the phone's copy of the person is what a first sync would give now
    fresh, _cursor = held(device)
    key = ("person", str(someone.pk))
    assert phone_copy[key] == fresh[key]


def test_an_answer_about_a_task_cancelled_on_the_server_removes_it_from_the_phone(
    org_a: Organisation, promoter: User
) -> None:
    someone = PersonFactory.create(organisation=org_a, registered_by=promoter)
    task = FollowUpFactory.create(person=someone, assigned_to=promoter, organisation=org_a)
    device, _token = register(promoter)
    # The phone completes the task offline; the person withdraws consent to be contacted
    # meanwhile, which cancels it on the server.
    completion = change("follow_up", task.pk, {"status": "done", "note": "Llamé"})
    people_actions.consent_withdraw(actor=promoter, person=someone, scope="contact")
    task.refresh_from_db()
    assert task.status == FollowUpStatus.CANCELLED
    # The phone had pulled before its answer was lost; it re-sends the same change later.
    _phone_copy, cursor = held(device)
    protocol.push(device=device, device_time=timezone.now(), records_in=[completion])
    [answer] = protocol.push(device=device, device_time=timezone.now(), records_in=[completion])[
        "results"
    ]
    # The conflict is shown, and the answer tells the phone the task left its scope (as a
    # first sync would: it no longer lists it), rather than handing it a record it keeps.
    assert answer["status"] == "duplicate" and answer["conflicts"][0]["field"] == "status"
    assert answer["record"]["deleted"] is True and answer["record"]["id"] == str(task.pk)
    changed, _cursor = held(device, cursor)
    fresh, _cursor = held(device)
    assert fresh.get(("follow_up", str(task.pk))) is None  # absent, or sent as removed
    assert changed.get(("follow_up", str(task.pk))) is None
    assert Person.objects.filter(pk=someone.pk, erased_at__isnull=True).exists()


PAGE_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "d"},
    "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "p"},
}


def test_a_phones_download_is_never_served_to_another_phone_from_the_page_cache(
    org_a: Organisation,
    org_b: Organisation,
    users_a: dict[str, User],
    users_b: dict[str, User],
    settings: Any,
) -> None:
    # given the page cache production uses (the tests use none) and two phones of two
    # organisations
    settings.CACHES = PAGE_CACHE
    in_panama(org_a), in_panama(org_b)
    theirs = PersonFactory.create(organisation=org_b, registered_by=users_b[Role.HEALTH_PROMOTER])
    _device_a, token_a = register(users_a[Role.HEALTH_PROMOTER])
    _device_b, token_b = register(users_b[Role.HEALTH_PROMOTER])
    # when both ask for the same first page
    first = phone(token_b).get("/api/sync/pull", {"limit": 500})
    second = phone(token_a).get("/api/sync/pull", {"limit": 500})
    # then each gets its own (the bearer token makes it private), and no cache keeps it
    assert first.status_code == second.status_code == 200
    assert "no-store" in first["Cache-Control"] and "private" in first["Cache-Control"]
    ids = {record["id"] for record in second.json()["records"] if record["kind"] == "person"}
    assert str(theirs.pk) not in ids
    assert phone(token_a).get("/api/sync/status").json()["device_id"] == str(_device_a.pk)
