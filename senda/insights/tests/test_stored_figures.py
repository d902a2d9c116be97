"""Stored figures: a table's pre-suppression figures are read instead of computed while they
are younger than SENDA_INSIGHTS_MAX_AGE; a change of the indicator or of the programme's
partners, their age or a refresh recomputes them; suppression still applies per reader; the
refresh button (who may press it) and the ``refresh_insights`` command."""

from __future__ import annotations

import datetime
import io
import json
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.casework.models import Person, Sex
from senda.casework.tests.factories import PersonFactory
from senda.core.models import AuditEntry
from senda.insights.dashboard_actions import figures_refresh
from senda.insights.engine import Filters, indicator_table
from senda.insights.models import Indicator, Measure, Programme, StoredFigures
from senda.insights.stored import max_age
from senda.insights.tests.indicator_factories import IndicatorFactory, ProgrammeFactory, aware

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 10)
START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 6, 30)


@pytest.fixture
def programme(org_a: Organisation) -> Programme:
    return ProgrammeFactory.create(lead=org_a, partners=[org_a], period_start=START, period_end=END)


@pytest.fixture
def indicator(programme: Programme) -> Indicator:
    # Alone on the dashboard: the shared default indicators are taken off it.
    Indicator.objects.filter(programme__isnull=True).update(show_on_dashboard=False)
    return IndicatorFactory.create(
        programme=programme,
        source="people",
        measure=Measure.PEOPLE,
        allowed_dimensions=["sex", "month"],
        default_dimension="sex",
    )


def people(organisation: Organisation, count: int, sex: str = Sex.FEMALE) -> list[Person]:
    return [
        PersonFactory.create(organisation=organisation, registered_at=aware(DAY), sex=sex)
        for _ in range(count)
    ]


def read(user: User, indicator: Indicator, programme_id: int, **extra: Any) -> Any:
    """The table as a request reads it: fresh objects, nothing remembered from before."""
    programme = Programme.objects.get(pk=programme_id)
    reader = User.objects.get(pk=user.pk)
    return indicator_table(
        user=reader,
        indicator=Indicator.objects.get(pk=indicator.pk),
        filters=Filters(programme=programme, start=START, end=END),
        by=["sex"],
        stored=True,
        **extra,
    )


def values(table: Any) -> dict[tuple[str, ...], float | None]:
    return {cell.key: cell.value for cell in table.cells}


def test_stored_figures_are_read_instead_of_computed(
    programme: Programme, indicator: Indicator, org_a: Organisation, users_a: dict[str, User]
) -> None:
    officer = users_a[Role.PROGRAMME_OFFICER]
    people(org_a, 6)
    with CaptureQueriesContext(connection) as first:
        computed = read(officer, indicator, programme.pk)
    people(org_a, 4)  # not seen until the figures are recomputed
    with CaptureQueriesContext(connection) as second:
        again = read(officer, indicator, programme.pk)
    assert values(computed) == values(again) == {("female",): 6}
    assert again.computed_at == computed.computed_at
    assert StoredFigures.objects.count() == 1
    aggregate_queries = [q for q in first.captured_queries if "casework_person" in q["sql"]]
    assert aggregate_queries
    assert not [q for q in second.captured_queries if "casework_person" in q["sql"]]
    assert len(second.captured_queries) < len(first.captured_queries)
    # Computed without stored figures (exports, reports), the figures are today's.
    fresh = indicator_table(
        user=officer,
        indicator=indicator,
        filters=Filters(programme=Programme.objects.get(pk=programme.pk), start=START, end=END),
        by=["sex"],
    )
    assert values(fresh) == {("female",): 10}


def test_figures_older_than_the_max_age_are_recomputed(
    programme: Programme, indicator: Indicator, org_a: Organisation, users_a: dict[str, User]
) -> None:
    officer = users_a[Role.PROGRAMME_OFFICER]
    people(org_a, 6)
    read(officer, indicator, programme.pk)
    people(org_a, 4)
    # Almost as old as the max age: still read.
    almost = timezone.now() - datetime.timedelta(seconds=max_age() - 30)
    StoredFigures.objects.update(computed_at=almost)
    assert values(read(officer, indicator, programme.pk)) == {("female",): 6}
    StoredFigures.objects.update(computed_at=almost - datetime.timedelta(seconds=60))
    table = read(officer, indicator, programme.pk)
    assert values(table) == {("female",): 10}
    assert table.computed_at is not None and table.computed_at > almost
    assert StoredFigures.objects.count() == 1  # replaced under the same key


def test_a_changed_indicator_is_recomputed(
    programme: Programme, indicator: Indicator, org_a: Organisation, users_a: dict[str, User]
) -> None:
    officer = users_a[Role.PROGRAMME_OFFICER]
    people(org_a, 6)
    people(org_a, 5, sex=Sex.MALE)
    read(officer, indicator, programme.pk)
    indicator.filters = {"sex": ["male"]}
    indicator.save()
    assert values(read(officer, indicator, programme.pk)) == {("male",): 5}


def test_a_change_of_partners_is_recomputed(
    programme: Programme,
    indicator: Indicator,
    org_a: Organisation,
    org_b: Organisation,
    users_a: dict[str, User],
) -> None:
    officer = users_a[Role.PROGRAMME_OFFICER]
    people(org_a, 6)
    people(org_b, 7)
    assert values(read(officer, indicator, programme.pk)) == {("female",): 6}
    programme.organisations.add(org_b)
    # Now suppressed (org B's people are not the officer's), and counting org B's.
    table = read(officer, indicator, programme.pk)
    assert table.total.value == 13


def test_a_refresh_recomputes_and_the_dashboard_reads_it(
    programme: Programme, indicator: Indicator, org_a: Organisation, users_a: dict[str, User]
) -> None:
    officer = users_a[Role.PROGRAMME_OFFICER]
    client = login_verified(Client(), officer)
    people(org_a, 6)
    assert headline(client.get(dashboard_url(programme))) == "6"
    people(org_a, 4)
    assert headline(client.get(dashboard_url(programme))) == "6"  # stored
    tables = figures_refresh(programme=Programme.objects.get(pk=programme.pk))
    assert tables == 2  # the time series by month and the bars by sex
    assert headline(client.get(dashboard_url(programme))) == "10"
    assert not AuditEntry.objects.filter(action="insights.figures_refresh").exists()


def test_suppression_applies_per_reader_to_the_same_stored_row(
    programme: Programme,
    indicator: Indicator,
    org_a: Organisation,
    org_b: Organisation,
    users_a: dict[str, User],
    users_b: dict[str, User],
) -> None:
    programme.viewer_organisations.add(org_b)
    people(org_a, 12)
    people(org_a, 2, sex=Sex.MALE)  # a small cell
    officer_table = read(users_a[Role.PROGRAMME_OFFICER], indicator, programme.pk)
    viewer_table = read(users_b[Role.VIEWER], indicator, programme.pk)
    assert StoredFigures.objects.count() == 1
    assert viewer_table.computed_at == officer_table.computed_at
    assert values(officer_table) == {("female",): 12, ("male",): 2}
    assert not officer_table.suppression_applied
    assert viewer_table.suppression_applied
    assert viewer_table.cell("male") is not None and viewer_table.cell("male").suppressed
    # The other cell goes too, or the total would give the small one away.
    assert viewer_table.cell("female").suppressed
    # Read by the viewer first, the officer still gets exact figures from the same row.
    StoredFigures.objects.all().delete()
    read(users_b[Role.VIEWER], indicator, programme.pk)
    assert values(read(users_a[Role.PROGRAMME_OFFICER], indicator, programme.pk)) == {
        ("female",): 12,
        ("male",): 2,
    }
    assert StoredFigures.objects.count() == 1


def test_stored_figures_hold_aggregates_only(
    programme: Programme, indicator: Indicator, org_a: Organisation, users_a: dict[str, User]
) -> None:
    registered = people(org_a, 3)
    read(users_a[Role.PROGRAMME_OFFICER], indicator, programme.pk)
    stored = StoredFigures.objects.get()
    text = json.dumps([stored.figures, stored.unsupported_filters])
    for person in registered:
        assert str(person.pk) not in text and person.pk.hex not in text
    assert stored.figures and all(len(row) == 8 for row in stored.figures)


# --- The dashboard, its button and the command ----------------------------------------------


def dashboard_url(programme: Programme) -> str:
    with translation.override("en"):
        return reverse("insights:programme_dashboard", args=[programme.pk])


def refresh_url(programme: Programme) -> str:
    with translation.override("en"):
        return reverse("insights:dashboard_refresh", args=[programme.pk])


def headline(response: Any) -> str:
    """The indicator's headline figure on the page."""
    match = re.search(r'class="headline-figure">([^<]*)<', response.content.decode())
    assert match, "no headline figure"
    return match.group(1)


def test_the_dashboard_says_when_its_figures_were_computed(
    programme: Programme, indicator: Indicator, org_a: Organisation, users_a: dict[str, User]
) -> None:
    people(org_a, 6)
    figures_refresh(programme=programme)
    computed = StoredFigures.objects.order_by("computed_at").first()
    assert computed is not None
    StoredFigures.objects.filter(pk=computed.pk).update(
        computed_at=computed.computed_at - datetime.timedelta(minutes=5)
    )
    officer = login_verified(Client(), users_a[Role.PROGRAMME_OFFICER])
    html = officer.get(dashboard_url(programme)).content.decode()
    oldest = timezone.localtime(computed.computed_at - datetime.timedelta(minutes=5))
    assert f"Figures as of {oldest:%-d %b %Y, %H:%M}." in html
    assert "Refresh figures now" in html


@pytest.mark.parametrize("users", ["users_a", "users_b"])
@pytest.mark.parametrize("role", Role.values)
def test_only_the_leads_programme_officers_may_refresh(
    request: pytest.FixtureRequest,
    users: str,
    role: str,
    programme: Programme,
    indicator: Indicator,
    org_a: Organisation,
    org_b: Organisation,
) -> None:
    # given: org B is a partner of org A's programme, so its members see the figures too
    programme.organisations.add(org_b)
    people(org_a, 6)
    user: User = request.getfixturevalue(users)[role]
    client = login_verified(Client(), user)
    allowed = users == "users_a" and role == Role.PROGRAMME_OFFICER

    page = client.get(dashboard_url(programme))
    if page.status_code == 200:
        assert ("Refresh figures now" in page.content.decode()) is allowed
        StoredFigures.objects.all().delete()  # what reading the page stored

    # when
    response = client.post(refresh_url(programme) + "?granularity=month&sex=female")

    # then
    if allowed:
        assert response.status_code == 302
        assert response["Location"] == dashboard_url(programme) + "?granularity=month&sex=female"
        assert StoredFigures.objects.count() == 2
        entry = AuditEntry.objects.get(action="insights.figures_refresh")
        assert entry.actor == user and entry.details["tables"] == 2
    else:
        assert response.status_code in (403, 404)
        assert not StoredFigures.objects.exists()
        assert not AuditEntry.objects.filter(action="insights.figures_refresh").exists()


def test_the_refresh_needs_a_post_with_its_csrf_token(
    programme: Programme, indicator: Indicator, users_a: dict[str, User]
) -> None:
    client = login_verified(Client(enforce_csrf_checks=True), users_a[Role.PROGRAMME_OFFICER])
    assert client.get(refresh_url(programme)).status_code == 405
    assert client.post(refresh_url(programme)).status_code == 403
    assert not StoredFigures.objects.exists()
    page = client.get(dashboard_url(programme)).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    StoredFigures.objects.all().delete()
    response = client.post(refresh_url(programme), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and StoredFigures.objects.count() == 2


def test_the_command_refreshes_active_programmes_and_deletes_old_figures(
    programme: Programme, indicator: Indicator, org_a: Organisation
) -> None:
    programme.period_end = None  # runs on: active
    programme.save()
    ended = ProgrammeFactory.create(
        lead=org_a, partners=[org_a], period_end=timezone.localdate() - datetime.timedelta(days=1)
    )
    people(org_a, 6)
    old = StoredFigures.objects.create(
        programme=ended,
        indicator=indicator,
        key="0" * 64,
        computed_at=timezone.now() - datetime.timedelta(seconds=max_age() + 1),
        figures=[],
    )
    output = io.StringIO()
    call_command("refresh_insights", stdout=output)
    assert f"{programme.slug}: 2 tables" in output.getvalue()
    assert ended.slug not in output.getvalue().split("Stored figures")[0]
    assert set(StoredFigures.objects.values_list("programme", flat=True)) == {programme.pk}
    assert not StoredFigures.objects.filter(pk=old.pk).exists()
    # Running it again replaces the figures under the same keys.
    call_command("refresh_insights", stdout=io.StringIO())
    assert StoredFigures.objects.count() == 2


def test_the_page_reads_its_tables_in_one_query_once_stored(
    programme: Programme, indicator: Indicator, org_a: Organisation, users_a: dict[str, User]
) -> None:
    people(org_a, 6)
    client = login_verified(Client(), users_a[Role.PROGRAMME_OFFICER])
    with CaptureQueriesContext(connection) as cold:
        client.get(dashboard_url(programme))
    with CaptureQueriesContext(connection) as stored:
        response = client.get(dashboard_url(programme))
    assert headline(response) == "6"
    assert len(stored.captured_queries) < len(cold.captured_queries)
    sqls = [query["sql"] for query in stored.captured_queries]
    assert not [sql for sql in sqls if "casework_person" in sql]
    assert len([sql for sql in sqls if "insights_storedfigures" in sql]) == 1
