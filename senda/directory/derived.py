"""Derived data kept in step with the directory by the actions (never by signals).

From a service and what hangs off it, Senda derives: whether it is free, its weekly opening
intervals (for "open now"), its search tokens and its map points (for "near me"). Call
``service_refresh_derived(service)`` after any change to a service, its categories, cost
options, languages, schedules or locations, and after a change of publication status (only
published services are in the search index and on the map).

The pure functions at the top take plain values, so the bench loader (``bench/``) builds the
very same rows in bulk without going through the ORM one service at a time.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from senda.core.text import fold, tokens
from senda.directory import geo
from senda.directory.models import (
    Language,
    Location,
    PublicationStatus,
    Schedule,
    Service,
    ServicePoint,
    ServiceSearchToken,
    TaxonomyTerm,
    WeeklyOpening,
)
from senda.geo.models import AdminArea

WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
MINUTES_PER_DAY = 1440
FALLBACK_TIMEZONE = "UTC"

# Where a word appears decides how much a match on it counts.
WEIGHT_NAME = 8
WEIGHT_CATEGORY = 5
WEIGHT_ORGANIZATION = 3
WEIGHT_DESCRIPTION = 2
WEIGHT_OTHER = 1
MAX_TOKEN_LENGTH = 40


# ---------------------------------------------------------------------------------------------
# Pure functions: plain values in, plain values out.


def search_weights(weighted_texts: Iterable[tuple[str | None, int]]) -> dict[str, int]:
    """Folded word -> the highest weight of any text it appears in."""
    weights: dict[str, int] = {}
    for text, weight in weighted_texts:
        for word in tokens(text):
            word = word[:MAX_TOKEN_LENGTH]
            if weights.get(word, 0) < weight:
                weights[word] = weight
    return weights


def facet(values: Iterable[str]) -> str:
    """A set of filter keys as one string, "|a|b|", searchable with ``LIKE '%|a|%'``."""
    keys = sorted({fold(value) for value in values if value})
    return "|" + "|".join(keys) + "|" if keys else ""


def facet_needle(value: str) -> str:
    """What a filter looks for inside a ``facet`` string."""
    return f"|{fold(value)}|"


def category_keys(code: str, term_id: object) -> list[str]:
    """A category is filtered by its code and the codes above it ("health.vaccination" is
    also "health"); a term without a code by its id."""
    if not code:
        return [str(term_id)]
    parts = code.split(".")
    return [".".join(parts[: index + 1]) for index in range(len(parts))]


def language_keys(code: str) -> list[str]:
    """ "es-MX" is found by "es-mx" and by "es"."""
    code = fold(code).strip()
    if not code:
        return []
    primary = code.replace("_", "-").split("-")[0]
    return [code] if primary == code else [code, primary]


def is_free_from(amounts: Sequence[Decimal | None], fees_description: str | None) -> bool:
    """Free when every cost option costs nothing, or (with no options) the fee text says so."""
    if amounts:
        return all(amount is not None and amount == Decimal(0) for amount in amounts)
    fees = fold(fees_description)
    return fees.startswith(("gratis", "gratuito", "free", "sin costo", "no cost"))


@dataclass(frozen=True)
class Interval:
    """One weekly opening interval in local minutes (closes after opens, at most 1440)."""

    weekday: int
    opens_minute: int
    closes_minute: int


def weekly_intervals(
    *, freq: str, byday: str, opens_minute: int | None, closes_minute: int | None
) -> list[Interval]:
    """The weekly intervals of one HSDS schedule; an interval past midnight is split in two.

    WEEKLY or DAILY schedules (or no frequency) count; without ``byday`` every day counts.
    Closing at or before the opening time means closing the next day (22:00-06:00), and
    equal times mean open around the clock.
    """
    if freq and freq.strip().upper() not in ("WEEKLY", "DAILY"):
        return []
    if opens_minute is None or closes_minute is None:
        return []
    days = [item.strip().upper()[-2:] for item in (byday or "").split(",") if item.strip()]
    weekdays = sorted({WEEKDAYS[day] for day in days if day in WEEKDAYS})
    if not days or freq.strip().upper() == "DAILY":
        weekdays = list(range(7))
    intervals: list[Interval] = []
    for weekday in weekdays:
        if closes_minute > opens_minute:
            intervals.append(Interval(weekday, opens_minute, closes_minute))
            continue
        intervals.append(Interval(weekday, opens_minute, MINUTES_PER_DAY))
        if closes_minute > 0:
            intervals.append(Interval((weekday + 1) % 7, 0, closes_minute))
    return intervals


def minute_of_day(value: datetime.time | None) -> int | None:
    if value is None:
        return None
    return value.hour * 60 + value.minute


def validity(
    *,
    valid_from: datetime.date | None,
    valid_to: datetime.date | None,
    dtstart: datetime.date | None = None,
    until: datetime.date | None = None,
) -> tuple[datetime.date | None, datetime.date | None]:
    """The dates between which a schedule applies (None: open-ended)."""
    start = max((d for d in (valid_from, dtstart) if d is not None), default=None)
    end = min((d for d in (valid_to, until) if d is not None), default=None)
    return start, end


@dataclass(frozen=True)
class PlaceFacets:
    """Where one location is, as filter keys: country code and area keys with ancestors."""

    country: str
    areas: tuple[str, ...]


def token_rows(
    *,
    weights: dict[str, int],
    places: Sequence[PlaceFacets],
    categories: str,
    languages: str,
    is_free: bool,
) -> list[tuple[str, int, str, str, str, str, bool]]:
    """Search index rows (token, weight, country, categories, areas, languages, is_free):
    one per word and country the service is in (one country "" without a located place)."""
    areas_by_country: dict[str, set[str]] = defaultdict(set)
    for place in places:
        areas_by_country[place.country].update(place.areas)
    if not areas_by_country:
        areas_by_country[""] = set()
    rows: list[tuple[str, int, str, str, str, str, bool]] = []
    for country, areas in sorted(areas_by_country.items()):
        areas_facet = facet(areas)
        rows.extend(
            (token, weight, country, categories, areas_facet, languages, is_free)
            for token, weight in sorted(weights.items())
        )
    return rows


# ---------------------------------------------------------------------------------------------
# From the database.


def area_keys(area: AdminArea | None) -> list[str]:
    """An area's p-code and the p-codes of every area it lies in."""
    keys: list[str] = []
    seen: set[str] = set()
    while area is not None and area.pcode not in seen:
        seen.add(area.pcode)
        keys.append(area.pcode)
        area = area.parent
    return keys


def location_timezone(location: Location) -> str:
    """The IANA time zone of a location: its area's, else its country's, else UTC."""
    if location.admin_area is not None:
        return location.admin_area.timezone
    if location.country is not None:
        return location.country.timezone
    return FALLBACK_TIMEZONE


def location_refresh_derived(location: Location) -> None:
    """Grid cell, country and time zone from the coordinates and the admin area (no save)."""
    location.grid_cell = geo.grid_cell(location.latitude, location.longitude)
    if location.admin_area is not None and location.country_id is None:
        location.country_id = location.admin_area.country_id
    location.timezone = location_timezone(location)


def _service_locations(service: Service) -> list[Location]:
    return [
        sal.location
        for sal in service.service_at_locations.select_related(
            "location__admin_area__parent__parent", "location__country"
        ).order_by("location_id")
    ]


def _term_keys(terms: Iterable[TaxonomyTerm]) -> list[str]:
    """Keys of the terms and of every term above them (by parent link and by code)."""
    keys: list[str] = []
    seen: set[object] = set()
    for term in terms:
        current: TaxonomyTerm | None = term
        while current is not None and current.pk not in seen:
            seen.add(current.pk)
            keys.extend(category_keys(current.code, current.pk))
            current = current.parent
    return keys


def _term_names(terms: Iterable[TaxonomyTerm]) -> list[str]:
    names: list[str] = []
    seen: set[object] = set()
    for term in terms:
        current: TaxonomyTerm | None = term
        while current is not None and current.pk not in seen:
            seen.add(current.pk)
            for language in [current.language, *(current.translations or {})]:
                names.append(str(current.tr("name", language)))
            current = current.parent
    return names


def _texts(obj: Any, fields: Sequence[str]) -> dict[str, list[str]]:
    """Field -> its text in every language the object is written in."""
    languages = [obj.language, *(obj.translations or {})]
    return {name: [str(obj.tr(name, language) or "") for language in languages] for name in fields}


def service_search_weights(service: Service, locations: Sequence[Location]) -> dict[str, int]:
    """Folded word -> weight, over every language the service is written in."""
    own = _texts(service, ("name", "alternate_name", "description", "eligibility_description"))
    organization = _texts(service.organization, ("name",))
    terms = list(service.categories.select_related("parent__parent"))
    weighted: list[tuple[str | None, int]] = []
    weighted += [(text, WEIGHT_NAME) for text in own["name"] + own["alternate_name"]]
    weighted += [(text, WEIGHT_DESCRIPTION) for text in own["description"]]
    weighted += [(text, WEIGHT_OTHER) for text in own["eligibility_description"]]
    weighted += [(text, WEIGHT_ORGANIZATION) for text in organization["name"]]
    weighted += [(name, WEIGHT_CATEGORY) for name in _term_names(terms)]
    for location in locations:
        weighted += [(text, WEIGHT_OTHER) for text in _texts(location, ("name",))["name"]]
        area = location.admin_area
        while area is not None:
            weighted.append((area.name, WEIGHT_OTHER))
            area = area.parent
    return search_weights(weighted)


def service_category_facet(service: Service) -> str:
    return facet(_term_keys(service.categories.select_related("parent__parent")))


def place_facets(location: Location) -> PlaceFacets:
    return PlaceFacets(
        country=location.country_id or "",
        areas=tuple(fold(key) for key in area_keys(location.admin_area)),
    )


def _language_codes(service: Service, locations: Sequence[Location]) -> dict[object, list[str]]:
    """Language codes by location id (None: the service's own)."""
    codes: dict[object, list[str]] = defaultdict(list)
    rows = Language.objects.filter(service=service).values_list("code", flat=True)
    codes[None] = list(rows)
    if locations:
        by_location = Language.objects.filter(
            location__in=[location.pk for location in locations]
        ).values_list("location_id", "code")
        for location_id, code in by_location:
            codes[location_id].append(code)
    return codes


def _language_facet(codes: Iterable[str]) -> str:
    return facet(key for code in codes for key in language_keys(code))


def service_index_rows(service: Service) -> tuple[list[ServiceSearchToken], list[ServicePoint]]:
    """The search tokens and map points of a service (none unless it is published)."""
    if service.publication_status != PublicationStatus.PUBLISHED:
        return [], []
    locations = _service_locations(service)
    categories = service_category_facet(service)
    codes = _language_codes(service, locations)
    all_languages = _language_facet(code for group in codes.values() for code in group)
    places = [place_facets(location) for location in locations]
    token_objects = [
        ServiceSearchToken(
            service=service,
            token=token,
            weight=weight,
            country=country,
            categories=categories,
            areas=areas,
            languages=languages,
            is_free=is_free,
        )
        for token, weight, country, _, areas, languages, is_free in token_rows(
            weights=service_search_weights(service, locations),
            places=places,
            categories=categories,
            languages=all_languages,
            is_free=service.is_free,
        )
    ]
    points = []
    for location, place in zip(locations, places, strict=True):
        if location.latitude is None or location.longitude is None:
            continue
        points.append(
            ServicePoint(
                service=service,
                location=location,
                grid_cell=geo.grid_cell(location.latitude, location.longitude) or 0,
                latitude=location.latitude,
                longitude=location.longitude,
                country=place.country,
                categories=categories,
                areas=facet(place.areas),
                languages=_language_facet([*codes[None], *codes[location.pk]]),
                is_free=service.is_free,
            )
        )
    return token_objects, points


def service_reindex(service: Service) -> None:
    """Rewrite the search tokens and map points of one service."""
    tokens_to_write, points = service_index_rows(service)
    ServiceSearchToken.objects.filter(service=service).delete()
    ServicePoint.objects.filter(service=service).delete()
    ServiceSearchToken.objects.bulk_create(tokens_to_write)
    ServicePoint.objects.bulk_create(points)


def service_openings(service: Service) -> list[WeeklyOpening]:
    """Weekly intervals of a service at each of its locations, in each location's time zone.

    At a location, the most specific schedules apply: those of the service at that location,
    else the service's own, else the location's. A service without locations keeps its own
    schedules in UTC.
    """
    sals = list(
        service.service_at_locations.select_related(
            "location__admin_area", "location__country"
        ).order_by("location_id")
    )
    own = list(Schedule.objects.filter(service=service).order_by("id"))
    by_sal: dict[object, list[Schedule]] = defaultdict(list)
    for schedule in Schedule.objects.filter(service_at_location__service=service).order_by("id"):
        by_sal[schedule.service_at_location_id].append(schedule)
    by_location: dict[object, list[Schedule]] = defaultdict(list)
    location_schedules = Schedule.objects.filter(
        location__in=[sal.location_id for sal in sals],
        service__isnull=True,
        service_at_location__isnull=True,
    ).order_by("id")
    for schedule in location_schedules:
        by_location[schedule.location_id].append(schedule)

    plan: list[tuple[Location | None, list[Schedule]]] = []
    for sal in sals:
        schedules = by_sal.get(sal.pk) or own or by_location.get(sal.location_id) or []
        plan.append((sal.location, schedules))
    if not sals:
        plan.append((None, own))

    openings: list[WeeklyOpening] = []
    for location, schedules in plan:
        zone = location_timezone(location) if location is not None else FALLBACK_TIMEZONE
        for schedule in schedules:
            valid_from, valid_to = validity(
                valid_from=schedule.valid_from,
                valid_to=schedule.valid_to,
                dtstart=schedule.dtstart,
                until=schedule.until,
            )
            for interval in weekly_intervals(
                freq=schedule.freq,
                byday=schedule.byday,
                opens_minute=minute_of_day(schedule.opens_at),
                closes_minute=minute_of_day(schedule.closes_at),
            ):
                openings.append(
                    WeeklyOpening(
                        service=service,
                        location=location,
                        weekday=interval.weekday,
                        opens_minute=interval.opens_minute,
                        closes_minute=interval.closes_minute,
                        timezone=zone,
                        valid_from=valid_from,
                        valid_to=valid_to,
                    )
                )
    return openings


def service_refresh_openings(service: Service) -> None:
    WeeklyOpening.objects.filter(service=service).delete()
    WeeklyOpening.objects.bulk_create(service_openings(service))


def service_is_free(service: Service) -> bool:
    """Free when every cost option costs nothing, or the fee text says so."""
    amounts = list(service.cost_options.values_list("amount", flat=True))
    return is_free_from(amounts, service.fees_description)


def service_refresh_derived(service: Service) -> None:
    """Everything derived from a service and its children: free flag, hours, tokens, points."""
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
