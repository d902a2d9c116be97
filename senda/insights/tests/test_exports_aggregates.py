"""Aggregate exports through the HTTP client: indicator data and "who does what where", read
back with libhxl (and validated with a libhxl schema), always suppressed, audited, refused
to those who may not see the programme, and a clear 400 for bad input."""

from __future__ import annotations

import datetime
from typing import Any

import hxl
import pytest
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability, Role, role_can
from senda.accounts.tests.factories import OrganisationFactory, member
from senda.casework.models import (
    AgeGroup,
    Community,
    DoseTally,
    ParticipantRole,
    ParticipationStatus,
    Sex,
    TrainingEvent,
    TrainingMode,
    TrainingParticipant,
    VaccinationSession,
    Vaccine,
)
from senda.casework.tests.factories import PersonFactory
from senda.core.models import AuditEntry
from senda.directory.models import PublicationStatus
from senda.directory.tests.factories import LocationFactory, ServiceFactory
from senda.insights.tests.export_world import (
    DAY,
    PERIOD,
    body,
    build_world,
    client_for,
    hxl_rows,
)
from senda.insights.tests.indicator_factories import aware, outreach

pytestmark = pytest.mark.django_db

EMPTY = ("", None)  # libhxl reads an empty cell as None


def schema_errors(content: bytes, rules: list[list[str]]) -> list[str]:
    errors: list[Any] = []
    validator = hxl.schema(hxl.data(rules), callback=errors.append)
    validator.validate(hxl.data(__import__("io").BytesIO(content)))
    return [error.message for error in errors]


def indicator_url(file_format: str = "csv") -> str:
    return reverse("insights:export_indicators", args=[file_format])


def who_url(file_format: str = "csv") -> str:
    return reverse("insights:export_who_what_where", args=[file_format])


# ---------------------------------------------------------------------------------------------
# Indicator data


def test_indicator_by_sex_is_suppressed_with_its_complement(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User]
) -> None:
    # given: 7 people of the world (5 women, 2 men) plus 2 more women: 7 women, 2 men
    world = build_world(org_a, org_b)
    for _index in range(2):
        PersonFactory.create(organisation=org_a, sex=Sex.FEMALE, registered_at=aware(DAY))
    # when: the officer (who sees every person) exports people registered by sex
    response = client_for(users_a[Role.PROGRAMME_OFFICER]).get(
        indicator_url(),
        {"programme": world.programme.pk, "indicator": "people-registered", "by": "sex", **PERIOD},
    )
    # then: an export is always suppressed: 2 men hidden, and the women with them (else the
    # total minus the women gives the men)
    assert response.status_code == 200
    content = body(response)  # streamed: read once
    tags, rows = hxl_rows(content)
    assert tags == [
        "#indicator+code",
        "#indicator+name",
        "#indicator+unit",
        "#meta+sex+code",
        "#meta+sex+name",
        "#meta+row_type",
        "#indicator+value+num",
        "#meta+suppressed",
    ]
    by_sex = {row.get("#meta+sex+code"): row for row in rows}
    assert by_sex["male"].get("#indicator+value") in EMPTY
    assert by_sex["male"].get("#meta+suppressed") == "true"
    assert by_sex["female"].get("#meta+suppressed") == "true"
    total = next(row for row in rows if row.get("#meta+row_type") == "total")
    assert total.get("#indicator+value") == "9" and total.get("#meta+suppressed") == "false"
    assert {row.get("#indicator+code") for row in rows} == {"people-registered"}
    assert not schema_errors(
        content,
        [
            ["#valid_tag", "#valid_required", "#valid_datatype", "#valid_value+list"],
            ["#indicator+code", "true", "", ""],
            ["#indicator+value", "", "number", ""],
            ["#meta+suppressed", "true", "", "true|false"],
        ],
    )
    entry = AuditEntry.objects.get(action="insights.indicator_export")
    assert entry.details["indicators"] == ["people-registered"] and entry.details["by"] == ["sex"]


def test_all_indicators_by_area_and_month_in_xlsx(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User]
) -> None:
    world = build_world(org_a, org_b)
    response = client_for(users_a[Role.VIEWER]).get(
        indicator_url("xlsx"),
        {"programme": world.programme.pk, "indicator": "all", "by": ["area", "month"], **PERIOD},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    import io

    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    # the notes, then one sheet per dashboard indicator that allows area and month
    assert len(workbook.sheetnames) > 5
    tags, rows = hxl_rows(response, sheet=1)
    assert "#adm1+code" in tags and "#date+month" in tags
    months = {row.get("#date+month") for row in rows} - {None, ""}
    assert months == {"2026-03"}
    assert {row.get("#adm1+code") for row in rows} - {None, ""} == {"PA08"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"indicator": "no-such-thing"}, "There is no indicator %(code)s in this programme."),
        (
            {"indicator": "people-registered", "by": "shoe_size"},
            "Unknown breakdown: %(dimensions)s.",
        ),
        (
            {"indicator": "people-registered", "by": "placement"},
            "This indicator cannot be broken down by %(dimensions)s.",
        ),
        ({"indicator": "people-registered", "start": "2026-13-01"}, "Enter a date as YYYY-MM-DD."),
        (
            {"indicator": "people-registered", "start": "2026-06-01", "end": "2026-01-01"},
            "The end of the period cannot be before its start.",
        ),
        ({"indicator": ""}, "Choose an indicator."),
    ],
)
def test_bad_input_is_a_clear_400(
    org_a: Organisation,
    org_b: Organisation,
    users_a: dict[str, User],
    query: dict[str, str],
    message: str,
) -> None:
    world = build_world(org_a, org_b)
    response = client_for(users_a[Role.PROGRAMME_OFFICER]).get(
        indicator_url(), {"programme": str(world.programme.pk), **query}
    )
    assert response.status_code == 400
    expected = _(message).split("%(")[0]
    assert escape(expected) in response.content.decode()
    assert not AuditEntry.objects.filter(action="insights.indicator_export").exists()


def test_missing_or_unknown_programme(org_a: Organisation, users_a: dict[str, User]) -> None:
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    build_world(org_a, OrganisationFactory.create())
    assert client.get(indicator_url(), {"indicator": "people-registered"}).status_code == 400
    assert client.get(indicator_url(), {"programme": "abc"}).status_code == 404
    assert client.get(indicator_url(), {"programme": 999999}).status_code == 404
    assert client.get(reverse("insights:export_indicators", args=["pdf"])).status_code == 404


# ---------------------------------------------------------------------------------------------
# Who does what where


def three_w_world(org_a: Organisation, org_b: Organisation) -> Any:
    world = build_world(org_a, org_b)
    # outreach in San Miguelito (PA0805, level 2): 10 women and 6 girls, 3 men
    outreach(
        organisation=org_a,
        day=DAY,
        area="PA0805",
        tallies=[
            (Sex.FEMALE, AgeGroup.ADULT, Community.MIGRANT, 10),
            (Sex.FEMALE, AgeGroup.CHILD, Community.HOST, 6),
            (Sex.MALE, AgeGroup.ADULT, Community.MIGRANT, 3),
        ],
    )
    session = VaccinationSession.objects.create(organisation=org_a, date=DAY, area_id="PA08")
    DoseTally.objects.create(
        session=session, vaccine=Vaccine.MMR, age_group=AgeGroup.CHILD, count=12
    )
    training = TrainingEvent.objects.create(
        organisation=org_a,
        title="Primeros auxilios psicológicos",
        mode=TrainingMode.VIRTUAL,
        starts_on=DAY,
        ends_on=DAY,
        area_id="PA0805",
    )
    for index in range(6):
        TrainingParticipant.objects.create(
            event=training,
            name=f"Participante {index}",
            role=ParticipantRole.VOLUNTEER,
            status=ParticipationStatus.COMPLETED,
        )
    location = LocationFactory.create(
        owner=org_a, name="Centro de Salud Torrijos", admin_area_id="PA0805"
    )
    ServiceFactory.create(
        owner=org_a,
        name="Vacunación gratuita",
        publication_status=PublicationStatus.PUBLISHED,
        categories=["health.vaccination"],
        locations=[location],
    )
    ServiceFactory.create(owner=org_a, name="Borrador", categories=["health.vaccination"])
    ServiceFactory.create(
        owner=org_b,
        name="Servicio de otra organización",
        publication_status=PublicationStatus.PUBLISHED,
    )
    return world


def test_who_does_what_where_activities(
    org_a: Organisation, org_b: Organisation, users_b: dict[str, User]
) -> None:
    world = three_w_world(org_a, org_b)
    # a viewer of the donor organisation B downloads it
    response = client_for(users_b[Role.VIEWER]).get(
        who_url(), {"programme": world.programme.pk, "part": "activities", **PERIOD}
    )
    assert response.status_code == 200
    content = body(response)  # streamed: read once
    tags, rows = hxl_rows(content)
    for tag in (
        "#org+name",
        "#adm1+code",
        "#adm2+code",
        "#activity+code",
        "#date+month",
        "#reached+f+adults",
        "#reached+total",
        "#meta+suppressed",
    ):
        assert tag in tags
    by_kind = {
        row.get("#activity+code"): {tag: value for tag, value in zip(tags, row.values, strict=True)}
        for row in rows
    }
    assert set(by_kind) == {"orientation", "referral", "outreach", "vaccination", "training"}
    out = by_kind["outreach"]
    assert (out.get("#adm1+code"), out.get("#adm2+code")) == ("PA08", "PA0805")
    assert out.get("#date+month") == "2026-03" and out.get("#output+num") == "1"
    assert out.get("#reached+total") == "19"
    # 3 men: hidden, and so are figures that would give them away (total minus women)
    assert out.get("#reached+m") in EMPTY and out.get("#reached+m+adults") in EMPTY
    assert out.get("#reached+f") in EMPTY or out.get("#reached+total") in EMPTY
    assert out.get("#meta+suppressed") == "true"
    assert out.get("#reached+migrants") == "13" and out.get("#reached+host") == "6"
    vaccination = by_kind["vaccination"]
    assert vaccination.get("#reached+total") == "12"
    assert vaccination.get("#reached+children") == "12" and vaccination.get("#reached+f") in EMPTY
    assert vaccination.get("#adm1+code") == "PA08" and vaccination.get("#adm2+code") in EMPTY
    assert by_kind["training"].get("#reached+total") == "6"
    # 3 orientations and 2 referrals: small numbers of people, hidden with their counts
    assert by_kind["orientation"].get("#reached+total") in EMPTY
    assert by_kind["orientation"].get("#output+num") in EMPTY
    assert by_kind["referral"].get("#meta+suppressed") == "true"
    assert not schema_errors(
        content,
        [
            ["#valid_tag", "#valid_required", "#valid_datatype"],
            ["#org+name", "true", ""],
            ["#adm1+code", "true", ""],
            ["#date+month", "true", ""],
            ["#reached", "", "number"],
            ["#output", "", "number"],
        ],
    )
    entry = AuditEntry.objects.get(action="insights.who_what_where_export")
    assert entry.details["rows"]["activities"] == 5


def test_who_does_what_where_services_and_xlsx(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User]
) -> None:
    world = three_w_world(org_a, org_b)
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    response = client.get(
        who_url(), {"programme": world.programme.pk, "part": "services", **PERIOD}
    )
    _tags, rows = hxl_rows(response)
    names = [row.get("#activity+service+name") for row in rows]
    # the partner's published services only (B is a viewer, drafts are not services yet)
    assert "Vacunación gratuita" in names
    assert "Borrador" not in names and "Servicio de otra organización" not in names
    row = next(row for row in rows if row.get("#activity+service+name") == "Vacunación gratuita")
    assert (
        row.get("#sector+code") == "health" and row.get("#subsector+code") == "health.vaccination"
    )
    assert (row.get("#adm1+code"), row.get("#adm2+code")) == ("PA08", "PA0805")
    assert row.get("#loc+name") == "Centro de Salud Torrijos"
    workbook_response = client.get(who_url("xlsx"), {"programme": world.programme.pk, **PERIOD})
    assert workbook_response.status_code == 200
    services_tags, _rows = hxl_rows(workbook_response, sheet=1)
    activities_tags, _rows = hxl_rows(workbook_response, sheet=2)
    assert "#sector+code" in services_tags and "#reached+total" in activities_tags


def test_who_does_what_where_bad_input(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User]
) -> None:
    world = build_world(org_a, org_b)
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    bad_part = client.get(who_url(), {"programme": str(world.programme.pk), "part": "people"})
    assert bad_part.status_code == 400
    bad_date = client.get(who_url(), {"programme": str(world.programme.pk), "end": "yesterday"})
    assert bad_date.status_code == 400
    assert not AuditEntry.objects.filter(action="insights.who_what_where_export").exists()


# ---------------------------------------------------------------------------------------------
# Who may


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("side", ["a", "b", "c"])
def test_permission_matrix(
    org_a: Organisation,
    org_b: Organisation,
    users_a: dict[str, User],
    users_b: dict[str, User],
    role: str,
    side: str,
) -> None:
    # given: A leads the programme, B is its donor (viewer), C has nothing to do with it
    world = build_world(org_a, org_b)
    if side == "c":
        user = member(OrganisationFactory.create(), role)
    else:
        user = (users_a if side == "a" else users_b)[role]
    client = client_for(user)
    query = {"programme": world.programme.pk, **PERIOD}
    indicator = client.get(indicator_url(), {**query, "indicator": "people-registered"})
    who = client.get(who_url(), query)
    home = client.get(reverse("insights:exports"))
    if side != "c" and role_can(role, Capability.AGGREGATES_VIEW):
        assert indicator.status_code == 200 and who.status_code == 200
        assert home.status_code == 200
        assert AuditEntry.objects.filter(action="insights.indicator_export", actor=user).exists()
    else:
        assert indicator.status_code in (403, 404) and who.status_code in (403, 404)
        assert not AuditEntry.objects.filter(
            action__in=["insights.indicator_export", "insights.who_what_where_export"]
        ).exists()
        # the page itself: only for those who can export their records
        expected = 200 if role == Role.PROGRAMME_OFFICER else 403
        assert home.status_code == expected


def test_exports_page_lists_what_the_user_may_do(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    world = build_world(org_a, org_b)
    officer_page = client_for(users_a[Role.PROGRAMME_OFFICER]).get(reverse("insights:exports"))
    html = officer_page.content.decode()
    assert str(world.programme) in html and 'name="kind"' in html
    viewer_page = client_for(users_b[Role.VIEWER]).get(reverse("insights:exports"))
    assert 'name="kind"' not in viewer_page.content.decode()
    assert 'name="indicator"' in viewer_page.content.decode()


def test_period_default_is_the_programme_s(org_a: Organisation, users_a: dict[str, User]) -> None:
    world = build_world(org_a, OrganisationFactory.create())
    world.programme.period_start = datetime.date(2026, 1, 1)
    world.programme.period_end = datetime.date(2026, 3, 31)
    world.programme.save()
    page = client_for(users_a[Role.PROGRAMME_OFFICER]).get(reverse("insights:exports"))
    assert 'value="2026-01-01"' in page.content.decode()


def test_filters_apply_and_all_indicators_fit_one_csv(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User]
) -> None:
    world = build_world(org_a, org_b)  # its 7 people live in PA0805, part of PA08
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    page = client.get(reverse("insights:exports"), {"programme": world.programme.pk})
    assert 'name="area"' in page.content.decode() and 'value="PA08"' in page.content.decode()

    def total(area: str) -> str | None:
        response = client.get(
            indicator_url(),
            {
                "programme": world.programme.pk,
                "indicator": "people-registered",
                "area": area,
                **PERIOD,
            },
        )
        _tags, rows = hxl_rows(response)
        return next(row for row in rows if row.get("#meta+row_type") == "total").get(
            "#indicator+value"
        )

    assert total("PA08") == "7"
    assert total("PA03") == "0"
    # every dashboard indicator in one CSV: the same columns, one block of rows each
    response = client.get(
        indicator_url(), {"programme": world.programme.pk, "indicator": "all", **PERIOD}
    )
    assert response.status_code == 200
    _tags, rows = hxl_rows(response)
    codes = {row.get("#indicator+code") for row in rows}
    assert {"people-reached", "referrals-by-reason", "people-trained"} <= codes
    assert sum(1 for row in rows if row.get("#meta+row_type") == "total") == len(codes)
