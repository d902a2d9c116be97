"""Pseudonymised record-level exports through the HTTP client: what is in the files (read with
libhxl and openpyxl), what is never in them, stable pseudonyms, the audit, and who may export."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.core.models import AuditEntry
from senda.insights.exports import pseudonym
from senda.insights.tests.export_world import build_world, client_for, file_text, hxl_rows

pytestmark = pytest.mark.django_db

URL = "insights:export_records"


def removed_note() -> str:
    """The note that says what was removed, in the active language (Spanish in tests)."""
    return _(
        "Pseudonymised export: names, phone numbers, card codes, free-text notes and who "
        "recorded each record were removed."
    )


def export(user: User, kind: str, **form: str) -> object:
    return client_for(user).post(reverse(URL), {"kind": kind, "format": "csv", **form})


@pytest.mark.parametrize("kind", ["people", "orientations", "referrals", "follow_ups"])
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_no_personal_value_reaches_the_file(
    org_a: Organisation,
    org_b: Organisation,
    users_a: dict[str, User],
    kind: str,
    file_format: str,
) -> None:
    world = build_world(org_a, org_b)
    response = export(users_a[Role.PROGRAMME_OFFICER], kind, format=file_format)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response["Cache-Control"] == "private, no-store"  # type: ignore[index]
    # a CSV is sent as it is read, never held whole in memory
    assert response.streaming is (file_format == "csv")  # type: ignore[attr-defined]
    text = file_text(response)
    leaked = [value for value in world.personal_values() if value in text]
    assert leaked == []
    assert "Ajena" not in text  # another organisation's person, even pseudonymised
    assert removed_note()[:40] in text  # the file says what was removed


def test_people_export_rows_and_coarsening(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User]
) -> None:
    world = build_world(org_a, org_b)
    response = export(users_a[Role.PROGRAMME_OFFICER], "people", precision="week")
    tags, rows = hxl_rows(response)
    assert tags == [
        "#meta+person+id",
        "#org+name",
        "#date+registered+week",
        "#meta+sex",
        "#meta+age_group",
        "#meta+nationality+code",
        "#meta+community",
        "#country+code",
        "#adm1+code",
        "#adm1+name",
    ]
    assert len(rows) == len(world.people)
    first = next(
        row for row in rows if row.get("#meta+person+id") == pseudonym("person", world.people[0].pk)
    )
    assert first.get("#date+registered") == "2026-W11"
    # Born 1990, registered 2026: the age group, never the year.
    assert first.get("#meta+age_group") == "30-59"
    # San Miguelito (level 2) is exported as its province, Panamá (PA08).
    assert first.get("#adm1+code") == "PA08" and first.get("#country+code") == "PA"
    assert {row.get("#org+name") for row in rows} == {org_a.name}


def test_pseudonyms_are_stable_joinable_and_not_the_ids(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User]
) -> None:
    world = build_world(org_a, org_b)
    officer = users_a[Role.PROGRAMME_OFFICER]
    _tags, first = hxl_rows(export(officer, "people"))
    _tags, second = hxl_rows(export(officer, "people"))
    ids = [row.get("#meta+person+id") for row in first]
    assert ids == [row.get("#meta+person+id") for row in second]
    assert len(set(ids)) == len(world.people)
    assert not {str(person.pk) for person in world.people} & set(ids)
    # The orientations' people are the people export's: the files can be joined.
    _tags, orientations = hxl_rows(export(officer, "orientations"))
    assert {row.get("#meta+person+id") for row in orientations} <= set(ids)
    assert len(orientations) == 3
    assert {row.get("#meta+topic") for row in orientations} == {"documents"}
    # Follow-ups name their referral by the referrals export's pseudonym.
    _tags, referrals = hxl_rows(export(officer, "referrals"))
    _tags, follow_ups = hxl_rows(export(officer, "follow_ups"))
    assert {row.get("#meta+referral+id") for row in follow_ups} == {
        row.get("#meta+id") for row in referrals
    }
    assert {row.get("#meta+on_time") for row in follow_ups} == {"true"}
    assert sorted(row.get("#meta+days_to_attendance") for row in referrals) == ["3", "4"]
    assert {row.get("#meta+outcome") for row in referrals} == {"tested_negative"}


def test_xlsx_export_has_the_notes_and_the_data(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User]
) -> None:
    world = build_world(org_a, org_b)
    response = export(users_a[Role.PROGRAMME_OFFICER], "referrals", format="xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))  # type: ignore[attr-defined]
    assert len(workbook.sheetnames) == 2
    notes, data = workbook.worksheets
    assert any(str(row[0]).startswith(removed_note()[:40]) for row in notes.values)
    assert data["A2"].value == "#meta+id"
    assert data.max_row == 2 + len(world.referrals)
    tags, rows = hxl_rows(response)
    assert "#org+receiving+name" in tags and len(rows) == 2


def test_every_export_is_audited_with_what_and_how_many(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User]
) -> None:
    world = build_world(org_a, org_b)
    officer = users_a[Role.PROGRAMME_OFFICER]
    export(officer, "people", precision="week", format="xlsx")
    entry = AuditEntry.objects.get(action="insights.records_export")
    assert entry.actor == officer and entry.organisation_id == org_a.pk
    assert entry.details["kind"] == "people"
    assert entry.details["rows"] == len(world.people)
    assert entry.details["format"] == "xlsx" and entry.details["dates"] == "week"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"kind": "passports"}, "Choose what to export."),
        ({"kind": "people", "precision": "day"}, "Choose the month or the ISO week for dates."),
        ({"kind": "people", "format": "pdf"}, "Choose CSV or XLSX."),
    ],
)
def test_bad_input_is_a_clear_400_and_no_audit(
    org_a: Organisation,
    org_b: Organisation,
    users_a: dict[str, User],
    form: dict[str, str],
    message: str,
) -> None:
    build_world(org_a, org_b)
    response = client_for(users_a[Role.PROGRAMME_OFFICER]).post(
        reverse(URL), {"format": "csv", **form}
    )
    assert response.status_code == 400
    # The message in the page's language (Spanish), whatever the catalogue holds yet.
    assert escape(_(message)) in response.content.decode()
    assert not AuditEntry.objects.filter(action="insights.records_export").exists()


def test_a_get_does_not_export(org_a: Organisation, users_a: dict[str, User]) -> None:
    response = client_for(users_a[Role.PROGRAMME_OFFICER]).get(reverse(URL), {"kind": "people"})
    assert response.status_code == 405
    assert not AuditEntry.objects.filter(action="insights.records_export").exists()


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("side", ["a", "b"])
def test_permission_matrix(
    org_a: Organisation,
    org_b: Organisation,
    users_a: dict[str, User],
    users_b: dict[str, User],
    role: str,
    side: str,
) -> None:
    # given: the people are organisation A's; each role of A and of B asks for them
    world = build_world(org_a, org_b)
    user = (users_a if side == "a" else users_b)[role]
    response = export(user, "people")
    if role == Role.PROGRAMME_OFFICER:
        # then: an officer gets their own organisation's records, and only those
        assert response.status_code == 200  # type: ignore[attr-defined]
        _tags, rows = hxl_rows(response)
        expected = len(world.people) if side == "a" else 1  # B has its one outsider
        assert len(rows) == expected
        assert AuditEntry.objects.filter(action="insights.records_export", actor=user).exists()
    else:
        # then: everyone else is refused, and no export is recorded as done
        assert response.status_code == 403  # type: ignore[attr-defined]
        assert not AuditEntry.objects.filter(action="insights.records_export").exists()


def test_anonymous_is_sent_to_log_in(db: None) -> None:
    from django.test import Client

    response = Client().post(reverse(URL), {"kind": "people"})
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action="insights.records_export").exists()
