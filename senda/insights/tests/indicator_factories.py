"""Factories and small builders for the indicator engine's tests: a programme, indicators,
and records of each source written directly (hand-counted fixtures)."""

from __future__ import annotations

import datetime
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from senda.accounts.models import Organisation
from senda.campaigns.models import Placement, PlacementDailyCount
from senda.casework.models import OutreachActivity, OutreachTally, PlaceType
from senda.insights.models import Indicator, IndicatorUnit, Measure, Programme


class ProgrammeFactory(DjangoModelFactory[Programme]):
    class Meta:
        model = Programme
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"programme-{n}")
    name = factory.Sequence(lambda n: f"Programa {n}")
    lead = factory.SubFactory("senda.accounts.tests.factories.OrganisationFactory")

    @factory.post_generation
    def partners(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.organisations.set(extracted)  # type: ignore[attr-defined]

    @factory.post_generation
    def viewers(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.viewer_organisations.set(extracted)  # type: ignore[attr-defined]

    @factory.post_generation
    def with_campaigns(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.campaigns.set(extracted)  # type: ignore[attr-defined]


class IndicatorFactory(DjangoModelFactory[Indicator]):
    class Meta:
        model = Indicator

    code = factory.Sequence(lambda n: f"indicator-{n}")
    name = factory.Sequence(lambda n: f"Indicador {n}")
    unit = IndicatorUnit.COUNT
    source = "people"
    measure = Measure.PEOPLE
    allowed_dimensions = factory.LazyFunction(
        lambda: [
            "country",
            "area",
            "week",
            "month",
            "quarter",
            "organisation",
            "campaign",
            "sex",
            "age_group",
            "nationality",
            "community",
            "topic",
            "reason",
            "status",
            "placement",
            "event",
            "role",
            "channel",
        ]
    )


def aware(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(hour), tzinfo=timezone.get_current_timezone()
    )


def outreach(
    *,
    organisation: Organisation,
    day: datetime.date,
    area: str,
    tallies: list[tuple[str, str, str, int]],
) -> OutreachActivity:
    """An outreach day with its tallies: (sex, age group, community, count)."""
    activity = OutreachActivity.objects.create(
        organisation=organisation, date=day, place_type=PlaceType.COMMUNITY, area_id=area
    )
    OutreachTally.objects.bulk_create(
        OutreachTally(activity=activity, sex=sex, age_group=age, community=community, count=count)
        for sex, age, community, count in tallies
    )
    return activity


def daily_counts(placement: Placement, counts: dict[tuple[datetime.date, str], int]) -> None:
    PlacementDailyCount.objects.bulk_create(
        PlacementDailyCount(placement=placement, day=day, event=event, count=count)
        for (day, event), count in counts.items()
    )
