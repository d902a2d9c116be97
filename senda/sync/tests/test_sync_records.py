"""The download's lean reads: plain rows give exactly the records the model instances give, the
page's personal fields are decrypted together exactly as one by one, a page costs the same
queries whatever its size, and the answer's bytes are what Ninja writes for its schema."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from ninja.responses import NinjaJSONEncoder

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.casework.actions import people as people_actions
from senda.casework.actions import referrals as referral_actions
from senda.casework.models import FollowUp, FollowUpStatus, Person, Referral, ReferralEvent
from senda.casework.tests.factories import FollowUpFactory, PersonFactory, health_service
from senda.core import crypto
from senda.directory.models import ServiceAtLocation
from senda.sync import protocol, records
from senda.sync.api import PullOut
from senda.sync.models import Device
from senda.sync.tests.helpers import in_panama, phone, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def promoter(org_a: Organisation, users_a: dict[str, User]) -> User:
    in_panama(org_a)
    return users_a[Role.HEALTH_PROMOTER]


def _field_work(org_a: Organisation, org_b: Organisation, promoter: User, count: int) -> None:
    """``count`` people of the promoter, half with a referral (history by two organisations,
    one step by nobody) and a task (some done, with a note), all fields filled."""
    service = health_service(org_b)
    service.service.language = "es"
    service.service.name = "Centro de salud"
    service.service.translations = {"en": {"name": "Health centre"}}
    service.service.save()
    focal_point = User.objects.create(username="focal", first_name="Ana", last_name="Ruiz")
    for number in range(count):
        person = PersonFactory.create(
            organisation=org_a,
            registered_by=promoter,
            notes=f"Embarazada, {number} meses" if number % 2 else "",
            area_id="PA0805",
        )
        if number % 2:
            continue
        referral = referral_actions.referral_create(
            actor=promoter,
            person=person,
            service_at_location=service,
            reason="vaccination",
            note="Llega con su hija",
        )
        ReferralEvent.objects.create(
            referral=referral, at=timezone.now(), actor=focal_point, to_status="sent", note="x"
        )
        ReferralEvent.objects.create(referral=referral, at=timezone.now(), to_status="sent")
        FollowUpFactory.create(
            person=person,
            referral=referral,
            assigned_to=promoter,
            organisation=org_a,
            status=FollowUpStatus.DONE if number % 4 else FollowUpStatus.OPEN,
            completed_at=timezone.now() if number % 4 else None,
            note="Llamada hecha" if number % 4 else "",
        )


# The records as built from model instances, field by field: the oracle the plain rows must
# match (what the download sent before it read plain rows).


def _iso(moment: datetime.datetime | datetime.date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _id(value: Any) -> str | None:
    return str(value) if value is not None else None


def _actor_name(event: ReferralEvent) -> str:
    if event.actor is None:
        return ""
    return event.actor.get_full_name() or event.actor.get_username()


def _referral_data(referral: Referral) -> dict[str, Any]:
    sal = ServiceAtLocation.objects.filter(
        service_id=referral.service_id, location_id=referral.location_id
    ).first()
    return {
        "person": str(referral.person_id),
        "service_at_location": _id(sal.pk if sal else None),
        "service": str(referral.service_id),
        "location": str(referral.location_id),
        "service_name": str(referral.service.tr("name")),
        "location_name": str(referral.location.tr("name")),
        "receiving_organisation": referral.receiving_organisation.name,
        "reason": referral.reason,
        "urgency": referral.urgency,
        "note": referral.note,
        "status": referral.status,
        "status_changed_at": _iso(referral.status_changed_at),
        "sent_at": _iso(referral.sent_at),
        "received_at": _iso(referral.received_at),
        "attended_at": _iso(referral.attended_at),
        "closed_at": _iso(referral.closed_at),
        "receive_by": _iso(referral.receive_by),
        "attend_by": _iso(referral.attend_by),
        "outcome": referral.outcome,
        "outcome_note": referral.outcome_note,
        "decline_reason": referral.decline_reason,
        "history": [
            {
                "at": _iso(event.at),
                "from": event.from_status,
                "to": event.to_status,
                "by": _actor_name(event),
                "organisation": event.organisation.name if event.organisation else "",
                "note": event.note,
            }
            for event in referral.events.all()
        ],
    }


def _follow_up_data(task: FollowUp) -> dict[str, Any]:
    return {
        "person": str(task.person_id),
        "referral": _id(task.referral_id),
        "title": task.title,
        "due_on": _iso(task.due_on),
        "status": task.status,
        "completed_at": _iso(task.completed_at),
        "note": task.note,
    }


def _from_instances(kind: str, queryset: Any) -> list[dict[str, Any]]:
    oracles: dict[str, Callable[[Any], dict[str, Any]]] = {
        "person": records.person_data,
        "referral": _referral_data,
        "follow_up": _follow_up_data,
    }
    data = oracles[kind]
    return [records.envelope(kind, obj, data(obj)) for obj in queryset]


@pytest.mark.parametrize("language", ["es", "en"])
def test_lean_reads_give_the_records_of_model_instances(
    org_a: Organisation, org_b: Organisation, promoter: User, language: str
) -> None:
    _field_work(org_a, org_b, promoter, 6)
    with translation.override(language):
        for kind, queryset in (
            ("person", Person.objects.filter(organisation=org_a)),
            ("referral", Referral.objects.filter(organisation=org_a)),
            ("follow_up", FollowUp.objects.filter(organisation=org_a)),
        ):
            ordered = queryset.order_by("pk")
            lean = records.read(kind, ordered)
            loaded = _from_instances(kind, ordered)
            assert len(lean) == queryset.count() > 0
            assert lean == loaded, kind
        referral = records.read("referral", Referral.objects.order_by("pk"))[0]["data"]
    assert {step["by"] for step in referral["history"]} >= {"Ana Ruiz", ""}
    expected_name = "Centro de salud" if language == "es" else "Health centre"
    assert referral["service_name"] == expected_name
    assert referral["note"] == "Llega con su hija"


def test_moments_dates_and_ids_read_as_the_wire_writes_them(
    org_a: Organisation, org_b: Organisation, promoter: User
) -> None:
    """The database's text of a moment with no fraction of a second, of one saved in another
    time zone, of a date and of a missing value is what ``isoformat`` writes."""
    _field_work(org_a, org_b, promoter, 4)
    on_the_second = datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC)
    in_panama_time = datetime.datetime(2026, 3, 1, 3, 0, 0, 5, tzinfo=ZoneInfo("America/Panama"))
    first, second = Person.objects.filter(organisation=org_a).order_by("pk")[:2]
    made_on_the_phone = uuid.uuid4()
    Person.objects.filter(pk=first.pk).update(
        registered_at=on_the_second, client_uuid=made_on_the_phone
    )
    Person.objects.filter(pk=second.pk).update(registered_at=in_panama_time, client_uuid=None)
    Referral.objects.filter(organisation=org_a).update(
        sent_at=on_the_second, receive_by=in_panama_time, closed_at=None
    )
    FollowUp.objects.filter(organisation=org_a).update(
        due_on=datetime.date(2026, 3, 9), completed_at=on_the_second
    )
    for kind, queryset in (
        ("person", Person.objects.filter(organisation=org_a)),
        ("referral", Referral.objects.filter(organisation=org_a)),
        ("follow_up", FollowUp.objects.filter(organisation=org_a)),
    ):
        ordered = queryset.order_by("pk")
        assert records.read(kind, ordered) == _from_instances(kind, ordered), kind
    people = {record["id"]: record for record in records.read("person", Person.objects.all())}
    assert people[str(first.pk)]["data"]["registered_at"] == "2026-03-01T08:00:00+00:00"
    assert people[str(first.pk)]["uuid"] == str(made_on_the_phone)
    assert people[str(second.pk)]["data"]["registered_at"] == "2026-03-01T08:00:00.000005+00:00"
    assert people[str(second.pk)]["uuid"] is None
    referral = records.read("referral", Referral.objects.filter(organisation=org_a))[0]["data"]
    assert (referral["sent_at"], referral["closed_at"]) == ("2026-03-01T08:00:00+00:00", None)
    task = records.read("follow_up", FollowUp.objects.filter(organisation=org_a))[0]["data"]
    assert task["due_on"] == "2026-03-09"


@pytest.fixture
def fresh_keys(settings: Any) -> Iterator[Any]:
    crypto.reset_key_cache()
    yield settings
    crypto.reset_key_cache()


def test_a_page_is_decrypted_together_as_value_by_value(fresh_keys: Any) -> None:
    old_key, new_key = crypto.new_field_key(), crypto.new_field_key()
    fresh_keys.SENDA_FIELD_KEYS = old_key
    crypto.reset_key_cache()
    texts = ["Yohana", "", "Pérez Ñandú 👋", "x" * 15, "y" * 16, "z" * 300, "+507 6123-4567"]
    under_old = [crypto.encrypt_text(text) for text in texts]
    # During a rotation: new values under the new key, older ones still under the old.
    fresh_keys.SENDA_FIELD_KEYS = f"{new_key},{old_key}"
    crypto.reset_key_cache()
    under_new = [crypto.encrypt_text(text) for text in texts]
    tokens: list[str | None] = [*under_new, *under_old, None]
    assert crypto.decrypt_many(tokens) == [*texts, *texts, ""]
    assert crypto.decrypt_many(tokens) == [crypto.decrypt_text(t or "") for t in tokens]
    # A value that no key opens, or one altered, is an error, never a wrong text.
    stranger = Fernet(crypto.new_field_key().encode()).encrypt(b"secret").decode()
    altered = under_new[0][:-6] + ("AAAAAA" if not under_new[0].endswith("AAAAAA") else "BBBBBB")
    for bad in (stranger, altered, "not a token"):
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt_many([under_new[0], bad])


def _queries_of(device: Device, cursor: str | None, limit: int) -> tuple[int, dict[str, Any]]:
    with CaptureQueriesContext(connection) as captured:
        page = protocol.pull(device=device, cursor=cursor, limit=limit)
    return len(captured.captured_queries), page


def _people_pages(device: Device, limit: int) -> tuple[int, int, dict[str, Any]]:
    """Pull until the page after the reference lists and the first people; returns the query
    count and size of the first page made of people only, and the cursor's page."""
    cursor: str | None = None
    for _page in range(100):
        count, page = _queries_of(device, cursor, limit)
        kinds = {record["kind"] for record in page["records"]}
        if kinds == {"person"} and len(page["records"]) == limit:
            return count, len(page["records"]), page
        cursor = page["cursor"]
    raise AssertionError("no page of people only")


def _device(promoter: User) -> Device:
    device, _token = register(promoter)
    return Device.objects.select_related("user", "organisation").get(pk=device.pk)


def test_a_page_costs_the_same_queries_whatever_the_number_of_records(
    org_a: Organisation, org_b: Organisation, promoter: User
) -> None:
    _field_work(org_a, org_b, promoter, 40)
    device = _device(promoter)
    # Pages made of people only: 4 of them, then 20.
    small, small_size, _ = _people_pages(device, 4)
    large, large_size, _ = _people_pages(device, 20)
    assert (small_size, large_size) == (4, 20)
    assert small == large
    # The referrals (with services, centres, organisations and history) and their tasks: the
    # whole snapshot in one page, with 20 referrals, then with 2.
    counts: dict[int, int] = {}
    for wanted in (20, 2):
        referral_ids = Referral.objects.filter(organisation=org_a).order_by("pk")
        Referral.objects.filter(
            pk__in=list(referral_ids.values_list("pk", flat=True))[wanted:]
        ).delete()
        count, page = _queries_of(device, None, 500)
        kinds = [record["kind"] for record in page["records"]]
        assert kinds.count("referral") == wanted and kinds.count("follow_up") >= wanted
        assert kinds.count("person") == 40
        counts[wanted] = count
    assert counts[2] == counts[20]


def test_a_feed_page_costs_the_same_queries_whatever_the_number_of_changes(
    org_a: Organisation, org_b: Organisation, promoter: User
) -> None:
    _field_work(org_a, org_b, promoter, 40)
    device = _device(promoter)
    cursor: str | None = None
    while True:
        page = protocol.pull(device=device, cursor=cursor, limit=500)
        cursor = page["cursor"]
        if not page["more"]:
            break
    counts = []
    # People with a referral and a task: each change also sends those.
    referred = Person.objects.filter(organisation=org_a, referrals__isnull=False).order_by("pk")
    for changed in (2, 20):
        for person in referred[:changed]:
            people_actions.person_update(
                actor=promoter, person=person, phone=f"+507 6000-{changed}"
            )
        count, page = _queries_of(device, cursor, 500)
        kinds = [record["kind"] for record in page["records"]]
        assert (kinds.count("person"), kinds.count("referral")) == (changed, changed)
        counts.append(count)
        cursor = page["cursor"]
    assert counts[0] == counts[1]


def test_the_pull_answer_is_what_ninja_writes_for_its_schema(
    org_a: Organisation, org_b: Organisation, promoter: User
) -> None:
    _field_work(org_a, org_b, promoter, 6)
    _device_row, token = register(promoter)
    client = phone(token, language="es")
    cursor = None
    for _page in range(20):
        answer = client.get(
            "/api/sync/pull", {"limit": 7, **({"cursor": cursor} if cursor else {})}
        )
        assert answer.status_code == 200
        assert answer["Content-Type"] == "application/json; charset=utf-8"
        body = json.loads(answer.content)
        # What Ninja made of the dict: validated against PullOut, then its encoder.
        validated = PullOut.model_validate(body).model_dump()
        assert answer.content == json.dumps(validated, cls=NinjaJSONEncoder).encode()
        assert isinstance(validated["server_time"], datetime.datetime)
        assert body["server_time"].endswith("Z")
        cursor = body["cursor"]
        if not body["more"]:
            break
    else:
        raise AssertionError("the pull never ended")
