"""XLSForm import: a valid form becomes questions and choices with their labels per language;
a broken one is refused with the sheet, row and column at fault, and nothing is saved."""

from __future__ import annotations

import pytest
from django.utils import translation

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.core.models import AuditEntry
from senda.surveys import actions
from senda.surveys.models import Survey, SurveyQuestion
from senda.surveys.tests.builders import (
    DIAGNOSTIC_CHOICES,
    diagnostic_xlsform,
    fixture_bytes,
    make_survey,
    programme_led_by,
    xlsform,
)
from senda.surveys.xlsform import parse_xlsform

YES_NO = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]


def refusal(content: bytes, filename: str = "form.xlsx") -> str:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        parse_xlsform(content, filename)
    assert list(caught.value.errors) == ["xlsform"]
    return " ".join(caught.value.errors["xlsform"])


def test_the_diagnostic_form_is_flattened_with_labels_and_choices_per_language() -> None:
    form = parse_xlsform(diagnostic_xlsform(), "diagnostic.xlsx")

    assert (form.form_id, form.form_version, form.form_title) == (
        "diagnostic_2025",
        "2025-03",
        "Diagnostic survey",
    )
    by_name = {q.name: q for q in form.questions}
    # Device metadata (start, end, deviceid, phonenumber) and the meta group are not questions.
    assert list(by_name) == [
        "country",
        "sex",
        "age",
        "migrant",
        "full_name",
        "comments",
        "location",
        "photo",
        "needs",
        "knows_documents",
        "village",
        "weight",
        "stratum",
    ]
    country = by_name["country"]
    assert (country.path, country.type, country.list_name) == (
        "profile/country",
        "select_one",
        "country",
    )
    assert country.labels == {"en": "Country", "es": "País"}
    assert country.choices[0] == {"name": "mx", "labels": {"en": "Mexico", "es": "México"}}
    assert [c["name"] for c in country.choices] == ["mx", "gt", "hn", "sv", "ni"]
    assert by_name["needs"].type == "select_multiple"
    assert by_name["age"].type == "integer"
    assert by_name["weight"].type == "decimal"
    assert by_name["stratum"].type == "calculate"
    assert by_name["location"].type == "geopoint"
    assert [q.position for q in form.questions] == list(range(len(form.questions)))


def test_a_plain_label_column_is_the_default_language() -> None:
    form = parse_xlsform(
        xlsform([["type", "name", "label"], ["select_one yn", "q1", "Question one"]], YES_NO),
        "plain.xlsx",
    )

    (question,) = form.questions
    assert question.labels == {"default": "Question one"}
    assert question.choices == [
        {"name": "yes", "labels": {"default": "Yes"}},
        {"name": "no", "labels": {"default": "No"}},
    ]
    assert form.form_id == "plain"  # no settings sheet: named after the file


def test_the_committed_fixture_form_is_valid() -> None:
    form = parse_xlsform(fixture_bytes("diagnostic.xlsx"), "diagnostic.xlsx")

    assert len(form.questions) == 13


@pytest.mark.parametrize(
    ("survey", "choices", "expected"),
    [
        (
            [["type", "name", "label"], ["integer", "a", "A"], ["integr", "b", "B"]],
            None,
            "Sheet 'survey', row 3, column A (type): 'integr' is not a question type",
        ),
        (
            [["type", "name", "label"], ["integer", "a", "A"], ["select_one zz", "b", "B"]],
            YES_NO,
            "Sheet 'survey', row 3, column A (type): the choice list 'zz' is not on the "
            "'choices' sheet",
        ),
        (
            [["type", "name", "label"], ["integer", "a", "A"], ["integer", "a", "B"]],
            None,
            "Sheet 'survey', row 3, column B (name): this name is already used",
        ),
        (
            [["type", "name", "label"], ["integer", "", "A"]],
            None,
            "Sheet 'survey', row 2, column B (name): the question or group has no name",
        ),
        (
            [["type", "name", "label"], ["integer", "ok", "A"], ["integer", "two words", "B"]],
            None,
            "Sheet 'survey', row 3, column B (name): names must begin with a letter",
        ),
        (
            [["type", "name", "label"], ["begin_group", "g", "G"], ["integer", "a", "A"]],
            None,
            "Sheet 'survey', row 2, column A (type): 'begin_group' has no matching end",
        ),
        (
            [
                ["type", "name", "label", "relevant"],
                ["integer", "a", "A", ""],
                ["integer", "b", "B", "${missing} > 1"],
            ],
            None,
            "Sheet 'survey', row 3, column D (relevant): ${missing} refers to no question",
        ),
        (
            [
                ["type", "name", "label", "calculation"],
                ["integer", "a", "A", ""],
                ["calculate", "c", "", ""],
            ],
            None,
            "Sheet 'survey', row 3, column D (calculation): a calculate question needs a "
            "calculation",
        ),
        (
            [["kind", "name"], ["integer", "a"]],
            None,
            "Sheet 'survey', row 1: the header row lacks the column 'type'",
        ),
    ],
    ids=[
        "unknown-type",
        "missing-list",
        "duplicate-name",
        "no-name",
        "bad-name",
        "unclosed-group",
        "bad-reference",
        "calculate-without-calculation",
        "no-type-column",
    ],
)
def test_a_broken_form_names_the_sheet_row_and_column(
    survey: list[list[str]], choices: list[list[str]] | None, expected: str
) -> None:
    assert expected in refusal(xlsform(survey, choices))


def test_a_broken_choices_sheet_is_located_on_that_sheet() -> None:
    choices = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "yes", "Yes again"]]
    message = refusal(xlsform([["type", "name", "label"], ["select_one yn", "q", "Q"]], choices))

    assert message.startswith("Sheet 'choices', row 3")


def test_repeats_are_refused_with_their_row() -> None:
    message = refusal(
        xlsform(
            [
                ["type", "name", "label"],
                ["integer", "household_size", "Size"],
                ["begin_repeat", "members", "Members"],
                ["integer", "member_age", "Age"],
                ["end_repeat", "", ""],
            ]
        )
    )

    assert message.startswith("Sheet 'survey', row 3, column A (type): repeat groups ('members')")


def test_one_name_in_two_groups_is_refused_exports_flatten_groups() -> None:
    message = refusal(
        xlsform(
            [
                ["type", "name", "label"],
                ["begin_group", "adult", "Adult"],
                ["integer", "age", "Age"],
                ["end_group", "", ""],
                ["begin_group", "child", "Child"],
                ["integer", "age", "Age"],
                ["end_group", "", ""],
            ]
        )
    )

    assert "Sheet 'survey', row 6, column B (name): the name 'age' (child/age)" in message


def test_a_form_with_nothing_to_analyse_is_refused() -> None:
    message = refusal(
        xlsform([["type", "name", "label"], ["text", "name", "Name"], ["geopoint", "gps", "GPS"]])
    )

    assert "the form has no question Senda can analyse" in message


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (b"type,name\ninteger,a\n", "form.csv", "Upload the form as an XLSForm spreadsheet"),
        (b"", "form.xlsx", "The file is empty"),
        (b"PK\x03\x04 not really a zip", "form.xlsx", "cannot be read as a spreadsheet"),
    ],
)
def test_what_is_not_an_xlsform_is_refused(content: bytes, filename: str, expected: str) -> None:
    assert expected in refusal(content, filename)


def test_a_workbook_without_a_survey_sheet_is_refused() -> None:
    from senda.surveys.tests.builders import workbook_bytes

    assert "no 'survey' sheet" in refusal(workbook_bytes({"choices": DIAGNOSTIC_CHOICES}))


def test_survey_create_stores_the_form_and_its_questions(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    officer = users_a[Role.PROGRAMME_OFFICER]
    programme = programme_led_by(org_a)

    content = diagnostic_xlsform()

    survey = make_survey(actor=officer, programme=programme, xlsform=content)

    assert survey.form_id == "diagnostic_2025"
    assert bytes(survey.xlsform) == content
    assert survey.form_json["id_string"] == "diagnostic_2025"
    questions = list(survey.questions.order_by("position"))
    assert len(questions) == 13
    assert questions[0].label("es") == "País"
    assert questions[0].label("en-gb") == "Country"
    assert questions[0].choice_label("mx", "es") == "México"
    entry = AuditEntry.objects.get(action="surveys.survey_create")
    assert entry.object_id == str(survey.pk) and entry.actor == officer


def test_survey_create_with_a_broken_form_saves_nothing(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    programme = programme_led_by(org_a)

    with pytest.raises(ValidationError) as caught:
        actions.survey_create(
            actor=users_a[Role.PROGRAMME_OFFICER],
            programme=programme,
            name="",
            round="baseline",
            xlsform=xlsform([["type", "name", "label"], ["integr", "a", "A"]]),
            filename="broken.xlsx",
        )

    assert set(caught.value.errors) == {"name", "xlsform"}
    assert not Survey.objects.exists()
    assert not SurveyQuestion.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="surveys.").exists()


def test_a_follow_up_takes_a_baseline_of_the_same_programme(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    officer = users_a[Role.PROGRAMME_OFFICER]
    programme, other = programme_led_by(org_a), programme_led_by(org_a)
    baseline = make_survey(actor=officer, programme=programme, name="Baseline")
    elsewhere = make_survey(actor=officer, programme=other, name="Other baseline")

    follow_up = make_survey(
        actor=officer, programme=programme, name="Follow-up", round="follow_up", baseline=baseline
    )
    assert follow_up.baseline == baseline

    with pytest.raises(ValidationError) as caught:
        make_survey(actor=officer, programme=programme, round="follow_up", baseline=elsewhere)
    assert "baseline" in caught.value.errors


def test_survey_create_is_refused_outside_the_lead_organisation(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    programme = programme_led_by(org_a)
    programme.organisations.add(org_b)

    with pytest.raises(PermissionDeniedError):
        make_survey(actor=users_b[Role.PROGRAMME_OFFICER], programme=programme)
    with pytest.raises(PermissionDeniedError):
        make_survey(actor=users_a[Role.VIEWER], programme=programme)
    assert not Survey.objects.exists()


def test_replacing_the_form_keeps_submissions_and_drops_design_names_it_lacks(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    officer = users_a[Role.PROGRAMME_OFFICER]
    survey = make_survey(actor=officer, programme=programme_led_by(org_a))
    actions.survey_set_design(
        actor=officer,
        survey=survey,
        weight_question="weight",
        strata_question="stratum",
        cluster_question="village",
        dimension_questions={"country": "country", "sex": "sex"},
    )

    actions.survey_replace_form(
        actor=officer,
        survey=survey,
        xlsform=xlsform(
            [
                ["type", "name", "label"],
                ["select_one yn", "sex", "Sex"],
                ["decimal", "weight", "Weight"],
            ],
            [["list_name", "name", "label"], ["yn", "f", "F"], ["yn", "m", "M"]],
        ),
        filename="v2.xlsx",
    )

    survey.refresh_from_db()
    assert list(survey.questions.values_list("name", flat=True)) == ["sex", "weight"]
    assert (survey.weight_question, survey.strata_question, survey.cluster_question) == (
        "weight",
        "",
        "",
    )
    assert survey.dimension_questions == {"sex": "sex"}
