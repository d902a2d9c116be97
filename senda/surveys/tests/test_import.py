"""Submissions import: every export flavour of KoboToolbox and ODK gives the same stored
answers; wrong answers refuse the whole file with their row and column; a second import of
the same interviews adds nothing; free text, locations and device data are never stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import translation

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.core.models import AuditEntry
from senda.surveys import actions
from senda.surveys.importers import BATCH_SIZE, ImportResult, parse_submitted_at
from senda.surveys.models import Submission, Survey
from senda.surveys.tests.builders import (
    csv_bytes,
    csv_rows,
    fixture_bytes,
    make_survey,
    programme_led_by,
    xlsform,
    xlsx_export,
)

# What the four interviews of the fixtures store, whatever the flavour of the export.
EXPECTED = {
    "0a1b2c3d-0000-4000-8000-000000000001": {
        "country": "mx",
        "sex": "f",
        "age": "34",
        "migrant": "yes",
        "needs": "info legal",
        "knows_documents": "no",
        "weight": "1.5",
        "stratum": "mx-yes",
    },
    "0a1b2c3d-0000-4000-8000-000000000002": {
        "country": "gt",
        "sex": "m",
        "age": "19",
        "migrant": "yes",
        "needs": "health",
        "knows_documents": "yes",
        "weight": "2.25",
        "stratum": "gt-yes",
    },
    "0a1b2c3d-0000-4000-8000-000000000003": {
        "country": "hn",
        "sex": "f",
        "migrant": "no",
        "knows_documents": "no",
        "weight": "1",
        "stratum": "hn-no",
    },
    "0a1b2c3d-0000-4000-8000-000000000004": {
        "country": "sv",
        "sex": "m",
        "age": "41",
        "migrant": "yes",
        "needs": "info",
        "knows_documents": "no",
        "weight": "0.75",
        "stratum": "sv-yes",
    },
}
# Never stored, whatever the export holds (data minimisation).
NEVER_STORED = {
    "full_name",
    "comments",
    "location",
    "photo",
    "start",
    "end",
    "deviceid",
    "phonenumber",
    "village",
    "_geolocation",
    "_submitted_by",
}


@pytest.fixture
def officer(users_a: dict[str, User]) -> User:
    return users_a[Role.PROGRAMME_OFFICER]


@pytest.fixture
def survey(org_a: Organisation, officer: User) -> Survey:
    return make_survey(actor=officer, programme=programme_led_by(org_a))


def stored(survey: Survey) -> dict[str, dict[str, str]]:
    return {s.instance_id: s.data for s in Submission.objects.filter(survey=survey)}


def import_file(survey: Survey, actor: User, content: bytes, filename: str) -> ImportResult:
    return actions.submissions_import(
        actor=actor, survey=survey, content=content, filename=filename
    )


def refusal(survey: Survey, actor: User, content: bytes, filename: str = "export.csv") -> str:
    before = Submission.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        import_file(survey, actor, content, filename)
    assert list(caught.value.errors) == ["file"]
    assert Submission.objects.count() == before
    return " | ".join(caught.value.errors["file"])


@pytest.mark.parametrize(
    "fixture",
    ["kobo_xml_values.csv", "kobo_labels.csv", "odk_central.csv"],
)
def test_every_csv_flavour_stores_the_same_answers(
    survey: Survey, officer: User, fixture: str
) -> None:
    result = import_file(survey, officer, fixture_bytes(fixture), fixture)

    assert result == ImportResult(added=4, skipped=0, total=4)
    assert stored(survey) == EXPECTED


def test_submission_times_are_read_as_utc(survey: Survey, officer: User) -> None:
    import_file(survey, officer, fixture_bytes("kobo_xml_values.csv"), "kobo.csv")
    kobo_time = Submission.objects.get(instance_id__endswith="0001").submitted_at

    Submission.objects.all().delete()
    import_file(survey, officer, fixture_bytes("odk_central.csv"), "odk.csv")
    odk_time = Submission.objects.get(instance_id__endswith="0001").submitted_at

    assert kobo_time == datetime(2025, 3, 1, 15, 20, tzinfo=UTC)
    assert odk_time == datetime(2025, 3, 1, 15, 20, 0, 123000, tzinfo=UTC)


def test_the_xlsx_export_of_kobo(survey: Survey, officer: User) -> None:
    rows = csv_rows(fixture_bytes("kobo_xml_values.csv"), ";")

    result = import_file(
        survey, officer, xlsx_export(rows), "Diagnostic_survey_-_all_versions.xlsx"
    )

    assert result.added == 4
    assert stored(survey) == EXPECTED


def test_comma_separated_kobo_export_with_dash_group_separator(
    survey: Survey, officer: User
) -> None:
    rows = csv_rows(fixture_bytes("kobo_xml_values.csv"), ";")
    rows[0] = [header.replace("profile/", "profile-") for header in rows[0]]

    import_file(survey, officer, csv_bytes(rows, ","), "export.csv")

    assert stored(survey) == EXPECTED


def test_select_multiple_from_per_choice_columns_only(survey: Survey, officer: User) -> None:
    rows = csv_rows(fixture_bytes("kobo_xml_values.csv"), ";")
    summary = rows[0].index("needs")
    rows = [[cell for index, cell in enumerate(row) if index != summary] for row in rows]

    import_file(survey, officer, csv_bytes(rows, ";"), "details.csv")

    assert {iid: data.get("needs") for iid, data in stored(survey).items()} == {
        iid: answers.get("needs") for iid, answers in EXPECTED.items()
    }


def test_nothing_but_the_analysable_answers_is_stored(survey: Survey, officer: User) -> None:
    import_file(survey, officer, fixture_bytes("kobo_xml_values.csv"), "kobo.csv")

    for data in stored(survey).values():
        assert not set(data) & NEVER_STORED
        assert all(isinstance(value, str) for value in data.values())
    everything = str(list(Submission.objects.values_list("data", flat=True)))
    assert "María" not in everything and "14.1" not in everything and "+507" not in everything


def test_a_text_question_named_in_the_design_is_kept(survey: Survey, officer: User) -> None:
    actions.survey_set_design(
        actor=officer,
        survey=survey,
        weight_question="weight",
        strata_question="stratum",
        cluster_question="village",
        dimension_questions={},
    )

    import_file(survey, officer, fixture_bytes("kobo_xml_values.csv"), "kobo.csv")

    villages = {iid: data["village"] for iid, data in stored(survey).items()}
    assert villages == {
        iid: v for iid, v in zip(EXPECTED, ["V01", "V01", "V02", "V02"], strict=True)
    }
    assert not any("comments" in data for data in stored(survey).values())


def test_re_importing_adds_nothing(survey: Survey, officer: User) -> None:
    import_file(survey, officer, fixture_bytes("kobo_xml_values.csv"), "kobo.csv")

    again = import_file(survey, officer, fixture_bytes("kobo_xml_values.csv"), "kobo.csv")
    # The same interviews from ODK name them uuid:..., Kobo's _uuid without the prefix.
    from_odk = import_file(survey, officer, fixture_bytes("odk_central.csv"), "odk.csv")

    assert again == ImportResult(added=0, skipped=4, total=4)
    assert from_odk == ImportResult(added=0, skipped=4, total=4)
    assert Submission.objects.filter(survey=survey).count() == 4
    survey.refresh_from_db()
    assert (survey.last_import_added, survey.last_import_skipped) == (0, 4)
    assert survey.last_import_source == "odk.csv"


def test_only_the_new_interviews_of_a_longer_export_are_added(
    survey: Survey, officer: User
) -> None:
    rows = csv_rows(fixture_bytes("kobo_xml_values.csv"), ";")
    import_file(survey, officer, csv_bytes(rows[:3], ";"), "first.csv")

    result = import_file(survey, officer, fixture_bytes("kobo_xml_values.csv"), "all.csv")

    assert result == ImportResult(added=2, skipped=2, total=4)
    assert stored(survey) == EXPECTED


def test_an_interview_repeated_in_the_file_is_stored_once(survey: Survey, officer: User) -> None:
    rows = csv_rows(fixture_bytes("kobo_xml_values.csv"), ";")

    result = import_file(survey, officer, csv_bytes([*rows, rows[1]], ";"), "twice.csv")

    assert result == ImportResult(added=4, skipped=1, total=5)


def _with(cell_header: str, row: int, value: str) -> bytes:
    rows = csv_rows(fixture_bytes("kobo_xml_values.csv"), ";")
    rows[row][rows[0].index(cell_header)] = value
    return csv_bytes(rows, ";")


def test_a_value_not_among_the_choices_refuses_the_file(survey: Survey, officer: User) -> None:
    message = refusal(survey, officer, _with("profile/country", 3, "br"))

    assert "Row 4, column E (profile/country): 'br' is not one of the choices of country" in message
    assert not Survey.objects.get(pk=survey.pk).last_import_at


def test_a_wrong_choice_in_a_select_multiple_is_refused(survey: Survey, officer: User) -> None:
    message = refusal(survey, officer, _with("needs", 2, "info food"))

    assert "Row 3, column Q (needs): 'food' is not one of the choices of needs" in message


def test_a_non_number_in_an_integer_question_is_refused(survey: Survey, officer: User) -> None:
    message = refusal(survey, officer, _with("profile/age", 1, "thirty"))

    assert "Row 2, column G (profile/age): 'thirty' is not a whole number" in message


@pytest.mark.parametrize("value", ["1.5", "abc", "nan"])
def test_bad_numbers_are_refused(survey: Survey, officer: User, value: str) -> None:
    header = "profile/age" if value == "1.5" else "weight"

    assert "Row 2, column" in refusal(survey, officer, _with(header, 1, value))


def test_a_per_choice_column_must_hold_1_or_0(survey: Survey, officer: User) -> None:
    rows = csv_rows(fixture_bytes("kobo_xml_values.csv"), ";")
    summary = rows[0].index("needs")
    rows[1][rows[0].index("needs/legal")] = "maybe"
    rows = [[cell for index, cell in enumerate(row) if index != summary] for row in rows]

    assert "'maybe' is neither 1 nor 0" in refusal(survey, officer, csv_bytes(rows, ";"))


def test_every_problem_is_listed_and_nothing_saved(survey: Survey, officer: User) -> None:
    rows = csv_rows(fixture_bytes("kobo_xml_values.csv"), ";")
    rows[1][rows[0].index("profile/sex")] = "x"
    rows[4][rows[0].index("weight")] = "heavy"

    message = refusal(survey, officer, csv_bytes(rows, ";"))

    assert "Row 2, column F (profile/sex)" in message
    assert "Row 5, column W (weight)" in message
    assert not AuditEntry.objects.filter(action="surveys.submissions_import").exists()


def test_a_bad_value_in_the_xlsx_export_names_its_cell(survey: Survey, officer: User) -> None:
    rows = csv_rows(fixture_bytes("kobo_xml_values.csv"), ";")
    rows[2][rows[0].index("profile/migrant")] = "perhaps"

    message = refusal(survey, officer, xlsx_export(rows), "export.xlsx")

    assert "Row 3, column H (profile/migrant): 'perhaps'" in message


def test_a_file_without_interview_ids_is_refused(survey: Survey, officer: User) -> None:
    rows = [["profile/country", "profile/sex"], ["mx", "f"]]

    assert "no column with the interview's id" in refusal(survey, officer, csv_bytes(rows))


def test_an_export_of_another_form_is_refused(survey: Survey, officer: User) -> None:
    rows = [["_uuid", "favourite_colour"], ["abc", "blue"]]

    assert "No column of the file is a question of this survey's form" in refusal(
        survey, officer, csv_bytes(rows)
    )


def test_a_row_without_an_id_is_refused(survey: Survey, officer: User) -> None:
    rows = [["_uuid", "profile/country"], ["abc", "mx"], ["", "gt"]]

    assert "Row 3, column A (_uuid): the interview has no id" in refusal(
        survey, officer, csv_bytes(rows)
    )


def test_a_bad_submission_time_is_refused(survey: Survey, officer: User) -> None:
    assert "is not a date and time" in refusal(
        survey, officer, _with("_submission_time", 1, "yesterday")
    )


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (b"", "export.csv", "The file is empty"),
        (b"{}", "export.json", "Upload the submissions as the CSV or XLSX export"),
        (b"not a workbook", "export.xlsx", "cannot be read as an Excel workbook"),
    ],
)
def test_files_that_are_not_exports_are_refused(
    survey: Survey, officer: User, content: bytes, filename: str, expected: str
) -> None:
    assert expected in refusal(survey, officer, content, filename)


def test_a_cp1252_export_is_read(officer: User, org_a: Organisation) -> None:
    survey = make_survey(
        actor=officer,
        programme=programme_led_by(org_a),
        xlsform=xlsform(
            [["type", "name", "label"], ["select_one place", "place", "Place"]],
            [["list_name", "name", "label"], ["place", "leon", "León"], ["place", "other", "Otro"]],
        ),
    )
    content = "_uuid;place\nabc;León\n".encode("cp1252")

    import_file(survey, officer, content, "export.csv")

    assert stored(survey) == {"abc": {"place": "leon"}}


def test_labels_with_spaces_in_a_select_multiple_are_cut_into_whole_labels(
    survey: Survey, officer: User
) -> None:
    rows = [
        ["_uuid", "What do you need?"],
        ["a", "Legal advice Information on regular channels Health care"],
    ]

    import_file(survey, officer, csv_bytes(rows), "labels.csv")

    assert stored(survey) == {"a": {"needs": "legal info health"}}


def test_the_import_is_audited(survey: Survey, officer: User) -> None:
    import_file(survey, officer, fixture_bytes("kobo_xml_values.csv"), "kobo.csv")

    entry = AuditEntry.objects.get(action="surveys.submissions_import")
    assert entry.details == {"source": "kobo.csv", "added": 4, "skipped": 0, "rows": 4}
    assert entry.actor == officer


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ORG_ADMIN, Role.SUPERVISOR])
def test_only_a_programme_officer_of_the_lead_imports(
    survey: Survey, users_a: dict[str, User], users_b: dict[str, User], role: str
) -> None:
    for actor in (users_a[role], users_b[Role.PROGRAMME_OFFICER]):
        with pytest.raises(PermissionDeniedError):
            import_file(survey, actor, fixture_bytes("kobo_xml_values.csv"), "kobo.csv")

    assert not Submission.objects.exists()


def test_a_wrong_answer_after_many_stored_rows_still_saves_nothing(
    survey: Survey, officer: User
) -> None:
    """Rows are stored in batches as they are read: a wrong answer further down takes every
    batch back (the action's transaction)."""
    header, first, *_rest = csv_rows(fixture_bytes("kobo_xml_values.csv"), ";")
    uuid_column = header.index("_uuid")
    rows = [header]
    for number in range(BATCH_SIZE * 2 + 5):
        row = list(first)
        row[uuid_column] = f"generated-{number}"
        rows.append(row)
    rows[-1][header.index("profile/age")] = "old"

    message = refusal(survey, officer, csv_bytes(rows, ";"))

    assert f"Row {len(rows)}, column G (profile/age): 'old'" in message
    assert not Submission.objects.exists()


def test_at_most_ten_problems_are_listed(survey: Survey, officer: User) -> None:
    header, first, *_rest = csv_rows(fixture_bytes("kobo_xml_values.csv"), ";")
    rows = [header]
    for number in range(30):
        row = list(first)
        row[header.index("_uuid")] = f"bad-{number}"
        row[header.index("profile/sex")] = "?"
        rows.append(row)

    with translation.override("en"), pytest.raises(ValidationError) as caught:
        import_file(survey, officer, csv_bytes(rows, ";"), "bad.csv")

    messages = caught.value.errors["file"]
    assert len(messages) == 11
    assert messages[-1] == "The first 10 problems are shown; nothing was imported."


def test_labels_export_with_group_labels_in_the_headers(survey: Survey, officer: User) -> None:
    rows = [
        ["_uuid", "_submission_time", "Profile/Country", "Profile/Sex", "What do you need?"],
        ["a", "2025-03-01T10:00:00", "Honduras", "Mujer", "Health care"],
    ]

    import_file(survey, officer, csv_bytes(rows), "labels.csv")

    assert stored(survey) == {"a": {"country": "hn", "sex": "f", "needs": "health"}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-01T15:20:00", datetime(2025, 3, 1, 15, 20, tzinfo=UTC)),
        ("2025-03-01 15:20:00", datetime(2025, 3, 1, 15, 20, tzinfo=UTC)),
        ("2025-03-01T09:20:00-06:00", datetime(2025, 3, 1, 15, 20, tzinfo=UTC)),
        ("Mar 1, 2025 3:20:00 PM", datetime(2025, 3, 1, 15, 20, tzinfo=UTC)),
        ("yesterday", None),
    ],
)
def test_submission_times_of_kobo_odk_central_and_briefcase(
    text: str, expected: datetime | None
) -> None:
    assert parse_submitted_at(text) == expected
