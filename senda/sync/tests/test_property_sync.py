"""A property-based test of the sync protocol (hypothesis): random offline edits on two phones
and random changes on the server, synced in a random order with retries, lost answers and
batches sent twice. Whatever the interleaving:

- every answer keeps its word: an ``applied`` change is on the server, a ``conflict`` kept the
  server's value and still holds the device's, a ``rejected`` one says why; nothing silent;
- a retried key changes nothing and gets the same answer (exactly once);
- a phone that syncs after the last change holds exactly the server's state of its scope.

Each scenario runs inside a transaction rolled back at its end, through the functions in
``senda.sync.protocol`` (the same ones the API calls). Derandomized: CI runs the same scenarios
every time; ``SENDA_HYPOTHESIS_EXAMPLES`` runs more of them locally.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.tests.factories import OrganisationFactory, member
from senda.casework.actions import people as people_actions
from senda.casework.actions import referrals as referral_actions
from senda.casework.models import (
    REFERRAL_TRANSITIONS,
    FollowUp,
    Person,
    Referral,
    ReferralStatus,
)
from senda.casework.tests.factories import FollowUpFactory, PersonFactory, health_service
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.sync import protocol
from senda.sync.models import Device, SyncConflict, SyncReceipt
from senda.sync.tests.helpers import in_panama, person_data, register

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("SENDA_HYPOTHESIS_EXAMPLES", "20"))
# Small pools of values, so that both sides often write the same value (no conflict) too.
VALUES: dict[str, list[str]] = {
    "phone": ["+507 6000-0001", "+507 6000-0002", "+507 6000-0003"],
    "given_name": ["Ana", "Belén", "Carla"],
    "community": ["migrant", "host"],
    "notes": ["Embarazada", "Llamar el lunes", "Sin documentos"],
}
EDITABLE = sorted(VALUES)
NEXT_REFERRAL_STEP = {
    ReferralStatus.SENT: "received",
    ReferralStatus.RECEIVED: "accepted",
    ReferralStatus.ACCEPTED: "attended",
}
MIRRORED_KINDS = ("person", "referral", "follow_up")


# ---------------------------------------------------------------------------------------------
# Scenarios: abstract steps, resolved against the state when they run (they shrink well).

device_index = st.integers(0, 1)
# Which record (modulo how many there are): a small range, so that both sides often touch the
# same person or referral and the conflict rules are reached.
pick = st.integers(0, 3)
device_edit = st.tuples(
    st.just("device_edit_person"), device_index, pick, st.sampled_from(EDITABLE), st.integers(0, 2)
)
server_edit = st.tuples(
    st.just("server_edit_person"), pick, st.sampled_from(EDITABLE), st.integers(0, 2)
)
steps = st.one_of(
    st.tuples(st.just("device_create_person"), device_index),
    device_edit,
    device_edit,
    server_edit,
    st.tuples(st.just("device_complete_follow_up"), device_index, pick, st.booleans()),
    st.tuples(st.just("device_cancel_referral"), device_index, pick),
    st.tuples(st.just("device_create_referral"), device_index, pick),
    server_edit,
    st.tuples(st.just("server_referral_step"), pick, st.booleans()),
    st.tuples(st.just("server_withdraw_consent"), pick, st.sampled_from(["contact", "record"])),
    st.tuples(st.just("sync"), device_index, st.sampled_from(["normal", "twice", "answer_lost"])),
)


@dataclass
class Phone:
    """What one simulated phone holds: the server's records as last seen, and its outbox."""

    device: Device
    mirror: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    cursor: str | None = None
    outbox: list[dict[str, Any]] = field(default_factory=list)
    # People this phone created and has not seen back from the server yet (device uuids).
    created: list[str] = field(default_factory=list)

    def records(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        return sorted((key[1], data) for key, data in self.mirror.items() if key[0] == kind)

    def take(self, record: dict[str, Any]) -> None:
        key = (record["kind"], record["id"])
        if record["deleted"]:
            self.mirror.pop(key, None)
        else:
            self.mirror[key] = record["data"]


@dataclass
class World:
    organisation: Organisation
    office: User
    focal_point: User
    service_id: Any
    phones: list[Phone]
    # Every change a phone sent: its key -> (the change, the first answer the server gave).
    sent: dict[str, dict[str, Any]] = field(default_factory=dict)
    first_answer: dict[str, dict[str, Any]] = field(default_factory=dict)


def build_world() -> World:
    organisation = in_panama(OrganisationFactory.create(name="Org A"))
    centre = OrganisationFactory.create(name="Centro de salud")
    office = member(organisation, Role.INFO_POINT_STAFF)
    focal_point = member(centre, Role.FOCAL_POINT)
    service = health_service(centre)
    phones = []
    for number in range(2):
        worker = member(organisation, Role.HEALTH_PROMOTER, first_name=f"Promotora {number}")
        for _person in range(2):
            someone = PersonFactory.create(
                organisation=organisation, registered_by=worker, notes="Embarazada"
            )
            FollowUpFactory.create(person=someone, assigned_to=worker, organisation=organisation)
            referral_actions.referral_create(
                actor=worker, person=someone, service_at_location=service, reason="vaccination"
            )
        device, _token = register(worker, name=f"Teléfono {number}")
        phones.append(Phone(device=device))
    world = World(organisation, office, focal_point, service.pk, phones)
    for phone in phones:
        pull_everything(phone)
    return world


# ---------------------------------------------------------------------------------------------
# The phone's side


def change(kind: str, op: str, object_id: str, data: dict[str, Any], base: Any = None) -> Any:
    return {
        "key": uuid.uuid4(),
        "kind": kind,
        "op": op,
        "id": object_id,
        "recorded_at": timezone.now(),
        "base": base or {},
        "data": data,
    }


def pull_everything(phone: Phone) -> None:
    for _page in range(100):
        page = protocol.pull(device=phone.device, cursor=phone.cursor, limit=200)
        for record in page["records"]:
            phone.take(record)
        phone.cursor = page["cursor"]
        if not page["more"]:
            return
    raise AssertionError("the pull never ended")


def sync(world: World, phone: Phone, mode: str) -> None:
    """Upload the outbox (maybe twice, maybe losing the answer), then download."""
    if phone.outbox:
        answer = protocol.push(
            device=phone.device, device_time=timezone.now(), records_in=phone.outbox
        )
        check_answers(world, phone.outbox, answer["results"])
        if mode == "twice":
            again = protocol.push(
                device=phone.device, device_time=timezone.now(), records_in=phone.outbox
            )
            check_answers(world, phone.outbox, again["results"])
        if mode != "answer_lost":
            for result in answer["results"]:
                if result["record"] is not None:
                    phone.take(result["record"])
            # Rejected changes stay on a real phone to be corrected; here they are done with.
            phone.outbox = []
            phone.created = []  # the server has them now (a new person is never refused)
    pull_everything(phone)


# ---------------------------------------------------------------------------------------------
# What every answer must keep


def _same(first: Any, second: Any) -> bool:
    return str(first or "").strip() == str(second or "").strip()


def check_answers(world: World, batch: list[dict[str, Any]], results: list[dict[str, Any]]) -> None:
    assert [r["key"] for r in results] == [str(c["key"]) for c in batch]
    for sent, result in zip(batch, results, strict=True):
        key = result["key"]
        first = world.first_answer.get(key)
        if first is None:
            world.sent[key] = sent
            world.first_answer[key] = result
            check_first_answer(sent, result)
            continue
        # A key seen before: the same answer again, nothing changed.
        expected = "rejected" if first["status"] == "rejected" else "duplicate"
        assert result["status"] == expected, (sent, first, result)
        assert result["id"] == first["id"] and result["uuid"] == first["uuid"]


def check_first_answer(sent: dict[str, Any], result: dict[str, Any]) -> None:
    status, kind, op = result["status"], sent["kind"], sent["op"]
    event(f"{kind} {op}: {status}")  # what the scenarios reached (--hypothesis-show-statistics)
    if status == "rejected":
        assert result["errors"], result  # never silent: the reason comes back
        assert kind != "person" or op != "create", result  # a valid new person is never refused
        return
    record = result["record"]
    assert record is not None, result
    data = record["data"]
    if kind == "person" and op == "create":
        assert status == "applied" and result["uuid"] == sent["id"], result
        assert data["given_name"] == sent["data"]["given_name"]
        return
    if kind == "person":
        assert status in ("applied", "conflict"), result
        conflicted = {c["field"]: c for c in result["conflicts"]}
        for name, value in sent["data"].items():
            if name in conflicted:
                # The server kept its value, and the device's is still there to decide.
                conflict = conflicted[name]
                assert _same(conflict["device"], value) and _same(conflict["server"], data[name])
                stored = SyncConflict.objects.get(pk=conflict["id"])
                assert stored.resolved_at is None and str(value) in stored.device_value
            elif record["deleted"]:
                pass  # the answer of a change to someone erased since: nothing to compare
            elif name == "notes":
                assert value.strip() in data["notes"], (value, data["notes"])
            else:
                assert _same(data[name], value), (name, value, data[name])
        assert (status == "conflict") == bool(conflicted)
        return
    if kind == "referral" and op == "create":
        assert status == "applied" and result["uuid"] == sent["id"], result
        assert Referral.objects.filter(client_uuid=sent["id"]).count() == 1
        return
    if kind == "referral":
        if status == "applied":
            # Stored cancelled; the answer shows it, unless the referral left the phone's scope
            # meanwhile (its person erased on the server): then the answer removes it.
            assert Referral.objects.get(pk=result["id"]).status == "cancelled", result
            assert record["deleted"] or data["status"] == "cancelled", result
        else:
            assert status == "conflict" and data["status"] != "cancelled", result
            assert "cancelled" not in REFERRAL_TRANSITIONS.get(data["status"], frozenset())
            assert result["conflicts"][0]["message"]
        return
    if kind == "follow_up":
        task = FollowUp.objects.get(pk=result["id"])
        if status == "applied":
            assert task.status == "done", result
            assert sent["data"]["note"].strip() in task.note
            assert record["deleted"] or data["status"] == "done", result
        else:
            # Cancelled on the server (consent withdrawn): out of the phone's scope, so the
            # answer removes it from the phone, and the conflict says why.
            assert status == "conflict" and task.status == "cancelled", result
            assert record["deleted"] and result["conflicts"][0]["message"]
        return
    raise AssertionError(f"unexpected change {sent}")


# ---------------------------------------------------------------------------------------------
# Running a scenario


def value_of(field_name: str, index: int) -> str:
    return VALUES[field_name][index % len(VALUES[field_name])]


def _chosen(items: list[Any], index: int) -> Any:
    return items[index % len(items)] if items else None


def run_step(world: World, step: tuple[Any, ...]) -> None:
    name = step[0]
    if name.startswith("device_") or name == "sync":
        phone = world.phones[step[1]]
    if name == "device_create_person":
        made = str(uuid.uuid4())
        phone.outbox.append(
            change("person", "create", made, person_data(given_name=f"Nueva {made[:4]}"))
        )
        phone.created.append(made)
    elif name == "device_edit_person":
        found = _chosen(phone.records("person"), step[2])
        if found is not None:
            person_id, data = found
            field_name, value = step[3], value_of(step[3], step[4])
            phone.outbox.append(
                change(
                    "person",
                    "update",
                    person_id,
                    {field_name: value},
                    base={field_name: data[field_name]},
                )
            )
    elif name == "device_complete_follow_up":
        open_tasks = [t for t in phone.records("follow_up") if t[1]["status"] == "open"]
        found = _chosen(open_tasks, step[2])
        if found is not None:
            note = "Asistió" if step[3] else ""
            phone.outbox.append(
                change("follow_up", "update", found[0], {"status": "done", "note": note})
            )
    elif name == "device_cancel_referral":
        found = _chosen(phone.records("referral"), step[2])
        if found is not None:
            phone.outbox.append(
                change("referral", "update", found[0], {"status": "cancelled", "reason": "Ya fue"})
            )
    elif name == "device_create_referral":
        people = [person_id for person_id, _data in phone.records("person")] + phone.created
        person = _chosen(people, step[2])
        if person is not None:
            data = {
                "person": person,
                "service_at_location": str(world.service_id),
                "reason": "vaccination",
            }
            phone.outbox.append(change("referral", "create", str(uuid.uuid4()), data))
    elif name == "sync":
        sync(world, phone, step[2])
    else:
        run_server_step(world, step)


def run_server_step(world: World, step: tuple[Any, ...]) -> None:
    """A change made in the office or at the health centre, through the staff actions."""
    name = step[0]
    people = list(
        Person.objects.filter(organisation=world.organisation, erased_at__isnull=True).order_by(
            "pk"
        )
    )
    try:
        if name == "server_edit_person":
            person = _chosen(people, step[1])
            if person is not None:
                people_actions.person_update(
                    actor=world.office, person=person, **{step[2]: value_of(step[2], step[3])}
                )
        elif name == "server_referral_step":
            referrals = list(
                Referral.objects.filter(
                    person__organisation=world.organisation, status__in=NEXT_REFERRAL_STEP
                ).order_by("pk")
            )
            referral = _chosen(referrals, step[1])
            if referral is not None:
                next_step = NEXT_REFERRAL_STEP[referral.status]
                if next_step == "accepted" and step[2]:
                    referral_actions.referral_decline(
                        actor=world.focal_point, referral_id=referral.pk, reason="no_capacity"
                    )
                else:
                    action = {
                        "received": referral_actions.referral_mark_received,
                        "accepted": referral_actions.referral_accept,
                        "attended": referral_actions.referral_mark_attended,
                    }[next_step]
                    action(actor=world.focal_point, referral_id=referral.pk)
        elif name == "server_withdraw_consent":
            person = _chosen(people, step[1])
            if person is not None:
                people_actions.consent_withdraw(actor=world.office, person=person, scope=step[2])
    except (ValidationError, PermissionDeniedError, NotFoundError):
        event(f"{name}: refused")  # not allowed now (the office would be told): nothing changed
    else:
        event(f"{name}: done")


def finish(world: World) -> None:
    """Everyone syncs after the last change; then each phone holds the server's state."""
    for phone in world.phones:
        sync(world, phone, "normal")
    for phone in world.phones:
        pull_everything(phone)
    for phone in world.phones:
        assert phone.outbox == []
        fresh = Phone(device=phone.device)
        pull_everything(fresh)
        for kind in MIRRORED_KINDS:
            assert phone.records(kind) == fresh.records(kind), kind
    # Exactly once: one receipt per change; one record per device uuid created.
    assert SyncReceipt.objects.count() == len(world.sent)
    created = [
        (sent["kind"], sent["id"])
        for key, sent in world.sent.items()
        if sent["op"] == "create" and world.first_answer[key]["status"] != "rejected"
    ]
    for kind, device_uuid in created:
        model = Person if kind == "person" else Referral
        assert model.objects.filter(client_uuid=device_uuid).count() == 1, (kind, device_uuid)
    # Nothing lost: every conflict still holds the device's value until a person decides.
    conflict_ids = [c["id"] for a in world.first_answer.values() for c in a["conflicts"]]
    assert SyncConflict.objects.filter(pk__in=conflict_ids, resolved_at__isnull=True).count() == (
        len(set(conflict_ids))
    )
    assert Counter(FollowUp.objects.values_list("status", flat=True))  # tasks still there


class Rollback(Exception):
    """Undoes a scenario's writes, so every example starts from the same empty database."""


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(scenario=st.lists(steps, min_size=10, max_size=30))
# Always also these: each conflict rule reached at least once, whatever is generated.
@example(
    scenario=[
        ("device_edit_person", 0, 0, "phone", 0),  # offline on phone 0...
        ("device_edit_person", 0, 0, "notes", 1),
        ("server_edit_person", 0, "phone", 1),  # ...and in the office, the same person
        ("server_edit_person", 0, "notes", 2),
        ("sync", 0, "answer_lost"),
        ("device_edit_person", 1, 0, "phone", 2),  # phone 1 still has the first value
        ("sync", 1, "twice"),
        ("sync", 0, "normal"),
    ]
)
@example(
    scenario=[
        ("device_cancel_referral", 0, 0),
        ("device_complete_follow_up", 0, 0, True),
        ("device_complete_follow_up", 1, 0, True),
        ("server_referral_step", 0, False),
        ("server_referral_step", 0, False),
        ("server_referral_step", 0, False),
        ("server_withdraw_consent", 0, "contact"),
        ("server_withdraw_consent", 1, "contact"),
        ("server_withdraw_consent", 2, "contact"),
        ("server_withdraw_consent", 3, "contact"),
        ("sync", 0, "twice"),
        ("device_create_person", 1),
        ("device_create_referral", 1, 4),
        ("server_withdraw_consent", 0, "record"),
        ("sync", 1, "answer_lost"),
    ]
)
def test_two_phones_and_the_server_converge_with_no_write_lost(
    scenario: list[tuple[Any, ...]],
) -> None:
    try:
        with transaction.atomic():
            world = build_world()
            for step in scenario:
                run_step(world, step)
            finish(world)
            raise Rollback
    except Rollback:
        pass
