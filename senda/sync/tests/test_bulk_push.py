"""The bulk upload path writes what the per-record path writes: the same batch pushed through
both, into two organisations, leaves the same rows field by field (ids, card codes and times
aside) and gets the same answers; and it writes a batch in a few queries."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import pytest
from django.db import models
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.tests.factories import OrganisationFactory
from senda.casework.models import (
    ConsentEvent,
    DoseTally,
    FollowUp,
    FollowUpRule,
    FollowUpTrigger,
    Orientation,
    OutreachActivity,
    OutreachTally,
    Person,
    PersonSearchKey,
    Referral,
    ReferralEvent,
    VaccinationSession,
)
from senda.casework.tests.factories import PersonFactory, health_service
from senda.core.models import AuditEntry
from senda.sync import protocol
from senda.sync.models import Device, SyncReceipt
from senda.sync.tests.helpers import AREA, in_panama, person_data, record, register

pytestmark = pytest.mark.django_db

CREATED = (Person, Orientation, Referral, OutreachActivity, VaccinationSession)
# What differs between two organisations' answers for the same work: ids, codes, times.
ANSWER_TIMES_AND_IDS = (
    "code", "registered_at", "registered_by", "person", "occurred_at", "sent_at",
    "status_changed_at", "receive_by", "attend_by", "history",
)  # fmt: skip


def _batch(uuids: list[uuid.UUID], existing: Person, service_id: Any) -> list[dict[str, Any]]:
    """Every kind of new record, rejections, a reference to a person of the same batch and to
    one already on the server, and an update in the middle (the bulk path writes what comes
    before it first)."""
    moment = timezone.now() - datetime.timedelta(minutes=30)
    today = timezone.localdate().isoformat()

    def orientation(person: Any, topics: list[str], note: str) -> dict[str, Any]:
        return {
            "person": str(person),
            "occurred_at": moment.isoformat(),
            "topics": topics,
            "channel": "in_person",
            "place_type": "metro",
            "outcome": "informed",
            "note": note,
        }

    def referral(person: Any, note: str) -> dict[str, Any]:
        return {
            "person": str(person),
            "service_at_location": str(service_id),
            "reason": "vaccination",
            "urgency": "soon",
            "note": note,
        }

    changes = [
        ("person", person_data(given_name="Ana", code="PA-AAAA-BBBB")),
        (
            "person",
            person_data(
                given_name="Beto",
                year_of_birth=None,
                age_group="18-29",
                consent_contact=False,
                consent_share=False,
            ),
        ),
        ("person", person_data(given_name="  ")),  # rejected: no name
        ("orientation", orientation(uuids[0], ["vaccination", "documents"], "Dudas")),
        ("orientation", orientation(existing.pk, ["vaccination"], "")),
        ("referral", referral(uuids[0], "Esquema incompleto")),
        ("referral", referral(uuids[1], "")),  # rejected: no consent to share
        (
            "outreach",
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
        ),
        (
            "vaccination",
            {
                "date": today,
                "place_name": "Parque",
                "area": AREA,
                "people_referred": 2,
                "doses": [{"vaccine": "influenza", "age_group": "60+", "count": 9}],
            },
        ),
        ("update", {"notes": "Vive cerca del metro"}),
        ("person", person_data(given_name="Carla", phone="", whatsapp=False)),
        ("orientation", orientation(uuids[10], ["documents"], "Primera vez")),
        ("referral", referral(existing.pk, "")),
        ("orientation", orientation(uuids[0], ["no-such-topic"], "")),  # rejected
    ]
    batch = []
    for index, (kind, data) in enumerate(changes):
        if kind == "update":
            batch.append(
                record(
                    "person", "update", data, id=existing.pk, base={"notes": ""}, recorded_at=moment
                )
            )
        else:
            batch.append(record(kind, "create", data, id=uuids[index], recorded_at=moment))
    return batch


def _setup(organisation: Organisation, promoter: User) -> tuple[Device, Person]:
    in_panama(organisation)
    device, _token = register(promoter)
    existing = PersonFactory.create(
        organisation=organisation,
        registered_by=promoter,
        given_name="Dora",
        phone="+507 6000-0001",
        consents_to_contact=True,
        consents_to_share=True,
        registered_at=timezone.now() - datetime.timedelta(days=3),
        last_activity_at=timezone.now() - datetime.timedelta(days=3),
    )
    return device, existing


def _rows(organisation: Organisation, uuids: list[uuid.UUID], actor: User) -> dict[str, Any]:
    """Every row the uploads wrote for ``organisation``, as comparable values: ids become
    labels (the record's place in the batch), times, card codes and keys are left out."""
    labels: dict[str, str] = {str(organisation.pk): "organisation", str(actor.pk): "worker"}
    for model in CREATED:
        made = model.objects.filter(client_uuid__in=uuids)
        for pk, client_uuid in made.values_list("pk", "client_uuid"):
            labels[str(pk)] = f"{model.__name__}#{uuids.index(uuid.UUID(str(client_uuid)))}"
    existing = Person.objects.filter(organisation=organisation, client_uuid__isnull=True)
    labels.update((str(pk), "existing") for pk in existing.values_list("pk", flat=True))
    for task in FollowUp.objects.filter(organisation=organisation):
        labels[str(task.pk)] = (
            f"FollowUp:{labels[str(task.person_id)]}:{labels.get(str(task.referral_id))}"
            f":{task.rule_id}"
        )

    def plain(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: plain(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if key in {"assigned_to", "registered_by"} and value is not None:
            return labels.get(str(value), value)
        if isinstance(value, uuid.UUID | str):
            return labels.get(str(value), value)
        return value

    def row(obj: models.Model) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for model_field in obj._meta.concrete_fields:
            name = model_field.name
            if model_field.primary_key or name in {"client_uuid", "code", "key", "device"}:
                continue
            if isinstance(model_field, models.DateTimeField) or name == "actor_username":
                continue
            value = getattr(obj, model_field.attname)
            if name == "result":
                value = json.loads(value)
                value.pop("key")
                value["uuid"] = labels.get(str(value["id"])) if value["uuid"] else None
            if model_field.related_model is User and value is not None:
                value = labels.get(str(value), value)
            out[name] = plain(value, name)
        return out

    people = Person.objects.filter(organisation=organisation)
    in_org: dict[str, Any] = {
        "people": people,
        "search keys": PersonSearchKey.objects.filter(organisation=organisation),
        "consents": ConsentEvent.objects.filter(person__in=people),
        "orientations": Orientation.objects.filter(organisation=organisation),
        "topics": Orientation.topics.through.objects.filter(orientation__organisation=organisation),
        "referrals": Referral.objects.filter(organisation=organisation),
        "history": ReferralEvent.objects.filter(referral__organisation=organisation),
        "tasks": FollowUp.objects.filter(organisation=organisation),
        "outreach": OutreachActivity.objects.filter(organisation=organisation),
        "tallies": OutreachTally.objects.filter(activity__organisation=organisation),
        "sessions": VaccinationSession.objects.filter(organisation=organisation),
        "doses": DoseTally.objects.filter(session__organisation=organisation),
        "audit": AuditEntry.objects.filter(
            organisation=organisation, action__startswith="casework."
        ),
        "receipts": SyncReceipt.objects.filter(device__organisation=organisation),
    }
    return {
        name: sorted((row(obj) for obj in queryset), key=lambda item: json.dumps(item, default=str))
        for name, queryset in in_org.items()
    }


def _answers(answers: list[dict[str, Any]], uuids: list[uuid.UUID]) -> list[Any]:
    def plain(answer: dict[str, Any]) -> dict[str, Any]:
        data = dict((answer["record"] or {}).get("data") or {})
        for name in ANSWER_TIMES_AND_IDS:
            data.pop(name, None)
        return {
            "status": answer["status"],
            "errors": answer["errors"],
            "uuid": uuids.index(uuid.UUID(answer["uuid"])) if answer["uuid"] else None,
            "data": data,
        }

    return [plain(answer) for answer in answers]


def test_the_bulk_path_writes_the_same_rows_and_answers_as_the_per_record_path(
    org_a: Organisation,
    org_b: Organisation,
    users_a: dict[str, User],
    users_b: dict[str, User],
) -> None:
    # given the same phone work in two organisations, with rules that make tasks
    receiving = OrganisationFactory.create()
    service = health_service(receiving)
    FollowUpRule.objects.create(
        trigger=FollowUpTrigger.PERSON_REGISTERED, days_after=30, title="Llamar"
    )
    FollowUpRule.objects.create(
        trigger=FollowUpTrigger.REFERRAL_SENT, days_after=7, title="¿Fue?", reason="vaccination"
    )
    FollowUpRule.objects.create(
        trigger=FollowUpTrigger.REFERRAL_SENT,
        days_after=2,
        title="Revisar",
        requires_contact=False,
    )
    worker_a, worker_b = users_a[Role.HEALTH_PROMOTER], users_b[Role.HEALTH_PROMOTER]
    device_a, existing_a = _setup(org_a, worker_a)
    device_b, existing_b = _setup(org_b, worker_b)
    uuids_a = [uuid.uuid4() for _ in range(14)]
    uuids_b = [uuid.uuid4() for _ in range(14)]
    batch_a = _batch(uuids_a, existing_a, service.pk)
    batch_b = _batch(uuids_b, existing_b, service.pk)
    for batch in (batch_a, batch_b):
        for change in batch:
            change["key"] = uuid.UUID(change["key"])
            change["recorded_at"] = datetime.datetime.fromisoformat(change["recorded_at"])
    # when one goes through the bulk path and the other record by record
    bulk = protocol.push(device=device_a, device_time=timezone.now(), records_in=batch_a)
    one_by_one = protocol.push(
        device=device_b, device_time=timezone.now(), records_in=batch_b, bulk=False
    )
    # then the answers are the same
    statuses = [answer["status"] for answer in bulk["results"]]
    assert statuses.count("rejected") == 3 and statuses.count("applied") == 11, bulk["results"]
    assert _answers(bulk["results"], uuids_a) == _answers(one_by_one["results"], uuids_b)
    # and so is every row written, field by field
    rows_a, rows_b = _rows(org_a, uuids_a, worker_a), _rows(org_b, uuids_b, worker_b)
    assert rows_a["tasks"], "the rules made no task: the comparison would miss them"
    for name in rows_a:
        assert rows_a[name] == rows_b[name], name
    # and the card code the phone offered was kept
    assert Person.objects.get(client_uuid=uuids_a[0]).code == "PA-AAAA-BBBB"
    # and sending the batch again answers "duplicate" for what was applied, changing nothing
    again = protocol.push(device=device_a, device_time=timezone.now(), records_in=batch_a)
    assert [a["status"] for a in again["results"]] == [
        "duplicate" if status == "applied" else status for status in statuses
    ]
    assert _rows(org_a, uuids_a, worker_a) == rows_a


def test_a_batch_of_new_people_is_written_in_a_few_queries(
    org_a: Organisation,
    users_a: dict[str, User],
    django_assert_max_num_queries: Any,
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    in_panama(org_a)
    device, _token = register(promoter)
    FollowUpRule.objects.create(
        trigger=FollowUpTrigger.PERSON_REGISTERED, days_after=30, title="Llamar"
    )
    batch = [record("person", "create", person_data(given_name=f"Persona {n}")) for n in range(100)]
    for change in batch:
        change["key"] = uuid.UUID(change["key"])
        change["recorded_at"] = None
    # A fixed number of queries, whatever the batch's size (never one per record).
    with django_assert_max_num_queries(40):
        answer = protocol.push(device=device, device_time=None, records_in=batch)
    assert {result["status"] for result in answer["results"]} == {"applied"}
    assert Person.objects.filter(organisation=org_a).count() == 100
    rules = FollowUpRule.objects.filter(
        trigger=FollowUpTrigger.PERSON_REGISTERED, is_active=True, organisation__isnull=True
    )
    assert FollowUp.objects.filter(organisation=org_a).count() == 100 * rules.count()
    assert SyncReceipt.objects.filter(device=device).count() == 100
    assert AuditEntry.objects.filter(action="casework.person_register").count() == 100


def test_the_same_device_uuid_taken_meanwhile_falls_back_record_by_record(
    org_a: Organisation, users_a: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a batch whose second person was registered meanwhile by the same upload sent
    # from elsewhere (it was free when the batch started)
    promoter = users_a[Role.HEALTH_PROMOTER]
    in_panama(org_a)
    device, _token = register(promoter)
    batch = [record("person", "create", person_data(given_name=f"P{n}")) for n in range(3)]
    for change in batch:
        change["key"] = uuid.UUID(change["key"])
        change["recorded_at"] = None
    taken = uuid.UUID(batch[1]["id"])
    original = protocol._unused_device_uuids

    def free_then_taken(records_in: Any) -> Any:
        unused = original(records_in)
        PersonFactory.create(organisation=org_a, registered_by=promoter, client_uuid=taken)
        return unused

    monkeypatch.setattr(protocol, "_unused_device_uuids", free_then_taken)
    answer = protocol.push(device=device, device_time=None, records_in=batch)
    # then the write in bulk fails on the unique key and each record is applied on its own:
    # the taken one answers "duplicate", the others are applied, each once
    assert [a["status"] for a in answer["results"]] == ["applied", "duplicate", "applied"]
    assert Person.objects.filter(client_uuid__in=[c["id"] for c in batch]).count() == 3
    assert SyncReceipt.objects.filter(device=device).count() == 3


@pytest.mark.parametrize(
    ("given_name", "family_name", "phone"),
    [
        ("José José", "Pérez-Núñez", "+507 6123-4567"),
        ("Yésica", "O'Neil de la Cruz", ""),
        ("Wilmer  Ch", "Quiñónez", "61234567"),
        ("A", "B", "+58 (412) 555 12 34"),
    ],
)
def test_the_batch_hashes_the_search_keys_as_a_registration_does(
    org_a: Organisation, users_a: dict[str, User], given_name: str, family_name: str, phone: str
) -> None:
    from senda.casework.actions.bulk import FieldBatch
    from senda.casework.keys import search_digests

    batch = FieldBatch(actor=users_a[Role.HEALTH_PROMOTER], organisation=org_a)
    person = Person(given_name=given_name, family_name=family_name, phone=phone)
    twice = [batch._search_digests(person), batch._search_digests(person)]  # the second memoised
    assert twice == [search_digests(given_name, family_name, phone)] * 2
