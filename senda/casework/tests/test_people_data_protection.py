"""Data protection of people's records: nothing personal in clear text in the database, and a
full key rotation (``manage.py rotate_keys``) while reads and searches keep working."""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.casework.actions.people import person_register
from senda.casework.models import Orientation, Person, PersonSearchKey, Referral
from senda.casework.queries.people import people_search
from senda.casework.tests.factories import ReferralFactory
from senda.core import crypto
from senda.core.text import fold

# Distinctive values: none of them can appear in a database by chance.
GIVEN = "Zenóbiaquetzal"
FAMILY = "Ñandúbaytorres Xilófono"
PHONE = "+507 6987-1243"
NOTES = "Embarazadaqwerty de sietemesesyuxta"
REFERRAL_NOTE = "Necesitasillaruedas zumbidoprofundo"
ORIENTATION_NOTE = "Temeperderpapeles vecinaborrosa"


def _register(actor: User, organisation: Organisation) -> Person:
    person = person_register(
        actor=actor,
        organisation=organisation,
        consent_record=True,
        consent_share=True,
        given_name=GIVEN,
        family_name=FAMILY,
        phone=PHONE,
        sex="female",
        community="migrant",
        year_of_birth=1990,
        notes=NOTES,
    )
    ReferralFactory.create(person=person, note=REFERRAL_NOTE)
    Orientation.objects.create(
        organisation=organisation,
        person=person,
        worker=actor,
        occurred_at=timezone.now(),
        channel="in_person",
        place_type="metro",
        outcome="informed",
        note=ORIENTATION_NOTE,
    )
    return person


def _variants(value: str) -> set[str]:
    """The value as typed, and every form a careless store could hold it in."""
    forms = {value, value.lower(), value.upper(), fold(value), crypto.normalise_name(value)}
    forms |= {unicodedata.normalize(kind, form) for form in set(forms) for kind in ("NFC", "NFD")}
    if any(ch.isalpha() for ch in value):
        for form in set(forms):
            forms |= set(form.split())  # each word on its own (search keys work on words)
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) >= 7:
        forms |= {digits, crypto.normalise_phone(value)}
    return {form for form in forms if len(form) >= 4 and form.lower() != "de"}


def _values() -> dict[str, set[str]]:
    return {
        value: _variants(value)
        for value in (GIVEN, FAMILY, PHONE, NOTES, REFERRAL_NOTE, ORIENTATION_NOTE)
    }


def _sqlite_leaks(tmp_path: Path, values: dict[str, set[str]]) -> list[str]:
    copy_path = tmp_path / "copy.sqlite3"
    copy = sqlite3.connect(copy_path)
    connection.ensure_connection()
    connection.connection.backup(copy)
    copy.close()
    raw = copy_path.read_bytes()
    leaks = []
    for value, forms in values.items():
        for form in forms:
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                if form.encode(encoding) in raw:
                    leaks.append(f"{value!r} as {form!r} ({encoding})")
    return leaks


def _postgresql_leaks(values: dict[str, set[str]]) -> list[str]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type IN "
            "('text', 'character varying', 'character', 'json', 'jsonb')"
        )
        columns = cursor.fetchall()
        leaks = []
        for value, forms in values.items():
            for form in forms:
                pattern = "%" + form.replace("\\", "\\\\").replace("%", "\\%") + "%"
                for table, column in columns:
                    cursor.execute(
                        f"SELECT 1 FROM {quote(table)} WHERE {quote(column)}::text ILIKE %s "  # noqa: S608
                        "LIMIT 1",
                        [pattern],
                    )
                    if cursor.fetchone():
                        leaks.append(f"{value!r} as {form!r} in {table}.{column}")
    return leaks


@pytest.mark.django_db(transaction=True)
def test_the_database_holds_no_personal_value_in_clear_text(
    org_a: Organisation, users_a: dict[str, User], tmp_path: Path
) -> None:
    # given people registered through the action, with a referral and an orientation
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = _register(promoter, org_a)
    # (the values are really there, readable through the application)
    person.refresh_from_db()
    assert (person.given_name, person.phone, person.notes) == (GIVEN, PHONE, NOTES)
    assert Referral.objects.get(person=person).note == REFERRAL_NOTE
    # when the raw database is searched for them (and, to prove the search sees the rows,
    # for the card code, which is stored in clear text because it says nothing)
    values = {**_values(), "card code": {person.code}}
    if connection.vendor == "sqlite":
        leaks = _sqlite_leaks(tmp_path, values)
    else:
        assert connection.vendor == "postgresql"
        leaks = _postgresql_leaks(values)
    # then none is found, in any form
    assert [leak for leak in leaks if not leak.startswith("'card code'")] == []
    assert any(leak.startswith("'card code'") for leak in leaks)


# ---------------------------------------------------------------------------------------------
# Key rotation


@pytest.fixture
def fresh_keys(settings: Any) -> Iterator[Any]:
    """Explicit keys for the test; the cached keys are forgotten before and after."""
    crypto.reset_key_cache()
    yield settings
    crypto.reset_key_cache()


def _stored_tokens() -> list[str]:
    with connection.cursor() as cursor:
        table = Person._meta.db_table
        cursor.execute(f"SELECT given_name, family_name, phone, notes FROM {table}")  # noqa: S608
        person_tokens = [token for row in cursor.fetchall() for token in row if token]
        cursor.execute(f"SELECT note FROM {Referral._meta.db_table}")  # noqa: S608
        referral_tokens = [row[0] for row in cursor.fetchall() if row[0]]
    return person_tokens + referral_tokens


def _decrypts_with(key: str, token: str) -> bool:
    try:
        Fernet(key.encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


@pytest.mark.django_db
def test_full_key_rotation_without_downtime(
    org_a: Organisation, users_a: dict[str, User], fresh_keys: Any
) -> None:
    old_field, new_field = crypto.new_field_key(), crypto.new_field_key()
    old_search, new_search = crypto.new_search_key(), crypto.new_search_key()
    fresh_keys.SENDA_FIELD_KEYS = old_field
    fresh_keys.SENDA_SEARCH_KEYS = old_search
    crypto.reset_key_cache()
    promoter = users_a[Role.HEALTH_PROMOTER]
    person = _register(promoter, org_a)
    tokens = _stored_tokens()
    assert len(tokens) == 5 and all(_decrypts_with(old_field, t) for t in tokens)

    # The new keys go first; the old ones stay so that everything still reads and matches.
    fresh_keys.SENDA_FIELD_KEYS = f"{new_field},{old_field}"
    fresh_keys.SENDA_SEARCH_KEYS = [new_search, old_search]
    crypto.reset_key_cache()
    assert Person.objects.get(pk=person.pk).given_name == GIVEN
    assert list(people_search(user=promoter, text="zenobiaquetzal")) == [person]

    out = StringIO()
    call_command("rotate_keys", "--batch-size", "2", stdout=out)
    report = out.getvalue()
    assert "casework.Person (given_name, family_name, phone, notes): 1 rows checked" in report
    assert "casework.Referral" in report and "Search keys: 1 people checked, 1 updated" in report
    tokens = _stored_tokens()
    assert all(_decrypts_with(new_field, t) and not _decrypts_with(old_field, t) for t in tokens)
    digests = set(PersonSearchKey.objects.filter(person=person).values_list("digest", flat=True))
    expected = crypto.keyed_hash("name", "zenobiaquetzal", key=new_search.encode())
    assert expected in digests

    # Resumable: a second run finds nothing left to do.
    again = StringIO()
    call_command("rotate_keys", stdout=again)
    assert "0 re-encrypted" in again.getvalue() and "0 updated" in again.getvalue()

    # The old keys can go.
    fresh_keys.SENDA_FIELD_KEYS = new_field
    fresh_keys.SENDA_SEARCH_KEYS = new_search
    crypto.reset_key_cache()
    reread = Person.objects.get(pk=person.pk)
    assert (reread.given_name, reread.family_name, reread.phone) == (GIVEN, FAMILY, PHONE)
    assert Referral.objects.get(person=person).note == REFERRAL_NOTE
    assert list(people_search(user=promoter, text="XILOFONO")) == [person]
    assert list(people_search(user=promoter, text="6987 1243")) == [person]


def test_generate_keys_prints_usable_keys(fresh_keys: Any) -> None:
    fresh_keys.SENDA_FIELD_KEYS = crypto.new_field_key()
    out = StringIO()
    call_command("generate_keys", stdout=out, stderr=StringIO())
    lines = dict(line.split("=", 1) for line in out.getvalue().splitlines())
    field_keys = lines["SENDA_FIELD_KEYS"].split(",")
    assert len(field_keys) == 2 and field_keys[1] == fresh_keys.SENDA_FIELD_KEYS
    Fernet(field_keys[0].encode())  # a valid key
    assert len(lines["SENDA_SEARCH_KEYS"].split(",")) == 1
