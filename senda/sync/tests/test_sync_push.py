"""Uploads: every kind through the casework actions, exactly once, in order, at the right time,
rejections in the worker's language, and the conflict rules."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.db import OperationalError
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.casework.actions import people as people_actions
from senda.casework.actions import referrals as referral_actions
from senda.casework.actions import tasks as task_actions
from senda.casework.models import (
    ConsentEvent,
    DoseTally,
    FollowUp,
    FollowUpStatus,
    Orientation,
    OutreachActivity,
    OutreachTally,
    Person,
    Referral,
    ReferralEvent,
    ReferralStatus,
    VaccinationSession,
)
from senda.casework.tests.factories import FollowUpFactory, PersonFactory, health_service
from senda.sync import protocol
from senda.sync.models import SyncConflict, SyncReceipt
from senda.sync.tests.helpers import (
    AREA,
    in_panama,
    person_data,
    phone,
    push,
    record,
    register,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def promoter(org_a: Organisation, users_a: dict[str, User]) -> User:
    in_panama(org_a)
    return users_a[Role.HEALTH_PROMOTER]


@pytest.fixture
def device_client(promoter: User) -> Any:
    _device, token = register(promoter)
    return phone(token)


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    found: list[dict[str, Any]] = response.json()["results"]
    return found


def test_person_create_is_registered_with_its_card_code_and_consents(
    promoter: User, device_client: Any
) -> None:
    device_uuid = uuid.uuid4()
    data = person_data(code="PA-7K3M-Q9XD")
    [result] = results(push(device_client, [record("person", "create", data, id=device_uuid)]))
    assert result["status"] == "applied", result
    person = Person.objects.get(client_uuid=device_uuid)
    assert result["id"] == str(person.pk) and result["uuid"] == str(device_uuid)
    assert person.code == "PA-7K3M-Q9XD" and person.registered_by == promoter
    assert person.given_name == "Yohana" and person.area_id == AREA
    assert person.nationality_id == "VE" and person.phone_has_whatsapp
    assert set(ConsentEvent.objects.filter(person=person).values_list("scope", flat=True)) == {
        "record",
        "contact",
        "share",
    }
    assert result["record"]["data"]["code"] == "PA-7K3M-Q9XD"
    assert result["record"]["data"]["given_name"] == "Yohana"


def test_a_taken_card_code_is_replaced_and_the_answer_shows_the_new_one(
    org_a: Organisation, promoter: User, device_client: Any
) -> None:
    PersonFactory.create(organisation=org_a, code="PA-7K3M-Q9XD")
    [result] = results(
        push(device_client, [record("person", "create", person_data(code="PA-7K3M-Q9XD"))])
    )
    assert result["status"] == "applied"
    assert result["record"]["data"]["code"] != "PA-7K3M-Q9XD"
    assert result["record"]["data"]["code"].startswith("PA-")


def test_every_kind_is_applied_through_the_actions(
    org_a: Organisation, org_b: Organisation, promoter: User, device_client: Any
) -> None:
    service = health_service(org_b)
    person_uuid, orientation_uuid, referral_uuid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    outreach_uuid, session_uuid = uuid.uuid4(), uuid.uuid4()
    today = timezone.localdate().isoformat()
    batch = [
        record("person", "create", person_data(), id=person_uuid),
        record(
            "orientation",
            "create",
            {
                "person": str(person_uuid),
                "occurred_at": timezone.now().isoformat(),
                "topics": ["vaccination", "documents"],
                "channel": "in_person",
                "place_type": "metro",
                "outcome": "referred",
                "note": "Quiere vacunarse",
            },
            id=orientation_uuid,
        ),
        # The referral names the person by the uuid the phone gave it, in the same batch.
        record(
            "referral",
            "create",
            {
                "person": str(person_uuid),
                "service_at_location": str(service.pk),
                "reason": "vaccination",
                "urgency": "soon",
                "note": "Esquema incompleto",
            },
            id=referral_uuid,
        ),
        record(
            "outreach",
            "create",
            {
                "date": today,
                "place_type": "supermarket",
                "place_name": "Súper 99",
                "area": AREA,
                "tallies": [
                    {"sex": "female", "age_group": "18-29", "community": "migrant", "count": 12},
                    {"sex": "male", "age_group": "30-59", "community": "host", "count": 5},
                ],
                "materials": {"leaflet": 30},
            },
            id=outreach_uuid,
        ),
        record(
            "vaccination",
            "create",
            {
                "date": today,
                "place_name": "Parque de Las Cumbres",
                "area": AREA,
                "people_referred": 2,
                "doses": [{"vaccine": "influenza", "age_group": "60+", "count": 9}],
            },
            id=session_uuid,
        ),
        record(
            "consent", "create", {"person": str(person_uuid), "scope": "contact", "granted": False}
        ),
        record(
            "person",
            "update",
            {"phone": "+507 6999-0000"},
            id=person_uuid,
            base={"phone": "+507 6123-4567"},
        ),
    ]
    answers = results(push(device_client, batch))
    assert [answer["status"] for answer in answers] == ["applied"] * len(batch), answers
    person = Person.objects.get(client_uuid=person_uuid)
    assert person.phone == "+507 6999-0000" and not person.consents_to_contact
    orientation = Orientation.objects.get(client_uuid=orientation_uuid)
    assert orientation.person == person and orientation.worker == promoter
    assert sorted(orientation.topics.values_list("slug", flat=True)) == ["documents", "vaccination"]
    referral = Referral.objects.get(client_uuid=referral_uuid)
    assert referral.person == person and referral.status == ReferralStatus.SENT
    assert referral.receiving_organisation == org_b and referral.urgency == "soon"
    activity = OutreachActivity.objects.get(client_uuid=outreach_uuid)
    assert (
        sum(OutreachTally.objects.filter(activity=activity).values_list("count", flat=True)) == 17
    )
    assert activity.materials == {"leaflet": 30}
    session = VaccinationSession.objects.get(client_uuid=session_uuid)
    assert DoseTally.objects.get(session=session).count == 9 and session.people_referred == 2
    assert answers[2]["record"]["data"]["status"] == "sent"
    assert answers[2]["record"]["data"]["service_at_location"] == str(service.pk)

    # Updates: the referrer cancels the referral; a task is completed.
    task = FollowUpFactory.create(person=person, assigned_to=promoter, organisation=org_a)
    updates = [
        record(
            "referral", "update", {"status": "cancelled", "reason": "Ya se vacunó"}, id=referral.pk
        ),
        record("follow_up", "update", {"status": "done", "note": "Llamé, todo bien"}, id=task.pk),
    ]
    answers = results(push(device_client, updates))
    assert [answer["status"] for answer in answers] == ["applied", "applied"], answers
    referral.refresh_from_db()
    task.refresh_from_db()
    assert referral.status == ReferralStatus.CANCELLED
    assert task.status == FollowUpStatus.DONE and task.note == "Llamé, todo bien"


def test_the_same_key_twice_changes_nothing_and_answers_duplicate(
    promoter: User, device_client: Any
) -> None:
    change = record("person", "create", person_data())
    first = results(push(device_client, [change]))[0]
    again = results(push(device_client, [change]))[0]
    assert first["status"] == "applied" and again["status"] == "duplicate"
    assert again["id"] == first["id"] and again["record"]["data"]["code"]
    assert Person.objects.count() == 1 and SyncReceipt.objects.count() == 1


def test_the_same_device_uuid_under_another_key_is_a_duplicate(
    promoter: User, device_client: Any
) -> None:
    device_uuid = uuid.uuid4()
    first = results(
        push(device_client, [record("person", "create", person_data(), id=device_uuid)])
    )
    second = results(
        push(device_client, [record("person", "create", person_data(), id=device_uuid)])
    )
    assert first[0]["status"] == "applied" and second[0]["status"] == "duplicate"
    assert second[0]["id"] == first[0]["id"]
    assert Person.objects.count() == 1


def test_a_batch_sent_twice_in_one_upload_applies_once(promoter: User, device_client: Any) -> None:
    change = record("person", "create", person_data())
    answers = results(push(device_client, [change, change]))
    assert [a["status"] for a in answers] == ["applied", "duplicate"]
    assert Person.objects.count() == 1


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("es", "Escriba el nombre de la persona"),
        ("en", "Write the person's given name"),
    ],
)
def test_rejected_records_say_why_in_the_workers_language_and_store_nothing(
    promoter: User, language: str, message: str
) -> None:
    _device, token = register(promoter)
    client = phone(token, language=language)
    bad = record("person", "create", person_data(given_name="  ", consent_record=True))
    no_consent = record("person", "create", person_data(consent_record=False))
    answers = results(push(client, [bad, no_consent]))
    assert [a["status"] for a in answers] == ["rejected", "rejected"]
    assert message in answers[0]["errors"]["given_name"][0]
    assert "consent_record" in answers[1]["errors"]
    assert answers[0]["record"] is None
    assert Person.objects.count() == 0
    # The same rejected key again is the same rejection, never applied by accident.
    again = results(push(client, [bad]))[0]
    assert again["status"] == "rejected" and again["errors"] == answers[0]["errors"]


def test_a_wrong_value_is_rejected_with_the_field(promoter: User, device_client: Any) -> None:
    answers = results(
        push(
            device_client,
            [
                record("person", "create", person_data(area="XX9999")),
                record("person", "create", person_data(year_of_birth="1990")),
                record("orientation", "create", {"person": str(uuid.uuid4()), "topics": []}),
            ],
        )
    )
    assert answers[0]["errors"] == {"area": ["Choose an area from the list."]}
    assert "year_of_birth" in answers[1]["errors"]
    assert "person" in answers[2]["errors"]
    assert Person.objects.count() == 0


def test_a_device_clock_five_hours_wrong_still_records_the_right_times(
    org_a: Organisation, org_b: Organisation, promoter: User, device_client: Any
) -> None:
    service = health_service(org_b)
    real_now = timezone.now()
    device_now = real_now - datetime.timedelta(hours=5)  # the phone is 5 hours behind
    saved_on_phone = device_now - datetime.timedelta(hours=2)  # the worker saved 2 hours ago
    person_uuid = uuid.uuid4()
    batch = [
        record("person", "create", person_data(), id=person_uuid, recorded_at=saved_on_phone),
        record(
            "referral",
            "create",
            {
                "person": str(person_uuid),
                "service_at_location": str(service.pk),
                "reason": "vaccination",
            },
            recorded_at=saved_on_phone,
        ),
        record(
            "orientation",
            "create",
            {
                "person": str(person_uuid),
                "occurred_at": saved_on_phone.isoformat(),
                "topics": ["vaccination"],
                "channel": "in_person",
                "place_type": "metro",
                "outcome": "informed",
            },
            recorded_at=saved_on_phone,
        ),
    ]
    answer = push(device_client, batch, device_time=device_now)
    assert [a["status"] for a in results(answer)] == ["applied"] * 3
    assert answer.json()["clock_offset_seconds"] == pytest.approx(5 * 3600, abs=30)
    expected = real_now - datetime.timedelta(hours=2)
    person = Person.objects.get(client_uuid=person_uuid)
    referral = Referral.objects.get(person=person)
    orientation = Orientation.objects.get(person=person)
    for moment in (person.registered_at, referral.sent_at, orientation.occurred_at):
        assert abs((moment - expected).total_seconds()) < 30, moment


def test_a_time_in_the_future_becomes_now(promoter: User, device_client: Any) -> None:
    later = timezone.now() + datetime.timedelta(days=2)
    results(push(device_client, [record("person", "create", person_data(), recorded_at=later)]))
    person = Person.objects.get()
    assert abs((person.registered_at - timezone.now()).total_seconds()) < 30


# ---------------------------------------------------------------------------------------------
# Conflicts


@pytest.fixture
def someone(org_a: Organisation, promoter: User) -> Person:
    return PersonFactory.create(
        organisation=org_a, registered_by=promoter, phone="+507 6111-1111", notes="Embarazada"
    )


def test_a_field_unchanged_on_the_server_takes_the_device_value(
    someone: Person, device_client: Any
) -> None:
    change = record(
        "person",
        "update",
        {"phone": "+507 6222-2222"},
        id=someone.pk,
        base={"phone": someone.phone},
    )
    [answer] = results(push(device_client, [change]))
    someone.refresh_from_db()
    assert answer["status"] == "applied" and someone.phone == "+507 6222-2222"


def test_a_field_changed_on_both_sides_is_a_conflict_and_the_server_value_stays(
    someone: Person, promoter: User, device_client: Any
) -> None:
    people_actions.person_update(actor=promoter, person=someone, phone="+507 6333-3333")
    change = record(
        "person",
        "update",
        {"phone": "+507 6222-2222", "community": "host"},
        id=someone.pk,
        base={"phone": "+507 6111-1111", "community": "migrant"},
    )
    [answer] = results(push(device_client, [change]))
    someone.refresh_from_db()
    assert answer["status"] == "conflict"
    assert someone.phone == "+507 6333-3333"  # the server's value is kept
    assert someone.community == "host"  # the rest of the change is applied
    [conflict] = answer["conflicts"]
    assert conflict["field"] == "phone"
    assert conflict["device"] == "+507 6222-2222" and conflict["server"] == "+507 6333-3333"
    assert conflict["message"]
    stored = SyncConflict.objects.get()
    assert stored.resolved_at is None and stored.object_id == str(someone.pk)


def test_the_same_value_on_both_sides_is_no_conflict(
    someone: Person, promoter: User, device_client: Any
) -> None:
    people_actions.person_update(actor=promoter, person=someone, phone="+507 6333-3333")
    change = record(
        "person",
        "update",
        {"phone": "+507 6333-3333"},
        id=someone.pk,
        base={"phone": "+507 6111-1111"},
    )
    [answer] = results(push(device_client, [change]))
    assert answer["status"] == "applied" and not SyncConflict.objects.exists()


def test_notes_changed_on_both_sides_keep_both_versions(
    someone: Person, promoter: User, device_client: Any
) -> None:
    people_actions.person_update(actor=promoter, person=someone, notes="Embarazada, 7 meses")
    change = record(
        "person",
        "update",
        {"notes": "Control el martes"},
        id=someone.pk,
        base={"notes": "Embarazada"},
    )
    [answer] = results(push(device_client, [change]))
    someone.refresh_from_db()
    assert answer["status"] == "applied" and answer["merged"] == ["notes"]
    assert someone.notes.startswith("Embarazada, 7 meses")
    assert someone.notes.endswith("Control el martes")
    assert promoter.get_username() in someone.notes


def test_a_cancellation_after_the_centre_marked_attended_is_a_conflict(
    org_a: Organisation,
    org_b: Organisation,
    someone: Person,
    promoter: User,
    users_b: dict[str, User],
    device_client: Any,
) -> None:
    referral = referral_actions.referral_create(
        actor=promoter,
        person=someone,
        service_at_location=health_service(org_b),
        reason="vaccination",
    )
    focal_point = users_b[Role.FOCAL_POINT]
    referral_actions.referral_mark_received(actor=focal_point, referral_id=referral.pk)
    referral_actions.referral_accept(actor=focal_point, referral_id=referral.pk)
    referral_actions.referral_mark_attended(actor=focal_point, referral_id=referral.pk)
    change = record(
        "referral", "update", {"status": "cancelled", "reason": "No fue"}, id=referral.pk
    )
    [answer] = results(push(device_client, [change]))
    referral.refresh_from_db()
    assert answer["status"] == "conflict" and referral.status == ReferralStatus.ATTENDED
    [conflict] = answer["conflicts"]
    assert conflict["message"] == "Organisation B already marked this referral attended."
    assert answer["record"]["data"]["status"] == "attended"
    assert [e["to"] for e in answer["record"]["data"]["history"]] == [
        "sent",
        "received",
        "accepted",
        "attended",
    ]
    assert ReferralEvent.objects.filter(referral=referral).count() == 4


def test_a_task_done_on_both_sides_stays_done_with_both_notes(
    org_a: Organisation, someone: Person, promoter: User, device_client: Any
) -> None:
    task = FollowUpFactory.create(person=someone, assigned_to=promoter, organisation=org_a)
    task_actions.followup_complete(actor=promoter, follow_up=task, note="Contestó su hermana")
    change = record("follow_up", "update", {"status": "done", "note": "Asistió"}, id=task.pk)
    [answer] = results(push(device_client, [change]))
    task.refresh_from_db()
    assert answer["status"] == "applied" and answer["merged"] == ["note"]
    assert task.status == FollowUpStatus.DONE
    assert task.note.startswith("Contestó su hermana") and task.note.endswith("Asistió")


def test_a_task_cancelled_on_the_server_is_a_conflict(
    org_a: Organisation, someone: Person, promoter: User, device_client: Any
) -> None:
    task = FollowUpFactory.create(person=someone, assigned_to=promoter, organisation=org_a)
    people_actions.consent_withdraw(actor=promoter, person=someone, scope="contact")
    task.refresh_from_db()
    assert task.status == FollowUpStatus.CANCELLED
    change = record("follow_up", "update", {"status": "done", "note": "Llamé"}, id=task.pk)
    [answer] = results(push(device_client, [change]))
    task.refresh_from_db()
    assert answer["status"] == "conflict" and task.status == FollowUpStatus.CANCELLED
    assert "cancelled" in answer["conflicts"][0]["message"]


def test_a_consent_withdrawal_always_applies_and_erases(
    someone: Person, promoter: User, device_client: Any
) -> None:
    # The server changed the person meanwhile; the withdrawal still wins.
    people_actions.person_update(actor=promoter, person=someone, notes="Otra cosa")
    withdrawal = record(
        "consent", "create", {"person": str(someone.pk), "scope": "record", "granted": False}
    )
    [answer] = results(push(device_client, [withdrawal]))
    someone.refresh_from_db()
    assert answer["status"] == "applied" and someone.erased_at is not None
    assert answer["record"]["deleted"] is True
    # Sent again under a new key (the phone lost the answer): still applied, nothing new.
    again = record(
        "consent", "create", {"person": str(someone.pk), "scope": "record", "granted": False}
    )
    assert results(push(device_client, [again]))[0]["status"] == "applied"


def test_conflicts_are_listed_and_decided(
    someone: Person, promoter: User, device_client: Any
) -> None:
    people_actions.person_update(actor=promoter, person=someone, phone="+507 6333-3333")
    change = record(
        "person",
        "update",
        {"phone": "+507 6222-2222"},
        id=someone.pk,
        base={"phone": "+507 6111-1111"},
    )
    results(push(device_client, [change]))
    listed = device_client.get("/api/sync/conflicts")
    assert listed.status_code == 200
    [conflict] = listed.json()
    decided = device_client.post(
        f"/api/sync/conflicts/{conflict['id']}/resolve",
        '{"keep": "device"}',
        content_type="application/json",
    )
    assert decided.status_code == 200, decided.content
    someone.refresh_from_db()
    assert someone.phone == "+507 6222-2222"
    assert device_client.get("/api/sync/conflicts").json() == []
    twice = device_client.post(
        f"/api/sync/conflicts/{conflict['id']}/resolve",
        '{"keep": "server"}',
        content_type="application/json",
    )
    assert twice.status_code == 422 and twice.json()["code"] == "invalid"


def test_keeping_the_phones_value_is_refused_when_the_server_changed_it_again(
    someone: Person, promoter: User, device_client: Any
) -> None:
    # given a conflict on the phone number
    people_actions.person_update(actor=promoter, person=someone, phone="+507 6333-3333")
    change = record(
        "person", "update", {"phone": "+507 6222-2222"}, id=someone.pk,
        base={"phone": "+507 6111-1111"},
    )  # fmt: skip
    results(push(device_client, [change]))
    [conflict] = device_client.get("/api/sync/conflicts").json()
    # and a third change on the server after it
    people_actions.person_update(actor=promoter, person=someone, phone="+507 6444-4444")
    # when the worker chooses "keep mine"
    decided = device_client.post(
        f"/api/sync/conflicts/{conflict['id']}/resolve",
        '{"keep": "device"}',
        content_type="application/json",
    )
    # then it is refused with a reason, and the newest value stays
    assert decided.status_code == 422, decided.content
    assert "again" in decided.json()["detail"]
    someone.refresh_from_db()
    assert someone.phone == "+507 6444-4444"


def test_a_person_update_with_values_of_the_wrong_type_is_rejected_whole(
    someone: Person, device_client: Any
) -> None:
    change = record(
        "person", "update", {"whatsapp": "false", "given_name": {"a": 1}}, id=someone.pk,
        base={},
    )  # fmt: skip
    [answer] = results(push(device_client, [change]))
    assert answer["status"] == "rejected"
    assert set(answer["errors"]) == {"whatsapp", "given_name"}
    before = (someone.given_name, someone.phone_has_whatsapp)
    someone.refresh_from_db()
    assert (someone.given_name, someone.phone_has_whatsapp) == before


def test_times_out_of_any_range_are_answered_not_a_server_error(
    promoter: User, device_client: Any, someone: Person
) -> None:
    # a device clock in the year 9999 and an orientation typed for the year 9999
    far = datetime.datetime(9999, 12, 31, 23, 0, tzinfo=datetime.UTC)
    orientation = record(
        "orientation",
        "create",
        {
            "person": str(someone.pk), "occurred_at": far.isoformat(), "topics": ["vaccination"],
            "channel": "in_person", "place_type": "metro", "outcome": "informed", "note": "",
        },
    )  # fmt: skip
    response = push(device_client, [orientation], device_time=far)
    [answer] = results(response)
    # the broken clock is ignored (no correction) and the time is held to now: stored, not a 500
    assert response.json()["clock_offset_seconds"] == 0
    assert answer["status"] == "applied", answer["errors"]
    behind = timezone.now() - datetime.timedelta(hours=3)
    late = record(
        "orientation",
        "create",
        {**orientation["data"], "occurred_at": "9999-12-31T23:59:59+00:00"},
    )
    # a clock 3 hours behind moves that time past what a date can hold: refused with a reason
    [refused] = results(push(device_client, [late], device_time=behind))
    assert refused["status"] == "rejected" and "occurred_at" in refused["errors"]


# ---------------------------------------------------------------------------------------------
# The batch itself


def test_a_batch_too_large_is_refused_whole(promoter: User, device_client: Any) -> None:
    batch = [record("person", "create", person_data()) for _ in range(201)]
    answer = push(device_client, batch)
    assert answer.status_code == 413
    assert answer.json()["code"] == "batch_too_large"
    assert Person.objects.count() == 0


def test_a_malformed_batch_is_invalid(promoter: User, device_client: Any) -> None:
    answer = device_client.post(
        "/api/sync/push", '{"records": [{"kind": "person"}]}', content_type="application/json"
    )
    assert answer.status_code == 422 and answer.json()["code"] == "invalid"
    broken = device_client.post("/api/sync/push", "{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.json()["code"] == "invalid"


def test_push_is_callable_without_http(promoter: User) -> None:
    device, _token = register(promoter)
    change = record("person", "create", person_data())
    change["key"] = uuid.UUID(change["key"])
    change["recorded_at"] = None
    answer = protocol.push(device=device, device_time=None, records_in=[change])
    assert answer["results"][0]["status"] == "applied"
    assert FollowUp.objects.count() >= 0


def test_a_database_too_busy_to_write_is_a_503_to_retry_and_nothing_is_half_stored(
    promoter: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a batch whose second record meets a database that cannot take the write (SQLite's
    # lock not granted within its busy timeout, many phones at once)
    _device, token = register(promoter)
    client = phone(token, language="es")
    first_uuid, second_uuid = uuid.uuid4(), uuid.uuid4()
    batch = [
        record("person", "create", person_data(), id=first_uuid),
        record("person", "create", person_data(given_name="Marta"), id=second_uuid),
    ]
    original = protocol.HANDLERS[("person", "create")]

    def locked_on_second(ctx: Any, change: Any) -> Any:
        if str(change["id"]) == str(second_uuid):
            raise OperationalError("database is locked")
        return original(ctx, change)

    monkeypatch.setitem(protocol.HANDLERS, ("person", "create"), locked_on_second)
    # when it is pushed
    response = push(client, batch)
    # then the answer is 503 "busy" with a Retry-After, in the phone's language
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "busy"
    assert response["Retry-After"] == "5"
    assert "servidor" in response.json()["detail"]
    # and nothing of the batch is stored (it is one transaction), not even a receipt
    assert not Person.objects.filter(client_uuid__in=[first_uuid, second_uuid]).exists()
    assert not SyncReceipt.objects.exists()
    # and when the phone sends the batch again both are applied, once
    monkeypatch.setitem(protocol.HANDLERS, ("person", "create"), original)
    assert [answer["status"] for answer in results(push(client, batch))] == [
        "applied",
        "applied",
    ]
    assert [answer["status"] for answer in results(push(client, batch))] == [
        "duplicate",
        "duplicate",
    ]
    assert Person.objects.filter(client_uuid__in=[first_uuid, second_uuid]).count() == 2
