"""Who may do what on the survey pages: every role of two organisations against every page.
Organisation A leads the programme; organisation B is unrelated, then a viewer organisation
(a donor). Only A's programme officers change anything; every refusal changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability, Role, role_can
from senda.accounts.testing import login_verified
from senda.core.models import AuditEntry
from senda.insights.models import Programme
from senda.surveys.models import Submission, Survey
from senda.surveys.queries import survey_get, surveys_visible_to
from senda.surveys.tests.builders import (
    diagnostic_xlsform,
    fixture_bytes,
    make_survey,
    programme_led_by,
)

ROLES = list(Role.values)


def url(name: str, *args: Any) -> str:
    with translation.override("en"):
        return reverse(f"surveys:{name}", args=args)


def sees(role: str) -> bool:
    return role_can(role, Capability.AGGREGATES_VIEW)


def manages(role: str) -> bool:
    return role_can(role, Capability.SURVEYS_MANAGE)


@pytest.fixture
def programme(org_a: Organisation) -> Programme:
    return programme_led_by(org_a)


@pytest.fixture
def survey(programme: Programme, users_a: dict[str, User]) -> Survey:
    return make_survey(actor=users_a[Role.PROGRAMME_OFFICER], programme=programme)


def snapshot(survey: Survey) -> tuple[Any, ...]:
    fresh = Survey.objects.get(pk=survey.pk)
    return (
        Survey.objects.count(),
        Submission.objects.count(),
        fresh.name,
        fresh.kobo_url,
        fresh.weight_question,
        fresh.dimension_questions,
        fresh.last_import_at,
        AuditEntry.objects.filter(action__startswith="surveys.").count(),
    )


def writes(survey: Survey, programme: Programme) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        "create": (
            url("create"),
            {
                "programme": programme.pk,
                "name": "Sneaky",
                "round": "baseline",
                "xlsform": SimpleUploadedFile("f.xlsx", diagnostic_xlsform()),
            },
        ),
        "import": (
            url("import", survey.pk),
            {"file": SimpleUploadedFile("k.csv", fixture_bytes("kobo_xml_values.csv"))},
        ),
        "kobo": (
            url("kobo", survey.pk),
            {"kobo_url": "https://evil.example", "kobo_asset_uid": "abc", "kobo_token": "t"},
        ),
        "pull": (url("pull", survey.pk), {}),
        "edit": (url("edit", survey.pk), {"name": "Renamed", "round": "baseline"}),
        "design": (url("design", survey.pk), {"weight_question": "weight"}),
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("organisation", ["a", "b"])
def test_pages_by_role_and_organisation(
    client: Client,
    role: str,
    organisation: str,
    survey: Survey,
    users_a: dict[str, User],
    users_b: dict[str, User],
) -> None:
    user = (users_a if organisation == "a" else users_b)[role]
    login_verified(client, user)
    in_lead = organisation == "a"

    listed = client.get(url("list"))
    detail = client.get(url("detail", survey.pk))
    create = client.get(url("create"))
    design = client.get(url("design", survey.pk))
    edit = client.get(url("edit", survey.pk))

    assert listed.status_code == (200 if sees(role) or manages(role) else 403)
    if listed.status_code == 200:
        assert (survey.name in listed.content.decode()) is in_lead
    assert detail.status_code == (200 if in_lead and sees(role) else 404)
    assert create.status_code == (200 if in_lead and manages(role) else 403)
    for managed_page in (design, edit):
        assert managed_page.status_code == (
            200 if in_lead and manages(role) else (403 if in_lead and sees(role) else 404)
        )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("organisation", ["a", "b"])
@pytest.mark.parametrize("write", ["create", "import", "kobo", "pull", "design", "edit"])
def test_refused_writes_change_nothing(
    client: Client,
    role: str,
    organisation: str,
    write: str,
    survey: Survey,
    programme: Programme,
    users_a: dict[str, User],
    users_b: dict[str, User],
) -> None:
    if organisation == "a" and manages(role):
        pytest.skip("the allowed case is tested in test_survey_views")
    login_verified(client, (users_a if organisation == "a" else users_b)[role])
    before = snapshot(survey)
    path, data = writes(survey, programme)[write]

    response = client.post(path, data)

    assert response.status_code in (403, 404)
    assert snapshot(survey) == before


@pytest.mark.parametrize("role", ROLES)
def test_a_viewer_organisation_sees_but_never_manages(
    client: Client,
    role: str,
    survey: Survey,
    programme: Programme,
    org_b: Organisation,
    users_b: dict[str, User],
) -> None:
    programme.viewer_organisations.add(org_b)
    user = users_b[role]
    login_verified(client, user)
    before = snapshot(survey)

    detail = client.get(url("detail", survey.pk))
    statuses = {
        name: client.post(path, data).status_code
        for name, (path, data) in writes(survey, programme).items()
    }

    assert detail.status_code == (200 if sees(role) else 404)
    if sees(role):
        page = detail.content.decode()
        assert url("import", survey.pk) not in page and url("kobo", survey.pk) not in page
        assert set(statuses.values()) == {403}
    assert snapshot(survey) == before


def test_queries_follow_the_programme(
    survey: Survey,
    programme: Programme,
    org_b: Organisation,
    users_a: dict[str, User],
    users_b: dict[str, User],
) -> None:
    from senda.core.errors import NotFoundError

    assert list(surveys_visible_to(user=users_a[Role.VIEWER])) == [survey]
    assert list(surveys_visible_to(user=users_b[Role.PROGRAMME_OFFICER])) == []
    with pytest.raises(NotFoundError):
        survey_get(user=users_b[Role.VIEWER], survey_id=survey.pk)

    programme.organisations.add(org_b)  # a partner sees the programme's figures

    assert survey_get(user=users_b[Role.VIEWER], survey_id=survey.pk) == survey
    assert list(surveys_visible_to(user=users_b[Role.HEALTH_PROMOTER])) == []
