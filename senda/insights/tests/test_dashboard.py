"""The programme dashboard through the HTTP client: who sees what, suppression for those
without access to the people, filters (kept, validated), the CSV (always suppressed, audited)
and the number of queries the page takes."""

from __future__ import annotations

import csv
import datetime
import io
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability, Role, role_can
from senda.accounts.testing import login_verified
from senda.accounts.tests.factories import OrganisationFactory, member
from senda.casework.models import AgeGroup, Community, Person, ReferralStatus, Sex
from senda.casework.tests.factories import PersonFactory, ReferralFactory
from senda.core.models import AuditEntry
from senda.geo.models import Country
from senda.insights.dashboard_tables import period_starts
from senda.insights.models import Indicator, Programme

PERIOD_START = datetime.date(2026, 1, 1)
PERIOD_END = datetime.date(2026, 6, 30)
AGGREGATE_ROLES = [role for role in Role.values if role_can(role, Capability.AGGREGATES_VIEW)]
OTHER_ROLES = [role for role in Role.values if role not in AGGREGATE_ROLES]


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


@pytest.fixture
def programme(org_a: Organisation) -> Programme:
    programme = Programme.objects.create(
        slug="caminos",
        name="Caminos seguros",
        lead=org_a,
        donor="Fondo de ejemplo",
        period_start=PERIOD_START,
        period_end=PERIOD_END,
    )
    programme.organisations.add(org_a)
    programme.countries.add(Country.objects.get(code="HN"))
    return programme


@pytest.fixture
def indicator(programme: Programme) -> Indicator:
    """The programme's own indicator, alone on its dashboard (the default indicators, shared
    by every programme, are taken off it here; a test of its own renders them all)."""
    Indicator.objects.filter(programme__isnull=True).update(show_on_dashboard=False)
    return Indicator.objects.create(
        programme=programme,
        code="reached",
        name="Personas alcanzadas",
        translations={"en": {"name": "People reached"}},
        definition="Personas registradas por las organisaciones del programa.",
        unit="count",
        source="people",
        measure="people",
        allowed_dimensions=[
            "area",
            "week",
            "month",
            "quarter",
            "organisation",
            "sex",
            "age_group",
            "community",
        ],
        default_dimension="sex",
        position=1,
    )


@pytest.fixture
def people(org_a: Organisation, org_b: Organisation, users_a: dict[str, User]) -> None:
    """Org A: 12 women in Atlántida in February, 3 men in Colón in March (a small cell);
    org B (outside the programme): 40 people that must never count."""
    worker = users_a[Role.INFO_POINT_STAFF]
    for _ in range(12):
        PersonFactory.create(
            organisation=org_a,
            registered_by=worker,
            registered_at=at(datetime.date(2026, 2, 10)),
            sex=Sex.FEMALE,
            age_group=AgeGroup.YOUTH,
            community=Community.MIGRANT,
            area_id="HN01",
        )
    for _ in range(3):
        PersonFactory.create(
            organisation=org_a,
            registered_by=worker,
            registered_at=at(datetime.date(2026, 3, 5)),
            sex=Sex.MALE,
            age_group=AgeGroup.ADULT,
            community=Community.HOST,
            area_id="HN02",
        )
    for _ in range(40):
        PersonFactory.create(
            organisation=org_b, registered_at=at(datetime.date(2026, 2, 10)), area_id="HN01"
        )


@pytest.fixture
def viewer_org(programme: Programme) -> Organisation:
    donor = OrganisationFactory.create(name="Donante", slug="donante")
    programme.viewer_organisations.add(donor)
    return donor


def client_for(user: User) -> Client:
    return login_verified(Client(), user)


def dashboard_url(programme: Programme) -> str:
    """In English, so the tests read the labels they expect."""
    with translation.override("en"):
        return reverse("insights:programme_dashboard", args=[programme.pk])


def csv_url(programme: Programme) -> str:
    with translation.override("en"):
        return reverse("insights:dashboard_csv", args=[programme.pk])


def home_url() -> str:
    with translation.override("en"):
        return reverse("insights:dashboard")


def text_of(response: Any) -> str:
    return response.content.decode()


def cell(html: str, chart_id: str, label: str) -> str:
    """The figure beside ``label`` in the table of chart ``chart_id``."""
    start = html.index(f'id="{chart_id}-pair"')
    section = html[start : html.index("</table>", start)]
    match = re.search(rf"<th scope=\"row\">{re.escape(label)}</th><td[^>]*>([^<]*)</td>", section)
    assert match, f"no row {label!r} in {chart_id}"
    return match.group(1)


def read_csv(response: Any) -> list[dict[str, str]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark, then the header row
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


# --- Who sees what ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", AGGREGATE_ROLES)
def test_every_aggregates_role_of_the_lead_sees_the_dashboard(
    role: str, programme: Programme, indicator: Indicator, people: None, users_a: dict[str, User]
) -> None:
    response = client_for(users_a[role]).get(dashboard_url(programme))
    assert response.status_code == 200
    html = text_of(response)
    assert "Caminos seguros" in html
    assert 'id="indicator-reached"' in html
    assert html.count('role="img"') == 3  # time series, bars, map


@pytest.mark.django_db
@pytest.mark.parametrize("role", AGGREGATE_ROLES)
def test_a_user_of_an_organisation_outside_the_programme_gets_not_found(
    role: str, programme: Programme, indicator: Indicator, users_b: dict[str, User]
) -> None:
    client = client_for(users_b[role])
    assert client.get(dashboard_url(programme)).status_code == 404
    csv_response = client.get(csv_url(programme), {"indicator": indicator.code, "by": "sex"})
    assert csv_response.status_code == 404
    assert not AuditEntry.objects.filter(action="insights.dashboard_csv").exists()
    # Their own home lists no programme.
    home = client.get(home_url())
    assert home.status_code == 200
    assert "Caminos seguros" not in text_of(home)


@pytest.mark.django_db
@pytest.mark.parametrize("role", OTHER_ROLES)
def test_roles_without_aggregates_are_refused(
    role: str, programme: Programme, indicator: Indicator, users_a: dict[str, User]
) -> None:
    client = client_for(users_a[role])
    assert client.get(home_url()).status_code == 403
    assert client.get(dashboard_url(programme)).status_code in (403, 404)
    response = client.get(csv_url(programme), {"indicator": indicator.code, "by": "sex"})
    assert response.status_code in (403, 404)
    assert not AuditEntry.objects.filter(action="insights.dashboard_csv").exists()


@pytest.mark.django_db
def test_the_only_programme_opens_directly_and_several_are_listed(
    programme: Programme, indicator: Indicator, org_a: Organisation, users_a: dict[str, User]
) -> None:
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    response = client.get(home_url())
    assert response.status_code == 200
    assert 'id="indicator-reached"' in text_of(response)

    Programme.objects.create(slug="otro", name="Otro programa", lead=org_a)
    response = client.get(home_url())
    html = text_of(response)
    assert dashboard_url(programme) in html and "Otro programa" in html
    assert 'id="indicator-reached"' not in html


@pytest.mark.django_db
def test_the_officer_sees_exact_figures(
    programme: Programme, indicator: Indicator, people: None, users_a: dict[str, User]
) -> None:
    response = client_for(users_a[Role.PROGRAMME_OFFICER]).get(dashboard_url(programme))
    html = text_of(response)
    bars = "chart-reached-bars"
    assert cell(html, bars, "Female") == "12"
    assert cell(html, bars, "Male") == "3"
    assert cell(html, "chart-reached-map", "Colón") == "3"
    assert cell(html, "chart-reached-time", "February 2026") == "12"
    assert cell(html, "chart-reached-time", "March 2026") == "3"
    # Months without anyone registered are shown as zero, not left out.
    assert cell(html, "chart-reached-time", "January 2026") == "0"
    assert 'id="suppression-note"' not in html


@pytest.mark.django_db
def test_the_viewer_sees_suppressed_figures_only(
    programme: Programme, indicator: Indicator, people: None, viewer_org: Organisation
) -> None:
    viewer = member(viewer_org, Role.VIEWER, username="donante")
    response = client_for(viewer).get(dashboard_url(programme))
    assert response.status_code == 200
    html = text_of(response)
    bars = "chart-reached-bars"
    assert cell(html, bars, "Male") == "&lt;5"
    # Secondary suppression: the other cell would give the 3 away from the total.
    assert cell(html, bars, "Female") == "&lt;5"
    assert 'id="suppression-note"' in html
    assert "counts of 1 to 4 people" in html
    # The hidden figure appears nowhere on the page, not even in the charts.
    assert ">3<" not in html


@pytest.mark.django_db
def test_without_a_threshold_nothing_is_hidden_and_no_note_says_so(
    programme: Programme,
    indicator: Indicator,
    people: None,
    viewer_org: Organisation,
    settings: Any,
) -> None:
    settings.SENDA_SMALL_NUMBER_THRESHOLD = 0
    viewer = member(viewer_org, Role.VIEWER, username="donante")
    html = text_of(client_for(viewer).get(dashboard_url(programme)))
    assert cell(html, "chart-reached-bars", "Male") == "3"
    assert 'id="suppression-note"' not in html


@pytest.mark.django_db
@pytest.mark.parametrize("users", ["users_a", "users_b"])
def test_with_a_partner_both_officers_see_suppressed_figures(
    users: str,
    programme: Programme,
    indicator: Indicator,
    people: None,
    org_b: Organisation,
    request: pytest.FixtureRequest,
) -> None:
    """Org B becomes a partner: its 40 people count, and neither organisation's officer sees
    the other's people, so both read suppressed figures."""
    programme.organisations.add(org_b)
    officer = request.getfixturevalue(users)[Role.PROGRAMME_OFFICER]
    html = text_of(client_for(officer).get(dashboard_url(programme)))
    assert 'id="suppression-note"' in html
    assert cell(html, "chart-reached-bars", "Male") == "&lt;5"
    assert cell(html, "chart-reached-bars", "Female") == "&lt;5"
    assert re.search(r'class="headline-figure">55<', html)


@pytest.mark.django_db
def test_the_dashboard_speaks_spanish(
    programme: Programme, indicator: Indicator, people: None, users_a: dict[str, User]
) -> None:
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    with translation.override("es"):
        url = reverse("insights:programme_dashboard", args=[programme.pk])
    html = text_of(client.get(url))
    assert '<html lang="es">' in html
    assert "Personas alcanzadas" in html
    assert cell(html, "chart-reached-time", "febrero 2026") == "12"
    assert cell(html, "chart-reached-bars", "Femenino") == "12"


@pytest.mark.django_db
@pytest.mark.parametrize("role", AGGREGATE_ROLES)
def test_nobody_reaches_a_person_from_the_dashboard(
    role: str, programme: Programme, indicator: Indicator, people: None, users_a: dict[str, User]
) -> None:
    html = text_of(client_for(users_a[role]).get(dashboard_url(programme)))
    main = html[html.index("<main") : html.index("</main>")]
    links = re.findall(r'href="([^"]*)"', main)
    assert links
    # Only insights' own pages (the dashboard, its CSV files, reports, exports, indicators)
    # and in-page anchors.
    for link in links:
        assert link.startswith(("#", "?", "/staff/insights/", "/en/staff/insights/")), link
    assert "/staff/field/" not in main and "/people/" not in main
    assert not re.search(r"Persona\d|Ejemplo", html)  # no name of anyone


# --- Filters --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_filter_changes_the_figures_and_is_kept_in_the_form(
    programme: Programme, indicator: Indicator, people: None, users_a: dict[str, User]
) -> None:
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    response = client.get(
        dashboard_url(programme),
        {"sex": "male", "granularity": "quarter"},
    )
    html = text_of(response)
    assert cell(html, "chart-reached-time", "Q1 2026") == "3"
    assert re.search(r'<input[^>]*name="sex"[^>]*value="male"[^>]*checked', html)
    assert re.search(r'<option value="quarter" selected>', html)
    assert 'value="2026-01-01"' in html and 'value="2026-06-30"' in html


@pytest.mark.django_db
def test_the_filters_in_use_are_written_out_for_print_and_unusable_ones_are_flagged(
    programme: Programme, indicator: Indicator, people: None, users_a: dict[str, User]
) -> None:
    Indicator.objects.create(
        programme=programme,
        code="visits",
        name="Visitas",
        source="placement_counts",
        measure="sum",
        allowed_dimensions=["month", "campaign"],
        default_dimension="campaign",
        position=2,
    )
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    html = text_of(client.get(dashboard_url(programme), {"sex": ["male", "female"]}))
    assert re.search(r'class="applied-filters">[^<]*<span>Sex: Female, Male</span>', html)
    visits = html[html.index('id="indicator-visits"') :]
    assert "These records cannot be filtered by Sex" in visits
    reached = html[html.index('id="indicator-reached"') : html.index('id="indicator-visits"')]
    assert "cannot be filtered" not in reached


@pytest.mark.django_db
def test_the_default_period_is_the_programmes(
    programme: Programme, indicator: Indicator, users_a: dict[str, User]
) -> None:
    html = text_of(client_for(users_a[Role.PROGRAMME_OFFICER]).get(dashboard_url(programme)))
    assert 'name="start" value="2026-01-01"' in html
    # Six months, each a column of the time series.
    assert len(re.findall(r'class="bar" data-key="2026-0', html)) == 6


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"start": "not-a-date"},
        {"start": "2026-05-01", "end": "2026-01-01"},
        {"granularity": "decade"},
        {"sex": "martian"},
        {"area": "XX99"},
        {"organisation": "abc"},
        {"by-reached": "nothing"},
        {"by-reached": "month"},
        {"start": "0001-01-01", "end": "9999-12-31"},
    ],
)
def test_bad_filter_input_gives_a_clear_message_never_a_500(
    query: dict[str, str],
    programme: Programme,
    indicator: Indicator,
    people: None,
    users_a: dict[str, User],
) -> None:
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    response = client.get(dashboard_url(programme), query)
    assert response.status_code == 200
    html = text_of(response)
    assert 'id="filter-errors"' in html
    assert 'id="indicator-reached"' in html
    csv_response = client.get(csv_url(programme), {**query, "indicator": indicator.code})
    if not {"by-reached", "granularity"} & set(query):
        assert csv_response.status_code == 400
        assert csv_response.content.decode().strip()


@pytest.mark.django_db
def test_a_long_period_is_drawn_by_coarser_periods(
    programme: Programme, indicator: Indicator, people: None, users_a: dict[str, User]
) -> None:
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    query = {"start": "2020-01-01", "end": "2026-06-30", "granularity": "week"}
    html = text_of(client.get(dashboard_url(programme), query))
    assert "The period is too long to show by weeks: it is shown by months." in html
    assert len(re.findall(r'class="bar" data-key="', html)) == 78
    assert re.search(r'<option value="month" selected>', html)
    assert cell(html, "chart-reached-time", "February 2026") == "12"


@pytest.mark.django_db
def test_the_bars_switch_to_another_allowed_breakdown(
    programme: Programme, indicator: Indicator, people: None, users_a: dict[str, User]
) -> None:
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    html = text_of(client.get(dashboard_url(programme)))
    assert "by-reached=age_group" in html
    html = text_of(client.get(dashboard_url(programme), {"by-reached": "age_group"}))
    assert cell(html, "chart-reached-bars", "18–29 years") == "12"


# --- CSV --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_csv_is_always_suppressed_has_a_header_and_is_audited(
    programme: Programme, indicator: Indicator, people: None, users_a: dict[str, User]
) -> None:
    officer = users_a[Role.PROGRAMME_OFFICER]
    response = client_for(officer).get(
        csv_url(programme), {"indicator": indicator.code, "by": "sex"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    first_line = response.content.decode("utf-8-sig").splitlines()[0]
    assert first_line.startswith("indicator,unit,period_start,period_end,sex,sex_label,value")
    rows = {row["sex"]: row for row in read_csv(response)}
    # Exports are suppressed even for those who see the people: 3 men is hidden, and so is
    # the other cell (it would give the 3 away from the total).
    assert rows["male"]["value"] == "" and rows["male"]["suppressed"] == "1"
    assert rows["female"]["value"] == "" and rows["female"]["suppressed"] == "1"
    assert rows[""]["value"] == "15" and rows[""]["suppressed"] == "0"
    assert "contributors" not in first_line

    entry = AuditEntry.objects.get(action="insights.dashboard_csv")
    assert entry.actor == officer
    assert entry.details["indicator"] == "reached"
    assert entry.details["by"] == ["sex"]
    assert entry.details["programme"] == programme.pk


@pytest.mark.django_db
def test_the_csv_follows_the_filters_and_takes_two_breakdowns(
    programme: Programme, indicator: Indicator, people: None, users_a: dict[str, User]
) -> None:
    response = client_for(users_a[Role.PROGRAMME_OFFICER]).get(
        csv_url(programme), {"indicator": indicator.code, "by": "area,month", "sex": "female"}
    )
    assert response.status_code == 200
    rows = read_csv(response)
    assert list(rows[0]) == [
        "indicator",
        "unit",
        "period_start",
        "period_end",
        "area",
        "area_label",
        "month",
        "month_label",
        "value",
        "suppressed",
    ]
    assert {(row["area"], row["month"], row["value"]) for row in rows} == {
        ("HN01", "2026-02-01", "12"),
        # The margins (each area over the months, each month over the areas), the total.
        ("HN01", "", "12"),
        ("", "2026-02-01", "12"),
        ("", "", "12"),
    }
    margin = next(row for row in rows if row["area"] == "HN01" and not row["month"])
    assert margin["month_label"] == "Total" and margin["area_label"] == "Atlántida"


@pytest.mark.django_db
def test_the_csv_never_hands_a_spreadsheet_a_formula(
    programme: Programme,
    indicator: Indicator,
    people: None,
    org_a: Organisation,
    users_a: dict[str, User],
) -> None:
    org_a.name = '=HYPERLINK("http://example.com","A")'
    org_a.save()
    response = client_for(users_a[Role.PROGRAMME_OFFICER]).get(
        csv_url(programme), {"indicator": indicator.code, "by": "organisation"}
    )
    (row,) = [row for row in read_csv(response) if row["organisation"]]
    assert row["organisation_label"] == "'" + org_a.name
    assert row["value"] == "15"


@pytest.mark.django_db
def test_the_csv_refuses_a_breakdown_the_indicator_does_not_allow(
    programme: Programme, indicator: Indicator, users_a: dict[str, User]
) -> None:
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    response = client.get(csv_url(programme), {"indicator": indicator.code, "by": "topic"})
    assert response.status_code == 400
    assert response.content.decode().strip()
    assert client.get(csv_url(programme), {"indicator": "nope"}).status_code == 404
    response = client.get(csv_url(programme), {"indicator": indicator.code, "by": "a,b,c"})
    assert response.status_code == 400
    assert not AuditEntry.objects.filter(action="insights.dashboard_csv").exists()


# --- Cost -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_takes_a_bounded_number_of_queries(
    programme: Programme,
    indicator: Indicator,
    people: None,
    users_a: dict[str, User],
    django_assert_max_num_queries: Any,
) -> None:
    for position, code in enumerate(("second", "third", "fourth"), start=2):
        Indicator.objects.create(
            programme=programme,
            code=code,
            name=code,
            source="people",
            measure="people",
            allowed_dimensions=["area", "month", "sex"],
            default_dimension="sex",
            position=position,
        )
    client = client_for(users_a[Role.PROGRAMME_OFFICER])
    client.get(dashboard_url(programme))  # warm the session and the reference caches
    # Per indicator: three engine tables (an aggregate and its labels each); the access
    # check, the programme's scope and the areas' centroids are read once. Nothing per row
    # or per cell (38 queries when this was written).
    with django_assert_max_num_queries(45):
        response = client.get(dashboard_url(programme))
    assert response.status_code == 200
    assert text_of(response).count('class="indicator"') == 4


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PROGRAMME_OFFICER, Role.VIEWER])
def test_every_default_indicator_renders(
    role: str,
    programme: Programme,
    people: None,
    users_a: dict[str, User],
    django_assert_max_num_queries: Any,
) -> None:
    """The shared indicators (counts, shares, medians, tallies, campaign sources), for a
    reader who sees the people and one who does not."""
    defaults = list(Indicator.objects.filter(programme__isnull=True, show_on_dashboard=True))
    assert len(defaults) >= 10
    # Eight referrals sent in February, six attended three days later: a share and a median.
    sent = at(datetime.date(2026, 2, 12))
    for index, person in enumerate(Person.objects.filter(organisation=programme.lead)[:8]):
        attended = index < 6
        ReferralFactory.create(
            person=person,
            sent_at=sent,
            status=ReferralStatus.ATTENDED if attended else ReferralStatus.SENT,
            attended_at=sent + datetime.timedelta(days=3) if attended else None,
        )
    user = users_a[Role.PROGRAMME_OFFICER] if role == Role.PROGRAMME_OFFICER else None
    if user is None:
        donor = OrganisationFactory.create(name="Donante", slug="donante")
        programme.viewer_organisations.add(donor)
        user = member(donor, Role.VIEWER, username="donante")
    client = client_for(user)
    client.get(dashboard_url(programme))
    with django_assert_max_num_queries(5 * len(defaults) + 15):
        response = client.get(dashboard_url(programme))
    assert response.status_code == 200
    html = text_of(response)
    for indicator in defaults:
        assert f'id="indicator-{indicator.code}"' in html
    assert html.count('class="headline-figure"') == len(defaults)
    share = html[html.index('id="indicator-referrals-attended-share"') :]
    assert re.search(r'class="headline-figure">75%</strong>', share)
    assert re.search(r'<span class="target">\(target: 70%\)', share)
    median = html[html.index('id="indicator-referral-days-to-attend"') :]
    assert re.search(r'class="headline-figure">3<', median)
    # Shares and medians are drawn as lines (a column would suggest they add up).
    start = share.index('id="chart-referrals-attended-share-time"')
    time_chart = share[start : share.index("</svg>", start)]
    assert 'class="point"' in time_chart and 'class="bar"' not in time_chart


def test_period_starts_cover_the_period() -> None:
    start, end = datetime.date(2026, 1, 15), datetime.date(2026, 7, 2)
    assert [d.isoformat() for d in period_starts("quarter", start, end)] == [
        "2026-01-01",
        "2026-04-01",
        "2026-07-01",
    ]
    months = period_starts("month", datetime.date(2025, 11, 30), datetime.date(2026, 2, 1))
    assert [d.isoformat() for d in months] == [
        "2025-11-01",
        "2025-12-01",
        "2026-01-01",
        "2026-02-01",
    ]
    weeks = period_starts("week", datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
    assert weeks[0] == datetime.date(2025, 12, 29) and all(w.weekday() == 0 for w in weeks)
    assert weeks[-1] == datetime.date(2026, 1, 26)
