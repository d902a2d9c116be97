"""Fault tests on loopback: the production server (gunicorn) in its own process, a field device
speaking HTTP to it, and the faults a phone meets in the field: the server killed in the middle
of an upload, the answer lost after the server committed, the same batch sent twice at once, a
clock hours wrong, the same field edited on both sides. After each: nothing lost, nothing
duplicated, the conflict shown where there is one."""

from __future__ import annotations

import datetime
import http.client
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.casework.actions import people as people_actions
from senda.casework.models import Orientation, Person
from senda.casework.tests.factories import PersonFactory
from senda.sync.models import SyncConflict, SyncReceipt
from senda.sync.tests.fault_server import (
    AnswerDroppingProxy,
    SendaServer,
    ServerDatabase,
    push_body,
    request,
    wait_for,
)
from senda.sync.tests.helpers import in_panama, person_data, record, register

# The server process reads what the test committed, and the test what the server committed.
pytestmark = pytest.mark.django_db(transaction=True)

BATCH = 200  # the largest batch a device may send (SENDA_SYNC_MAX_BATCH)
NETWORK_FAILURES = (OSError, http.client.HTTPException)


class LiveServer:
    """The test's data published to a real server process; ``finish`` stops it and brings what
    it wrote back to the test."""

    def __init__(self, directory: Path) -> None:
        self.database = ServerDatabase(directory)
        self.server = SendaServer(self.database, log=directory / "server.log")

    @property
    def port(self) -> int:
        return self.server.port

    def start(self) -> None:
        self.database.publish()
        self.server.start()

    def finish(self) -> None:
        self.server.stop()
        self.database.collect()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    running = LiveServer(tmp_path)
    yield running
    running.server.stop()  # before the database is emptied for the next test


@pytest.fixture
def promoter(org_a: Organisation, users_a: dict[str, User]) -> User:
    in_panama(org_a)
    return users_a[Role.HEALTH_PROMOTER]


def now_iso() -> str:
    return timezone.now().isoformat()


def people_batch(count: int) -> list[dict[str, Any]]:
    return [
        record("person", "create", person_data(given_name=f"Persona {number}"))
        for number in range(count)
    ]


def push(
    live: LiveServer, token: str, batch: list[dict[str, Any]], *, port: int | None = None
) -> tuple[int, Any]:
    return request(
        "POST",
        port or live.port,
        "/api/sync/push",
        token=token,
        body=push_body(batch, now_iso()),
        timeout=120,
    )


def statuses(body: dict[str, Any]) -> list[str]:
    return [result["status"] for result in body["results"]]


def assert_each_once(batch: list[dict[str, Any]]) -> None:
    """Every record of the batch is on the server exactly once, with exactly one receipt."""
    device_uuids = [uuid.UUID(change["id"]) for change in batch]
    stored = Counter(
        Person.objects.filter(client_uuid__in=device_uuids).values_list("client_uuid", flat=True)
    )
    assert stored == Counter(device_uuids), "a record is missing or duplicated"
    keys = [uuid.UUID(change["key"]) for change in batch]
    assert SyncReceipt.objects.filter(key__in=keys).count() == len(keys)


def test_the_server_killed_in_the_middle_of_an_upload_then_the_retry_stores_each_once(
    promoter: User, live: LiveServer
) -> None:
    _device, token = register(promoter)
    batch = people_batch(BATCH)
    live.start()
    first_try: dict[str, Any] = {}

    def upload() -> None:
        try:
            first_try["answer"] = push(live, token, batch)
        except NETWORK_FAILURES as exc:
            first_try["error"] = exc

    uploading = threading.Thread(target=upload)
    uploading.start()
    # Kill it while the batch's transaction is writing (or, if that moment was missed, once
    # it committed), with the request still in flight.
    wait_for(
        lambda: live.database.writing() or live.database.count("sync_syncreceipt") > 0,
        timeout=90,
        what="the batch to be written",
    )
    live.server.kill()
    uploading.join(timeout=30)
    assert not uploading.is_alive()
    assert "error" in first_try, "the device got an answer from a killed server"
    # The batch is one transaction: all of it was committed, or none of it.
    committed = live.database.count("sync_syncreceipt")
    assert committed in {0, BATCH}, committed

    # The phone retries the very same batch (same keys) when the server is back.
    live.server.start()
    status, body = push(live, token, batch)
    assert status == 200, body
    # What was committed before the kill is a duplicate, the rest is applied now.
    assert statuses(body) == ["duplicate"] * committed + ["applied"] * (BATCH - committed)
    again_status, again = push(live, token, batch)
    assert again_status == 200 and statuses(again) == ["duplicate"] * BATCH
    assert [r["id"] for r in again["results"]] == [r["id"] for r in body["results"]]
    live.finish()
    assert_each_once(batch)
    assert Person.objects.count() == BATCH


def test_the_answer_lost_after_the_commit_then_the_retry_duplicates_nothing(
    promoter: User, live: LiveServer
) -> None:
    _device, token = register(promoter)
    people = people_batch(10)
    orientations = [
        record(
            "orientation",
            "create",
            {
                "person": person["id"],  # the device uuid of a person created in this batch
                "occurred_at": now_iso(),
                "topics": ["vaccination"],
                "channel": "in_person",
                "place_type": "metro",
                "outcome": "informed",
            },
        )
        for person in people
    ]
    batch = people + orientations
    live.start()
    proxy = AnswerDroppingProxy(live.port)
    try:
        with pytest.raises(NETWORK_FAILURES):
            push(live, token, batch, port=proxy.port)
        assert proxy.dropped.is_set(), "the server never answered"
    finally:
        proxy.close()
    # The server did commit everything; the device only lost the answer.
    assert live.database.count("sync_syncreceipt") == len(batch)

    status, body = push(live, token, batch)
    assert status == 200, body
    assert statuses(body) == ["duplicate"] * len(batch)
    live.finish()
    assert_each_once(people)
    assert Person.objects.count() == 10 and Orientation.objects.count() == 10
    for change, result in zip(batch, body["results"], strict=True):
        model = Person if change["kind"] == "person" else Orientation
        stored = model.objects.get(client_uuid=change["id"])
        # The same ids as the first (lost) answer would have given: the stored records'.
        assert result["id"] == str(stored.pk) and result["uuid"] == change["id"]
        assert result["record"]["id"] in (stored.pk, str(stored.pk))
    assert Orientation.objects.filter(person__client_uuid__in=[p["id"] for p in people]).count()


def test_the_same_batch_sent_twice_at_once_applies_each_record_once(
    promoter: User, live: LiveServer
) -> None:
    _device, token = register(promoter)
    batch = people_batch(40)
    live.start()
    both_ready = threading.Barrier(2, timeout=30)
    answers: list[tuple[int, Any]] = []
    failures: list[BaseException] = []

    def tab() -> None:
        try:
            both_ready.wait()
            answers.append(push(live, token, batch))
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    tabs = [threading.Thread(target=tab) for _ in range(2)]
    for thread in tabs:
        thread.start()
    for thread in tabs:
        thread.join(timeout=180)
    assert not failures, failures
    assert [status for status, _body in answers] == [200, 200], answers
    first, second = (body["results"] for _status, body in answers)
    for one, other in zip(first, second, strict=True):
        assert one["key"] == other["key"]
        assert sorted([one["status"], other["status"]]) == ["applied", "duplicate"]
        assert one["id"] == other["id"] and one["id"] is not None
    live.finish()
    assert_each_once(batch)
    assert Person.objects.count() == len(batch)


def test_a_device_clock_hours_wrong_either_way_stores_the_right_times(
    promoter: User, live: LiveServer
) -> None:
    ahead_device, ahead_token = register(promoter, name="Reloj adelantado")
    behind_device, behind_token = register(promoter, name="Reloj atrasado")
    live.start()
    expected: dict[str, datetime.datetime] = {}
    for token, hours in ((ahead_token, 5), (behind_token, -5)):
        real_now = timezone.now()
        device_now = real_now + datetime.timedelta(hours=hours)
        # The worker saved both two hours ago, by the device's own (wrong) clock.
        saved = device_now - datetime.timedelta(hours=2)
        person = record("person", "create", person_data(), recorded_at=saved)
        orientation = record(
            "orientation",
            "create",
            {
                "person": person["id"],
                "occurred_at": saved.isoformat(),
                "topics": ["documents"],
                "channel": "in_person",
                "place_type": "metro",
                "outcome": "informed",
            },
            recorded_at=saved,
        )
        status, body = request(
            "POST",
            live.port,
            "/api/sync/push",
            token=token,
            body=push_body([person, orientation], device_now.isoformat()),
        )
        assert status == 200 and statuses(body) == ["applied", "applied"], body
        assert body["clock_offset_seconds"] == pytest.approx(-hours * 3600, abs=60)
        expected[person["id"]] = real_now - datetime.timedelta(hours=2)
    live.finish()
    for person_uuid, when in expected.items():
        registered = Person.objects.get(client_uuid=person_uuid)
        oriented = Orientation.objects.get(person=registered)
        for moment in (registered.registered_at, oriented.occurred_at):
            assert abs((moment - when).total_seconds()) < 60, (moment, when)
    assert ahead_device.pk != behind_device.pk


def test_a_field_edited_on_the_server_and_on_the_device_is_a_conflict_and_keeps_both(
    org_a: Organisation, promoter: User, live: LiveServer
) -> None:
    someone = PersonFactory.create(
        organisation=org_a, registered_by=promoter, phone="+507 6111-1111", notes="Embarazada"
    )
    _device, token = register(promoter)
    # While the phone was offline, the office changed the same phone number and the notes.
    people_actions.person_update(
        actor=promoter, person=someone, phone="+507 6333-3333", notes="Embarazada, 7 meses"
    )
    change = record(
        "person",
        "update",
        {"phone": "+507 6222-2222", "notes": "Control el martes", "community": "host"},
        id=someone.pk,
        base={"phone": "+507 6111-1111", "notes": "Embarazada", "community": "migrant"},
    )
    live.start()
    status, body = push(live, token, [change])
    assert status == 200, body
    [answer] = body["results"]
    assert answer["status"] == "conflict" and answer["merged"] == ["notes"]
    [conflict] = answer["conflicts"]
    assert conflict["field"] == "phone" and conflict["message"]
    assert conflict["device"] == "+507 6222-2222" and conflict["server"] == "+507 6333-3333"
    assert answer["record"]["data"]["phone"] == "+507 6333-3333"
    # Shown to the worker until decided; a retry of the same change adds nothing.
    listed_status, listed = request("GET", live.port, "/api/sync/conflicts", token=token)
    assert listed_status == 200 and [c["id"] for c in listed] == [conflict["id"]]
    assert listed[0]["device"] == "+507 6222-2222"
    retry_status, retry = push(live, token, [change])
    assert retry_status == 200 and statuses(retry) == ["duplicate"]
    assert [c["id"] for c in retry["results"][0]["conflicts"]] == [conflict["id"]]
    live.finish()
    someone.refresh_from_db()
    assert someone.phone == "+507 6333-3333"  # the server's value kept...
    stored = SyncConflict.objects.get()  # ...and the device's, for the worker to decide
    assert stored.resolved_at is None and "+507 6222-2222" in stored.device_value
    assert someone.community == "host"  # the rest of the change applied
    assert someone.notes.startswith("Embarazada, 7 meses")
    assert someone.notes.endswith("Control el martes")
