"""Periods (week, month, quarter) computed by the database against Python's own truncation:
year ends, the Sunday/Monday boundary, date-times near midnight in zones other than UTC
(with and without summer time, and a half-hour offset). On SQLite these are SQLite's own
``date()`` with the zone's offsets; on PostgreSQL Django's Trunc."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from senda.accounts.models import Organisation
from senda.casework.models import FollowUp, Person
from senda.casework.tests.factories import FollowUpFactory, PersonFactory
from senda.insights.sources import PeriodStart, utc_offsets

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def python_period(kind: str, day: datetime.date) -> datetime.date:
    if kind == "week":
        return day - datetime.timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    return datetime.date(day.year, day.month - (day.month - 1) % 3, 1)


# UTC moments chosen to fall on either side of midnight, a week's start and a year's end in
# the zones below.
MOMENTS = [
    datetime.datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime.datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC),
    datetime.datetime(2026, 1, 1, 5, 59, 59, 999999, tzinfo=UTC),
    datetime.datetime(2026, 1, 1, 6, 0, 0, tzinfo=UTC),
    datetime.datetime(2026, 1, 5, 4, 30, 0, tzinfo=UTC),  # Monday 5 January in UTC
    datetime.datetime(2026, 1, 4, 23, 30, 0, tzinfo=UTC),  # Sunday night in UTC
    datetime.datetime(2026, 3, 31, 22, 30, 0, tzinfo=UTC),  # 1 April east of UTC
    datetime.datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),  # just before Madrid's summer time
    datetime.datetime(2026, 3, 29, 1, 0, 0, tzinfo=UTC),  # just after
    datetime.datetime(2026, 9, 30, 22, 0, 0, tzinfo=UTC),  # 1 October in Madrid (UTC+2)
    datetime.datetime(2021, 4, 4, 7, 59, 59, tzinfo=UTC),  # Mexico City's last summers
    datetime.datetime(2021, 4, 4, 8, 0, 0, tzinfo=UTC),
    datetime.datetime(2022, 10, 30, 6, 59, 59, tzinfo=UTC),
    datetime.datetime(2022, 10, 30, 7, 0, 0, tzinfo=UTC),
    datetime.datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC),
    datetime.datetime(1969, 12, 31, 23, 0, 0, tzinfo=UTC),  # outside the native years
    datetime.datetime(2150, 3, 31, 23, 0, 0, tzinfo=UTC),
]
ZONES = ["America/Mexico_City", "Europe/Madrid", "Asia/Kolkata", "America/Tegucigalpa", "UTC"]


@pytest.mark.parametrize("zone_name", ZONES)
def test_date_time_periods_match_python_in_the_active_zone(
    zone_name: str, org_a: Organisation
) -> None:
    people = {PersonFactory.create(organisation=org_a, registered_at=m).pk: m for m in MOMENTS}
    zone = zoneinfo.ZoneInfo(zone_name)
    with timezone.override(zone):
        rows = Person.objects.filter(pk__in=people).annotate(
            week=PeriodStart("registered_at", "week"),
            month=PeriodStart("registered_at", "month"),
            quarter=PeriodStart("registered_at", "quarter"),
        )
        found = {row.pk: (row.week, row.month, row.quarter) for row in rows}
    for pk, moment in people.items():
        local_day = moment.astimezone(zone).date()
        expected = tuple(python_period(kind, local_day) for kind in ("week", "month", "quarter"))
        assert found[pk] == expected, (zone_name, moment)


def test_date_periods_across_year_ends_and_week_starts(org_a: Organisation) -> None:
    days = [
        datetime.date(2025, 12, 28),  # Sunday
        datetime.date(2025, 12, 29),  # Monday; its week starts in the previous year...
        datetime.date(2026, 1, 1),  # ...and so does this Thursday's
        datetime.date(2026, 1, 4),  # Sunday
        datetime.date(2026, 1, 5),  # Monday
        datetime.date(2026, 3, 31),
        datetime.date(2026, 4, 1),
        datetime.date(2026, 12, 31),
        datetime.date(2024, 2, 29),
    ]
    person = PersonFactory.create(organisation=org_a)
    follow_ups = {FollowUpFactory.create(person=person, due_on=day).pk: day for day in days}
    with timezone.override(zoneinfo.ZoneInfo("Asia/Kolkata")):  # dates ignore the zone
        rows = FollowUp.objects.filter(pk__in=follow_ups).annotate(
            week=PeriodStart("due_on", "week"),
            month=PeriodStart("due_on", "month"),
            quarter=PeriodStart("due_on", "quarter"),
        )
        found = {row.pk: (row.week, row.month, row.quarter) for row in rows}
    for pk, day in follow_ups.items():
        expected = tuple(python_period(kind, day) for kind in ("week", "month", "quarter"))
        assert found[pk] == expected, day


def test_the_zone_offsets_are_found_to_the_second() -> None:
    offsets = dict(utc_offsets("Europe/Madrid"))
    # Summer time began at 01:00 UTC on 29 March 2026 and ends at 01:00 UTC on 25 October.
    assert offsets["2026-03-29 01:00:00"] == 7200
    assert offsets["2026-10-25 01:00:00"] == 3600
    mexico = utc_offsets("America/Mexico_City")
    assert mexico[-1] == ("2022-10-30 07:00:00", -21600)
    assert utc_offsets("UTC") == (("1970-01-01 00:00:00", 0),)
