"""Derived data: weekly openings, search tokens, map points, the free flag, grid cells."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from senda.directory import derived, geo
from senda.directory.derived import Interval, PlaceFacets, weekly_intervals
from senda.directory.models import (
    PublicationStatus,
    ServiceAtLocation,
    ServicePoint,
    ServiceSearchToken,
    WeeklyOpening,
)
from senda.directory.tests.factories import (
    CostOptionFactory,
    LanguageFactory,
    LocationFactory,
    OrganizationFactory,
    ScheduleFactory,
    ServiceFactory,
)

# ---------------------------------------------------------------------------------------------
# Pure functions


def test_weekly_intervals_of_a_working_week() -> None:
    intervals = weekly_intervals(freq="WEEKLY", byday="MO,WE", opens_minute=480, closes_minute=960)

    assert intervals == [Interval(0, 480, 960), Interval(2, 480, 960)]


def test_an_interval_past_midnight_is_split_into_two_days() -> None:
    intervals = weekly_intervals(freq="WEEKLY", byday="SU", opens_minute=1200, closes_minute=120)

    assert intervals == [Interval(6, 1200, 1440), Interval(0, 0, 120)]


def test_closing_at_midnight_and_around_the_clock() -> None:
    assert weekly_intervals(freq="", byday="FR", opens_minute=1080, closes_minute=0) == [
        Interval(4, 1080, 1440)
    ]
    assert weekly_intervals(freq="WEEKLY", byday="TU", opens_minute=0, closes_minute=0) == [
        Interval(1, 0, 1440)
    ]


def test_every_day_without_byday_or_when_daily() -> None:
    every_day = [Interval(day, 540, 600) for day in range(7)]

    assert weekly_intervals(freq="", byday="", opens_minute=540, closes_minute=600) == every_day
    assert weekly_intervals(freq="daily", byday="MO", opens_minute=540, closes_minute=600) == (
        every_day
    )


def test_monthly_or_incomplete_schedules_give_no_weekly_hours() -> None:
    assert weekly_intervals(freq="MONTHLY", byday="1MO", opens_minute=1, closes_minute=9) == []
    assert weekly_intervals(freq="WEEKLY", byday="MO", opens_minute=None, closes_minute=9) == []


def test_search_weights_keep_the_best_place_of_each_folded_word() -> None:
    weights = derived.search_weights(
        [("Vacunación de niños", 8), ("vacunacion, NIÑOS y adultos", 2), (None, 5)]
    )

    assert weights == {"vacunacion": 8, "ninos": 8, "adultos": 2}


def test_filter_keys() -> None:
    assert derived.category_keys("health.vaccination", "id") == ["health", "health.vaccination"]
    assert derived.category_keys("", "1234") == ["1234"]
    assert derived.language_keys("es-MX") == ["es-mx", "es"]
    assert derived.language_keys("mam") == ["mam"]
    assert derived.facet(["PA08", "pa0805", "PA08", ""]) == "|pa08|pa0805|"
    assert derived.facet([]) == ""
    assert derived.facet_needle("PA08") == "|pa08|"


@pytest.mark.parametrize(
    ("amounts", "fees", "free"),
    [
        ([Decimal(0)], "", True),
        ([Decimal(0), Decimal("0.00")], "", True),
        ([Decimal(0), Decimal(5)], "Gratis", False),
        ([None], "", False),
        ([], "Gratuito para migrantes", True),
        ([], "Free of charge", True),
        ([], "5 dólares", False),
    ],
)
def test_is_free_from(amounts: list[Decimal | None], fees: str, free: bool) -> None:
    assert derived.is_free_from(amounts, fees) is free


def test_token_rows_repeat_the_words_for_each_country() -> None:
    rows = derived.token_rows(
        weights={"albergue": 8},
        places=[
            PlaceFacets("PA", ("pa08", "pa0805")),
            PlaceFacets("MX", ("mx02",)),
            PlaceFacets("PA", ("pa08", "pa0804")),
        ],
        categories="|shelter|",
        languages="|es|",
        is_free=True,
    )

    assert rows == [
        ("albergue", 8, "MX", "|shelter|", "|mx02|", "|es|", True),
        ("albergue", 8, "PA", "|shelter|", "|pa08|pa0804|pa0805|", "|es|", True),
    ]
    assert derived.token_rows(
        weights={"linea": 8}, places=[], categories="", languages="", is_free=False
    ) == [("linea", 8, "", "", "", "", False)]


# ---------------------------------------------------------------------------------------------
# From the database


@pytest.mark.django_db
def test_location_derives_grid_cell_country_and_time_zone() -> None:
    location = LocationFactory.build(
        latitude=32.5, longitude=-117.0, country_id=None, admin_area_id="MX02004"
    )

    derived.location_refresh_derived(location)

    assert location.grid_cell == geo.grid_cell(32.5, -117.0)
    assert location.country_id == "MX"
    assert location.timezone == "America/Tijuana"


@pytest.mark.django_db
def test_only_published_services_have_tokens_and_points() -> None:
    draft = ServiceFactory.create(name="Borrador", locations=[LocationFactory.create()])
    public = ServiceFactory.create(
        published=True, name="Público", locations=[LocationFactory.create()]
    )

    assert not ServiceSearchToken.objects.filter(service=draft).exists()
    assert not ServicePoint.objects.filter(service=draft).exists()
    assert ServiceSearchToken.objects.filter(service=public, token="publico").exists()
    assert ServicePoint.objects.filter(service=public).count() == 1
    assert draft.publication_status == PublicationStatus.DRAFT


@pytest.mark.django_db
def test_tokens_carry_every_language_and_the_filter_values() -> None:
    provider = OrganizationFactory.create(name="Red Puentes")
    service = ServiceFactory.create(
        published=True,
        organization=provider,
        owner=provider.owner,
        name="Vacunación",
        translations={"en": {"name": "Vaccination", "description": "Free vaccines"}},
        description="Vacunas gratis",
        categories=["health.vaccination"],
        locations=[LocationFactory.create(admin_area_id="PA0805")],
    )
    CostOptionFactory.create(service=service, amount=Decimal(0))
    LanguageFactory.create(service=service, code="es-PA")

    rows = {row.token: row for row in ServiceSearchToken.objects.filter(service=service)}

    assert rows["vacunacion"].weight == derived.WEIGHT_NAME
    assert rows["vaccination"].weight == derived.WEIGHT_NAME
    assert rows["vacunas"].weight == derived.WEIGHT_DESCRIPTION
    assert rows["vaccines"].weight == derived.WEIGHT_DESCRIPTION
    assert rows["puentes"].weight == derived.WEIGHT_ORGANIZATION
    assert rows["salud"].weight == derived.WEIGHT_CATEGORY  # the parent category
    assert rows["miguelito"].weight == derived.WEIGHT_OTHER
    row = rows["vacunacion"]
    assert (row.country, row.categories, row.areas, row.languages, row.is_free) == (
        "PA",
        "|health|health.vaccination|",
        "|pa08|pa0805|",
        "|es|es-pa|",
        True,
    )


@pytest.mark.django_db
def test_points_are_per_location_with_its_own_place() -> None:
    panama = LocationFactory.create(latitude=9.0, longitude=-79.5)
    tijuana = LocationFactory.create(
        latitude=32.5, longitude=-117.0, country_id="MX", admin_area_id="MX02004"
    )
    nowhere = LocationFactory.create(latitude=None, longitude=None)
    service = ServiceFactory.create(published=True, locations=[panama, tijuana, nowhere])
    LanguageFactory.create(service=None, location=tijuana, code="en")

    points = {point.location_id: point for point in ServicePoint.objects.filter(service=service)}

    assert set(points) == {panama.pk, tijuana.pk}
    assert (points[tijuana.pk].country, points[tijuana.pk].areas) == ("MX", "|mx02|mx02004|")
    assert points[tijuana.pk].grid_cell == geo.grid_cell(32.5, -117.0)
    assert points[tijuana.pk].languages == "|en|"
    assert points[panama.pk].languages == ""
    countries = set(
        ServiceSearchToken.objects.filter(service=service).values_list("country", flat=True)
    )
    assert countries == {"PA", "MX"}


@pytest.mark.django_db
def test_openings_follow_each_location_and_the_most_specific_schedule() -> None:
    panama = LocationFactory.create()
    tijuana = LocationFactory.create(
        latitude=32.5, longitude=-117.0, country_id="MX", admin_area_id="MX02004"
    )
    service = ServiceFactory.create(published=True, locations=[panama, tijuana])
    ScheduleFactory.create(service=service, byday="MO", opens_at=datetime.time(8))
    at_tijuana = ServiceAtLocation.objects.get(service=service, location=tijuana)
    ScheduleFactory.create(
        service=None,
        service_at_location=at_tijuana,
        byday="SA",
        opens_at=datetime.time(10),
        closes_at=datetime.time(12),
    )

    openings = sorted(
        (row.location_id == tijuana.pk, row.weekday, row.opens_minute, row.timezone)
        for row in WeeklyOpening.objects.filter(service=service)
    )

    assert openings == [(False, 0, 480, "America/Panama"), (True, 5, 600, "America/Tijuana")]


@pytest.mark.django_db
def test_location_schedules_apply_when_the_service_has_none_and_dates_are_kept() -> None:
    location = LocationFactory.create()
    service = ServiceFactory.create(published=True, locations=[location])
    ScheduleFactory.create(
        service=None,
        location=location,
        byday="TU",
        valid_from=datetime.date(2026, 1, 1),
        until=datetime.date(2026, 6, 30),
        valid_to=datetime.date(2026, 12, 31),
    )
    alone = ServiceFactory.create(published=True)
    ScheduleFactory.create(service=alone, byday="WE")

    opening = WeeklyOpening.objects.get(service=service)
    assert (opening.weekday, opening.location_id, opening.timezone) == (
        1,
        location.pk,
        "America/Panama",
    )
    assert (opening.valid_from, opening.valid_to) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 6, 30),
    )
    without_location = WeeklyOpening.objects.get(service=alone)
    assert (without_location.location_id, without_location.timezone) == (None, "UTC")


@pytest.mark.django_db
def test_the_free_flag_follows_cost_options() -> None:
    service = ServiceFactory.create(fees_description="")
    assert service.is_free is False

    option = CostOptionFactory.create(service=service, amount=Decimal(0))
    service.refresh_from_db()
    assert service.is_free is True

    CostOptionFactory.create(service=service, amount=Decimal(3))
    service.refresh_from_db()
    assert service.is_free is False
    assert option.pk is not None


@pytest.mark.django_db
def test_refreshing_replaces_the_rows_in_a_bounded_number_of_queries(
    django_assert_max_num_queries: object,
) -> None:
    places = [
        LocationFactory.create(latitude=9 + number / 100, longitude=-79.5) for number in range(10)
    ]
    service = ServiceFactory.create(
        published=True, name="Antes", locations=places, categories=["health.mental", "legal"]
    )
    for place in places:
        ScheduleFactory.create(service=None, location=place)
        LanguageFactory.create(service=None, location=place, code="en")
    service.name = "Después"
    service.save()

    with django_assert_max_num_queries(22):  # type: ignore[operator]
        derived.service_refresh_derived(service)

    tokens = set(ServiceSearchToken.objects.filter(service=service).values_list("token", flat=True))
    assert "despues" in tokens and "antes" not in tokens
    assert ServicePoint.objects.filter(service=service).count() == 10
    assert WeeklyOpening.objects.filter(service=service).count() == 50
