"""Derived columns kept in step with the directory by the actions (never by signals)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from senda.core.text import fold, tokens
from senda.directory import geo
from senda.directory.models import (
    Location,
    Schedule,
    Service,
    ServiceSearchToken,
    WeeklyOpening,
)

WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}

# Where a word appears decides how much a match on it counts.
WEIGHT_NAME = 8
WEIGHT_CATEGORY = 5
WEIGHT_ORGANIZATION = 3
WEIGHT_DESCRIPTION = 2
WEIGHT_OTHER = 1
MAX_TOKEN_LENGTH = 40


def location_refresh_derived(location: Location) -> None:
    """Grid cell and time zone from the coordinates and the admin area."""
    location.grid_cell = geo.grid_cell(location.latitude, location.longitude)
    area, country = location.admin_area, location.country
    if area is not None:
        if country is None:
            location.country_id = area.country_id
        location.timezone = area.timezone
    elif country is not None:
        location.timezone = country.timezone


def _add(weights: dict[str, int], text: str | None, weight: int) -> None:
    for word in tokens(text):
        word = word[:MAX_TOKEN_LENGTH]
        if weights.get(word, 0) < weight:
            weights[word] = weight


def service_search_weights(service: Service) -> dict[str, int]:
    """Folded word -> weight, over every language the service is written in."""
    weights: dict[str, int] = {}
    languages = [service.language, *(service.translations or {}).keys()]
    for language in languages:
        _add(weights, service.tr("name", language), WEIGHT_NAME)
        _add(weights, service.tr("alternate_name", language), WEIGHT_NAME)
        _add(weights, service.tr("description", language), WEIGHT_DESCRIPTION)
        _add(weights, service.tr("eligibility_description", language), WEIGHT_OTHER)
        _add(weights, service.organization.tr("name", language), WEIGHT_ORGANIZATION)
    for term in service.categories.all():
        for language in [term.language, *(term.translations or {}).keys()]:
            _add(weights, term.tr("name", language), WEIGHT_CATEGORY)
    for sal in service.service_at_locations.select_related("location", "location__admin_area"):
        _add(weights, sal.location.name, WEIGHT_OTHER)
        if sal.location.admin_area is not None:
            _add(weights, sal.location.admin_area.name, WEIGHT_OTHER)
    return weights


def service_reindex(service: Service) -> None:
    """Rewrite the search tokens of one service."""
    ServiceSearchToken.objects.filter(service=service).delete()
    ServiceSearchToken.objects.bulk_create(
        ServiceSearchToken(service=service, token=token, weight=weight)
        for token, weight in service_search_weights(service).items()
    )


def _minutes(value: object) -> int | None:
    if value is None:
        return None
    return int(value.hour) * 60 + int(value.minute)  # type: ignore[attr-defined]


def service_openings(service: Service) -> list[WeeklyOpening]:
    """Weekly intervals from the service's WEEKLY schedules (own, per location, or SAL)."""
    openings: list[WeeklyOpening] = []
    sal_locations: dict[object, Location] = {
        sal.id: sal.location for sal in service.service_at_locations.select_related("location")
    }
    locations = list(sal_locations.values())
    default_timezone = next((loc.timezone for loc in locations if loc.timezone), "") or "UTC"
    schedules: list[tuple[Schedule, Location | None]] = []
    for schedule in Schedule.objects.filter(service=service):
        schedules.append((schedule, None))
    for schedule in Schedule.objects.filter(service_at_location__service=service):
        schedules.append((schedule, sal_locations.get(schedule.service_at_location_id)))
    for own_location in locations:
        for schedule in Schedule.objects.filter(
            location=own_location, service__isnull=True, service_at_location__isnull=True
        ):
            schedules.append((schedule, own_location))
    for schedule, location in schedules:
        if schedule.freq and schedule.freq.upper() != "WEEKLY":
            continue
        opens, closes = _minutes(schedule.opens_at), _minutes(schedule.closes_at)
        if opens is None or closes is None:
            continue
        if closes <= opens:
            closes = 1440  # closes at or past midnight
        timezone = (location.timezone if location else "") or default_timezone
        days = [d.strip().upper()[-2:] for d in (schedule.byday or "").split(",") if d.strip()]
        for day in days:
            if day in WEEKDAYS:
                openings.append(
                    WeeklyOpening(
                        service=service,
                        location=location,
                        weekday=WEEKDAYS[day],
                        opens_minute=opens,
                        closes_minute=closes,
                        timezone=timezone,
                    )
                )
    return openings


def service_refresh_openings(service: Service) -> None:
    WeeklyOpening.objects.filter(service=service).delete()
    WeeklyOpening.objects.bulk_create(service_openings(service))


def service_is_free(service: Service) -> bool:
    """Free when every cost option costs nothing, or the fee text says so."""
    options = list(service.cost_options.all())
    if options:
        return all(o.amount is not None and o.amount == Decimal(0) for o in options)
    fees = fold(service.fees_description)
    return fees.startswith(("gratis", "gratuito", "free", "sin costo", "no cost"))


def service_refresh_derived(service: Service) -> None:
    """Everything derived from a service and its children: free flag, hours, tokens."""
    is_free = service_is_free(service)
    if is_free != service.is_free:
        service.is_free = is_free
        Service.objects.filter(pk=service.pk).update(is_free=is_free)
    service_refresh_openings(service)
    service_reindex(service)


def group_by_weekday(openings: list[WeeklyOpening]) -> dict[int, list[tuple[int, int]]]:
    by_day: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for opening in openings:
        by_day[opening.weekday].append((opening.opens_minute, opening.closes_minute))
    return by_day
