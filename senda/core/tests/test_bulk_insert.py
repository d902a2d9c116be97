"""``insert_objects``/``insert_rows`` store exactly what ``bulk_create`` stores: the same values
read back, field by field, for every kind of column the field app's upload writes (text,
encrypted text, integers, booleans, UUIDs and foreign keys to them, dates, aware datetimes,
``auto_now_add``, JSON, IP addresses, None), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.casework.models import FollowUp, Person, PersonSearchKey, SearchKeyKind
from senda.casework.tests.factories import PersonFactory
from senda.core.bulk_insert import insert_objects, insert_rows
from senda.core.models import AuditEntry

pytestmark = pytest.mark.django_db
DONE_AT = datetime.datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=datetime.UTC)


def stored(model: type[models.Model], pks: list[Any]) -> list[dict[str, Any]]:
    """Every concrete field of the rows, as the ORM reads them back (the pk and the moment of
    writing left out)."""
    names = [
        field.attname
        for field in model._meta.concrete_fields
        if not field.primary_key and not getattr(field, "auto_now_add", False)
    ]
    rows = {
        row[model._meta.pk.attname]: row
        for row in model._default_manager.filter(pk__in=pks).values()
    }
    return [{name: rows[pk][name] for name in names} for pk in pks]


def follow_ups(org: Organisation, person: Person, user: User) -> list[FollowUp]:
    return [
        FollowUp(
            organisation=org,
            person=person,
            assigned_to=user if number % 2 else None,
            created_by=user,
            title=f"Llamar a la persona {number} — señal débil",
            due_on=datetime.date(2026, 12, 1) + datetime.timedelta(days=number),
            note="" if number % 3 else f"Nota {number}: ñandú",
            completed_at=DONE_AT if number == 2 else None,
        )
        for number in range(5)
    ]


def test_objects_are_stored_as_bulk_create_stores_them(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    user = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=user)
    ours, theirs = follow_ups(org_a, person, user), follow_ups(org_a, person, user)
    before = timezone.now()
    assert insert_objects(FollowUp, ours) == 5
    FollowUp.objects.bulk_create(theirs)
    assert stored(FollowUp, [task.pk for task in ours]) == stored(
        FollowUp, [task.pk for task in theirs]
    )
    assert all(not task._state.adding for task in ours)
    assert all(task.created_at >= before for task in FollowUp.objects.filter(person=person))
    # Encrypted at rest like any other save: the column never holds the note in clear.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT note FROM {FollowUp._meta.db_table} WHERE id = %s",  # noqa: S608
            [FollowUp._meta.pk.get_db_prep_value(ours[0].pk, connection)],
        )
        (column,) = cursor.fetchone()
    assert column and "ñandú" not in column
    assert FollowUp.objects.get(pk=ours[0].pk).note == "Nota 0: ñandú"


def test_auto_ids_auto_now_add_json_and_addresses(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    user = users_a[Role.HEALTH_PROMOTER]

    def entries(tag: str) -> list[AuditEntry]:
        return [
            AuditEntry(
                actor_id=user.pk,
                actor_username=user.username,
                organisation_id=org_a.pk,
                action="casework.person_register",
                object_type="casework.person",
                object_id=f"{tag}-{number}",
                details={"consents": ["record"], "n": number, "nested": {"a": None}},
                ip_address="127.0.0.1" if number % 2 else None,
            )
            for number in range(4)
        ]

    before = timezone.now()
    ours = entries("ours")
    insert_objects(AuditEntry, ours)
    AuditEntry.objects.bulk_create(entries("theirs"))
    mine = list(AuditEntry.objects.filter(object_id__startswith="ours-").order_by("id"))
    others = list(AuditEntry.objects.filter(object_id__startswith="theirs-").order_by("id"))
    assert [entry.object_id for entry in mine] == [f"ours-{n}" for n in range(4)]
    for entry, other in zip(mine, others, strict=True):
        assert entry.at >= before  # auto_now_add set, as bulk_create sets it
        assert (entry.details, entry.ip_address, entry.actor_id, entry.organisation_id) == (
            other.details,
            other.ip_address,
            other.actor_id,
            other.organisation_id,
        )
    assert all(entry.pk is None for entry in ours)  # an auto id is not read back


def test_rows_of_plain_values(org_a: Organisation, users_a: dict[str, User]) -> None:
    person = PersonFactory.create(organisation=org_a, registered_by=users_a[Role.HEALTH_PROMOTER])

    def keys() -> set[tuple[Any, ...]]:
        return set(
            PersonSearchKey.objects.filter(person=person).values_list(
                "person_id", "organisation_id", "kind", "digest"
            )
        )

    before = keys()
    rows = [(person.pk, org_a.pk, SearchKeyKind.NAME_WORD, f"{n:064x}") for n in range(1200)]
    # More rows than SQLite takes parameters in one statement: sent in chunks.
    assert insert_rows(PersonSearchKey, ("person", "organisation", "kind", "digest"), rows) == 1200
    assert keys() - before == set(rows)
    assert insert_rows(PersonSearchKey, ("person", "organisation", "kind", "digest"), []) == 0


def test_a_unique_key_taken_fails_the_whole_insert(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    user = users_a[Role.HEALTH_PROMOTER]
    taken = PersonFactory.create(organisation=org_a, registered_by=user)
    fresh = PersonFactory.build(organisation=org_a, registered_by=user)
    clash = PersonFactory.build(organisation=org_a, registered_by=user, code=taken.code)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_objects(Person, [fresh, clash])
    assert not Person.objects.filter(pk=fresh.pk).exists()


def test_values_of_another_type_go_through_the_field(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    """A UUID given as text, a date given as a datetime's date: prepared by the field."""
    user = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=user)
    task_id = uuid.uuid4()
    insert_rows(
        FollowUp,
        (
            "id",
            "organisation",
            "person",
            "created_by",
            "title",
            "due_on",
            "status",
            "note",
            "created_at",
        ),
        [
            (
                str(task_id),
                str(org_a.pk),
                str(person.pk),
                user.pk,
                "x",
                "2026-12-01",
                "open",
                "",
                timezone.now(),
            )
        ],
    )
    task = FollowUp.objects.get(pk=task_id)
    assert (task.person_id, task.due_on) == (person.pk, datetime.date(2026, 12, 1))


def test_an_unsaved_related_object_or_mixed_ids_are_refused(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    """As ``bulk_create`` refuses them: nothing is written."""
    user = users_a[Role.HEALTH_PROMOTER]
    person = PersonFactory.create(organisation=org_a, registered_by=user)
    unsaved = User(username="not-saved-yet")
    with pytest.raises(ValueError, match="unsaved related object"):
        insert_objects(FollowUp, follow_ups(org_a, person, unsaved))
    assert not FollowUp.objects.filter(person=person).exists()
    keys = [
        PersonSearchKey(id=10_000_000, person=person, organisation=org_a, kind="name", digest="a"),
        PersonSearchKey(person=person, organisation=org_a, kind="name", digest="b"),
    ]
    with pytest.raises(ValueError, match="every object its id, or none"):
        insert_objects(PersonSearchKey, keys)
    assert not PersonSearchKey.objects.filter(person=person, digest__in=["a", "b"]).exists()
