"""The survey staff pages through the HTTP client: list, create from an XLSForm, the survey's
page with its imports and KoboToolbox connection, and the design form. Forms keep what was
typed; a failed import names the row and column and saves nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.insights.models import Programme
from senda.surveys import actions
from senda.surveys.models import Submission, Survey
from senda.surveys.tests.builders import (
    csv_bytes,
    csv_rows,
    diagnostic_xlsform,
    fixture_bytes,
    make_survey,
    programme_led_by,
    xlsform,
)


def url(name: str, *args: Any) -> str:
    with translation.override("en"):
        return reverse(f"surveys:{name}", args=args)


@pytest.fixture
def officer(users_a: dict[str, User]) -> User:
    return users_a[Role.PROGRAMME_OFFICER]


@pytest.fixture
def programme(org_a: Organisation) -> Programme:
    return programme_led_by(org_a, name="Safe routes")


@pytest.fixture
def survey(programme: Programme, officer: User) -> Survey:
    return make_survey(actor=officer, programme=programme)


@pytest.fixture
def client_as(client: Client) -> Any:
    def log_in(user: User) -> Client:
        return login_verified(client, user)

    return log_in


def test_the_list_shows_the_surveys_with_their_interviews(
    client_as: Any,
    officer: User,
    programme: Programme,
    survey: Survey,
    django_assert_max_num_queries: Any,
) -> None:
    for number in range(4):
        make_survey(actor=officer, programme=programme, name=f"Extra {number}")
    actions.submissions_import(
        actor=officer,
        survey=survey,
        content=fixture_bytes("kobo_xml_values.csv"),
        filename="kobo.csv",
    )
    client = client_as(officer)

    with django_assert_max_num_queries(12):
        response = client.get(url("list"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Diagnostic 2025" in page and "Extra 3" in page and "Safe routes" in page
    assert url("detail", survey.pk) in page
    assert url("create") in page
    assert [s.submission_count for s in response.context["surveys"] if s.pk == survey.pk] == [4]


def test_a_viewer_sees_the_list_without_new_survey(
    client_as: Any, users_a: dict[str, User], survey: Survey
) -> None:
    response = client_as(users_a[Role.VIEWER]).get(url("list"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Diagnostic 2025" in page
    assert url("create") not in page


def test_create_a_survey_from_its_xlsform(
    client_as: Any, officer: User, programme: Programme
) -> None:
    client = client_as(officer)
    assert client.get(url("create")).status_code == 200

    response = client.post(
        url("create"),
        {
            "programme": programme.pk,
            "name": "Diagnostic 2026",
            "round": "baseline",
            "xlsform": SimpleUploadedFile("diagnostic.xlsx", diagnostic_xlsform()),
        },
    )

    survey = Survey.objects.get(name="Diagnostic 2026")
    assert response.status_code == 302
    assert response["Location"] == url("detail", survey.pk)
    assert survey.questions.count() == 13 and survey.created_by == officer


def test_a_broken_form_is_shown_with_its_row_and_column_and_what_was_typed_stays(
    client_as: Any, officer: User, programme: Programme
) -> None:
    broken = xlsform([["type", "name", "label"], ["integer", "a", "A"], ["integr", "b", "B"]])

    response = client_as(officer).post(
        url("create"),
        {
            "programme": programme.pk,
            "name": "Typed name",
            "round": "follow_up",
            "xlsform": SimpleUploadedFile("broken.xlsx", broken),
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Sheet &#x27;survey&#x27;, row 3, column A (type)" in page
    assert 'value="Typed name"' in page
    assert '<option value="follow_up" selected>' in page
    assert not Survey.objects.exists()


def test_the_survey_page_shows_questions_count_and_what_is_kept(
    client_as: Any, officer: User, survey: Survey
) -> None:
    response = client_as(officer).get(url("detail", survey.pk))

    assert response.status_code == 200
    page = response.content.decode()
    assert "profile/country" in page and "Country" in page and "Mexico" in page
    assert 'id="submission-count">0<' in page
    assert url("import", survey.pk) in page and url("kobo", survey.pk) in page
    rows = {row["question"].name: row["stored"] for row in response.context["rows"]}
    assert rows["country"] and rows["weight"] and not rows["full_name"] and not rows["location"]
    results = response.context["results_url"]
    assert results in ("", url("results", survey.pk))


def test_import_a_file_from_the_survey_page(client_as: Any, officer: User, survey: Survey) -> None:
    client = client_as(officer)

    response = client.post(
        url("import", survey.pk),
        {"file": SimpleUploadedFile("kobo.csv", fixture_bytes("kobo_xml_values.csv"))},
        follow=True,
    )

    assert response.redirect_chain == [(url("detail", survey.pk), 302)]
    page = response.content.decode()
    assert "4 interviews added, 0 already imported (of 4 read)." in page
    assert 'id="submission-count">4<' in page
    assert Submission.objects.filter(survey=survey).count() == 4


def test_a_failed_import_shows_the_row_and_column_and_saves_nothing(
    client_as: Any, officer: User, survey: Survey
) -> None:
    rows = csv_rows(fixture_bytes("kobo_xml_values.csv"), ";")
    rows[2][rows[0].index("profile/sex")] = "other"

    response = client_as(officer).post(
        url("import", survey.pk),
        {"file": SimpleUploadedFile("bad.csv", csv_bytes(rows, ";"))},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Row 3, column F (profile/sex): &#x27;other&#x27; is not one of the choices" in page
    assert not Submission.objects.exists()
    survey.refresh_from_db()
    assert survey.last_import_at is None


def test_the_import_form_refuses_other_files(client_as: Any, officer: User, survey: Survey) -> None:
    response = client_as(officer).post(
        url("import", survey.pk), {"file": SimpleUploadedFile("export.json", b"{}")}
    )

    assert response.status_code == 400
    assert "Upload the submissions as the CSV or XLSX export" in response.content.decode()


def test_save_the_kobo_connection_never_showing_the_token(
    client_as: Any, officer: User, survey: Survey
) -> None:
    client = client_as(officer)

    response = client.post(
        url("kobo", survey.pk),
        {
            "kobo_url": "https://kf.kobotoolbox.org/",
            "kobo_asset_uid": "aBcD123",
            "kobo_token": "secret-token-123",
        },
        follow=True,
    )

    survey.refresh_from_db()
    assert (survey.kobo_url, survey.kobo_asset_uid, survey.kobo_token) == (
        "https://kf.kobotoolbox.org",
        "aBcD123",
        "secret-token-123",
    )
    page = response.content.decode()
    assert "secret-token-123" not in page
    assert url("pull", survey.pk) in page


def test_a_bad_connection_keeps_what_was_typed(
    client_as: Any, officer: User, survey: Survey
) -> None:
    response = client_as(officer).post(
        url("kobo", survey.pk),
        {"kobo_url": "kobo.example", "kobo_asset_uid": "aBcD123", "kobo_token": "t"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter the server&#x27;s address" in page
    assert 'value="kobo.example"' in page and 'value="aBcD123"' in page
    survey.refresh_from_db()
    assert survey.kobo_url == ""


def test_pull_without_a_connection_says_so(client_as: Any, officer: User, survey: Survey) -> None:
    response = client_as(officer).post(url("pull", survey.pk), follow=True)

    assert "Connect the survey to KoboToolbox first" in response.content.decode()
    assert not Submission.objects.exists()


def test_the_design_form_offers_only_the_forms_questions(
    client_as: Any, officer: User, survey: Survey
) -> None:
    response = client_as(officer).get(url("design", survey.pk))

    assert response.status_code == 200
    form = response.context["form"]
    weights = [value for value, _label in form.fields["weight_question"].choices]
    groupings = [value for value, _label in form.fields["strata_question"].choices]
    assert weights == ["", "age", "weight", "stratum"]
    assert groupings == [
        "",
        "country",
        "sex",
        "age",
        "migrant",
        "full_name",
        "comments",
        "knows_documents",
        "village",
        "stratum",
    ]
    assert [f.name for f in form.dimension_fields()] == [
        "dimension_country",
        "dimension_area",
        "dimension_sex",
        "dimension_age_group",
        "dimension_nationality",
        "dimension_community",
    ]


def test_save_the_design(client_as: Any, officer: User, survey: Survey) -> None:
    response = client_as(officer).post(
        url("design", survey.pk),
        {
            "weight_question": "weight",
            "strata_question": "stratum",
            "cluster_question": "village",
            "dimension_country": "country",
            "dimension_sex": "sex",
            "dimension_community": "migrant",
        },
    )

    assert response.status_code == 302
    survey.refresh_from_db()
    assert (survey.weight_question, survey.strata_question, survey.cluster_question) == (
        "weight",
        "stratum",
        "village",
    )
    assert survey.dimension_questions == {
        "country": "country",
        "sex": "sex",
        "community": "migrant",
    }


def test_a_design_naming_no_question_of_the_form_is_refused(
    client_as: Any, officer: User, survey: Survey
) -> None:
    response = client_as(officer).post(
        url("design", survey.pk),
        {"weight_question": "country", "strata_question": "nope", "dimension_sex": "sex"},
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"weight_question", "strata_question"}
    assert form["dimension_sex"].value() == "sex"  # what was typed stays
    survey.refresh_from_db()
    assert survey.weight_question == "" and survey.dimension_questions == {}


def test_the_staff_menu_links_the_surveys(
    client_as: Any, users_a: dict[str, User], survey: Survey
) -> None:
    for role, shown in (
        (Role.PROGRAMME_OFFICER, True),
        (Role.VIEWER, True),
        (Role.CONTENT_EDITOR, False),
    ):
        client = Client()
        login_verified(client, users_a[role])
        with translation.override("en"):
            home = reverse("directory:staff_home")
        page = client.get(url("list") if shown else home).content
        assert (f'href="{url("list")}"'.encode() in page) is shown, role


def test_edit_the_survey_and_replace_its_form(
    client_as: Any, officer: User, programme: Programme, survey: Survey
) -> None:
    baseline = make_survey(actor=officer, programme=programme, name="Baseline 2024")
    new_form = xlsform(
        [["type", "name", "label"], ["select_one yn", "sex", "Sex"], ["decimal", "weight", "W"]],
        [["list_name", "name", "label"], ["yn", "f", "F"], ["yn", "m", "M"]],
    )

    response = client_as(officer).post(
        url("edit", survey.pk),
        {
            "name": "Follow-up 2025",
            "round": "follow_up",
            "baseline": baseline.pk,
            "xlsform": SimpleUploadedFile("v2.xlsx", new_form),
        },
    )

    assert response.status_code == 302
    survey.refresh_from_db()
    assert (survey.name, survey.round, survey.baseline) == ("Follow-up 2025", "follow_up", baseline)
    assert list(survey.questions.values_list("name", flat=True)) == ["sex", "weight"]


def test_a_broken_new_form_changes_nothing_and_keeps_what_was_typed(
    client_as: Any, officer: User, survey: Survey
) -> None:
    broken = xlsform([["type", "name", "label"], ["integer", "a", "A"], ["begin_repeat", "r", "R"]])

    response = client_as(officer).post(
        url("edit", survey.pk),
        {
            "name": "Renamed",
            "round": "baseline",
            "xlsform": SimpleUploadedFile("v2.xlsx", broken),
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Sheet &#x27;survey&#x27;, row 3" in page
    assert 'value="Renamed"' in page
    survey.refresh_from_db()
    assert survey.name == "Diagnostic 2025"
    assert survey.questions.count() == 13
