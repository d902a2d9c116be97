"""The donor report through the HTTP client: its sections from the engine (suppressed), the
narrative written by the lead's programme officers (saved, audited, kept on error), the
printable page, the XLSX download (openpyxl and libhxl), and who may read or write it."""

from __future__ import annotations

import datetime
import io
from typing import Any

import openpyxl
import pytest
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability, Role, role_can
from senda.accounts.tests.factories import OrganisationFactory, member
from senda.casework.models import AgeGroup, Community, Sex
from senda.core.models import AuditEntry
from senda.insights.models import DonorReport
from senda.insights.report_queries import last_full_quarter, report_period
from senda.insights.tests.export_world import DAY, World, build_world, client_for, hxl_rows
from senda.insights.tests.indicator_factories import outreach

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-01-01", "end": "2026-03-31"}
NARRATIVE = {
    "summary": "Llegamos a más personas migrantes en San Miguelito.",
    "achievements": "Dos centros de salud nuevos.",
    "challenges": "Lluvias en marzo.",
    "lessons": "Las ferias funcionan.",
    "next_steps": "Seguimiento con los distritos de salud.",
}


def report_world(org_a: Organisation, org_b: Organisation) -> World:
    world = build_world(org_a, org_b)
    # 10 women and 8 men tallied at an outreach day: with the 4 women and 3 men registered,
    # 14 women and 11 men reached
    outreach(
        organisation=org_a,
        day=DAY,
        area="PA0805",
        tallies=[
            (Sex.FEMALE, AgeGroup.ADULT, Community.MIGRANT, 10),
            (Sex.MALE, AgeGroup.ADULT, Community.HOST, 8),
        ],
    )
    return world


def url(name: str, world: World) -> str:
    return reverse(f"insights:{name}", args=[world.programme.pk])


def test_last_full_quarter_and_period_checks() -> None:
    assert last_full_quarter(datetime.date(2026, 5, 10)) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 3, 31),
    )
    assert last_full_quarter(datetime.date(2026, 1, 1)) == (
        datetime.date(2025, 10, 1),
        datetime.date(2025, 12, 31),
    )
    assert report_period("", None) == last_full_quarter()
    with pytest.raises(Exception, match="-MM-DD"):  # YYYY-MM-DD, AAAA-MM-DD in Spanish
        report_period("2026-02-30", "2026-03-31")


def test_officer_reads_the_sections_with_small_numbers_hidden(
    org_a: Organisation,
    org_b: Organisation,
    users_a: dict[str, User],
    django_assert_max_num_queries: Any,
) -> None:
    world = report_world(org_a, org_b)
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    with django_assert_max_num_queries(50):
        response = client.get(url("report", world), PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    for section in ("reach", "referrals", "follow_ups", "trainings", "campaigns", "services"):
        assert f'id="section-{section}"' in html
    report = response.context["report"]
    reach = report.sections[0]
    headline = reach.blocks[0]
    # reached = registered (7) + tallied at outreach (18)
    assert [figure.text for figure in headline.rows[0].figures] == ["25", "7", "18"]
    by_sex = {row.codes[0]: row.figures for row in reach.blocks[1].rows}
    assert [figure.value for figure in by_sex["female"]] == [14, None, 10]
    assert [figure.value for figure in by_sex["male"]] == [11, None, 8]
    # 4 women and 3 men registered: too few, hidden even from the officer (it is a report)
    assert by_sex["male"][1].suppressed and by_sex["female"][1].suppressed
    # two suspected COVID-19 cases, both negative: too few to show, even to the officer
    covid = report.sections[1].blocks[-1]
    negative = next(row for row in covid.rows if row.codes == ["tested_negative"])
    assert negative.figures[0].suppressed and negative.figures[0].text == "<5"
    assert 'class="number suppressed">&lt;5<' in html
    assert 'id="narrative-form"' in html  # the officer writes the narrative


def test_save_the_narrative_then_print_it(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User]
) -> None:
    world = report_world(org_a, org_b)
    officer = users_a[Role.PROGRAMME_OFFICER]
    client = client_for(officer)
    response = client.post(url("report_save", world), {**PERIOD, **NARRATIVE})
    assert response.status_code == 302
    assert response["Location"] == url("report", world) + "?start=2026-01-01&end=2026-03-31"
    saved = DonorReport.objects.get(programme=world.programme)
    assert (saved.period_start, saved.period_end) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 3, 31),
    )
    assert saved.summary == NARRATIVE["summary"] and saved.updated_by == officer
    entry = AuditEntry.objects.get(action="insights.donor_report_save")
    assert entry.details["created"] is True and "summary" in entry.details["changed"]
    assert "Llegamos" not in str(entry.details)  # the audit names fields, not the text
    printable = client.get(url("report_print", world), PERIOD)
    assert printable.status_code == 200
    html = printable.content.decode()
    for text in NARRATIVE.values():
        assert escape(text) in html
    assert "report-print.css" in html and "<form" not in html.split("<main")[1]
    # saving again changes one field: one more entry, naming that field only
    client.post(url("report_save", world), {**PERIOD, **NARRATIVE, "lessons": "Otra lección."})
    assert DonorReport.objects.count() == 1
    last = AuditEntry.objects.filter(action="insights.donor_report_save").order_by("-id")[0]
    assert last.details["changed"] == ["lessons"] and last.details["created"] is False


def test_a_refused_narrative_keeps_what_was_typed(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User]
) -> None:
    world = report_world(org_a, org_b)
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    too_long = "x" * 20_001
    response = client.post(
        url("report_save", world), {**PERIOD, **NARRATIVE, "challenges": too_long}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert escape(NARRATIVE["summary"]) in html and too_long in html
    assert 'aria-invalid="true"' in html
    assert not DonorReport.objects.exists()
    assert not AuditEntry.objects.filter(action="insights.donor_report_save").exists()


def test_xlsx_has_the_sections_with_hxl_and_the_narrative(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    world = report_world(org_a, org_b)
    client_for(users_a[Role.PROGRAMME_OFFICER]).post(
        url("report_save", world), {**PERIOD, **NARRATIVE}
    )
    # a viewer of the donor organisation downloads it
    viewer = users_b[Role.VIEWER]
    response = client_for(viewer).get(url("report_xlsx", world), PERIOD)
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    names = workbook.sheetnames
    assert len(names) == 8  # about, narrative and the six sections
    narrative = {row[0]: row[1] for row in workbook.worksheets[1].values}
    assert narrative[_("Summary")] == NARRATIVE["summary"]
    reach = workbook.worksheets[2]
    assert reach["B2"].value == "#indicator+code"
    tags, rows = hxl_rows(response, sheet=2)
    assert "#meta+suppressed" in tags and "#indicator+value+num" in tags
    table = [dict(zip(tags, row.values, strict=True)) for row in rows]
    women = next(
        row for row in table if row["#meta+by1"] == "sex" and row["#meta+by1+code"] == "female"
    )
    assert women["#indicator+value+num"] == 14 and women["#meta+suppressed"] == "false"
    _tags, referral_rows = hxl_rows(response, sheet=3)
    covid = [
        row for row in referral_rows if row.get("#indicator+code") == "covid-suspected-results"
    ]
    assert covid and all(
        row.get("#meta+suppressed") == "true"
        for row in covid
        if row.get("#meta+by1+code") == "tested_negative"
    )
    entry = AuditEntry.objects.get(action="insights.donor_report_export")
    assert entry.actor == viewer and entry.details["format"] == "xlsx"


def test_viewer_reads_but_does_not_write(
    org_a: Organisation, org_b: Organisation, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    world = report_world(org_a, org_b)
    client_for(users_a[Role.PROGRAMME_OFFICER]).post(
        url("report_save", world), {**PERIOD, **NARRATIVE}
    )
    viewer = client_for(users_b[Role.VIEWER])
    page = viewer.get(url("report", world), PERIOD)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="narrative-form"' not in html and escape(NARRATIVE["summary"]) in html
    refused = viewer.post(url("report_save", world), {**PERIOD, "summary": "Reescrito"})
    assert refused.status_code == 403
    assert DonorReport.objects.get().summary == NARRATIVE["summary"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-13-01"}, "Enter a date as YYYY-MM-DD."),
        (
            {"start": "2026-04-01", "end": "2026-01-01"},
            "The end of the period cannot be before its start.",
        ),
        ({"start": "2000-01-01", "end": "2026-01-01"}, "A report covers five years at most."),
    ],
)
def test_bad_period_is_a_clear_400(
    org_a: Organisation,
    org_b: Organisation,
    users_a: dict[str, User],
    query: dict[str, str],
    message: str,
) -> None:
    world = build_world(org_a, org_b)
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    for name in ("report", "report_print", "report_xlsx"):
        response = client.get(url(name, world), query)
        assert response.status_code == 400
        assert escape(_(message)) in response.content.decode()
    response = client.post(url("report_save", world), {**query, **NARRATIVE})
    assert response.status_code == 400
    assert not DonorReport.objects.exists()


def test_reports_home_lists_the_programmes(
    org_a: Organisation, org_b: Organisation, users_b: dict[str, User]
) -> None:
    world = build_world(org_a, org_b)
    page = client_for(users_b[Role.SUPERVISOR]).get(reverse("insights:reports"))
    assert page.status_code == 200
    assert str(world.programme) in page.content.decode()
    start, end = last_full_quarter()
    assert f"start={start.isoformat()}&amp;end={end.isoformat()}" in page.content.decode()


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
    read = client.get(url("report", world), PERIOD)
    download = client.get(url("report_xlsx", world), PERIOD)
    write = client.post(url("report_save", world), {**PERIOD, "summary": "Hola"})
    sees = side != "c" and role_can(role, Capability.AGGREGATES_VIEW)
    assert read.status_code == (200 if sees else 404)
    assert download.status_code == (200 if sees else 404)
    if side == "a" and role == Role.PROGRAMME_OFFICER:
        assert write.status_code == 302
        assert DonorReport.objects.get().summary == "Hola"
    else:
        assert write.status_code in (403, 404)
        assert not DonorReport.objects.exists()
        assert not AuditEntry.objects.filter(action="insights.donor_report_save").exists()
