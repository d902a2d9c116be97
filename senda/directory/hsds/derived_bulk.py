"""Derived data of many services at once, for imports of thousands of services.

``senda.directory.derived.service_refresh_derived`` asks the database about one service at a
time (about fifteen queries each); an import of 10,000 services cannot afford that. This module
reads the same data for a batch of services in a handful of queries and builds the very same
rows with derived's pure functions (``is_free_from``, ``weekly_intervals``, ``token_rows``...).
``senda/directory/tests/test_hsds_import.py`` checks the rows equal the one-by-one ones.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from senda.directory import derived, geo
from senda.directory.models import (
    CostOption,
    Language,
    Location,
    PublicationStatus,
    Schedule,
    Service,
    ServiceAtLocation,
    ServicePoint,
    ServiceSearchToken,
    TaxonomyTerm,
    WeeklyOpening,
)

BATCH = 500


def services_refresh_derived(service_ids: Iterable[uuid.UUID]) -> None:
    """``service_refresh_derived`` for every service in ``service_ids``, in batches."""
    ids = list(dict.fromkeys(service_ids))
    if not ids:
        return
    terms = {term.pk: term for term in TaxonomyTerm.objects.all()}
    for start in range(0, len(ids), BATCH):
        _refresh_batch(ids[start : start + BATCH], terms)


def _refresh_batch(ids: Sequence[uuid.UUID], terms: dict[Any, TaxonomyTerm]) -> None:
    services = list(Service.objects.filter(id__in=ids).select_related("organization"))
    _refresh_is_free(services)

    sals: dict[Any, list[ServiceAtLocation]] = defaultdict(list)
    for sal in (
        ServiceAtLocation.objects.filter(service_id__in=ids)
        .select_related("location__admin_area__parent__parent", "location__country")
        .order_by("location_id")
    ):
        sals[sal.service_id].append(sal)
    location_ids = list({sal.location_id for group in sals.values() for sal in group})

    own_schedules: dict[Any, list[Schedule]] = defaultdict(list)
    for schedule in Schedule.objects.filter(service_id__in=ids).order_by("id"):
        own_schedules[schedule.service_id].append(schedule)
    sal_schedules: dict[Any, list[Schedule]] = defaultdict(list)
    for schedule in Schedule.objects.filter(service_at_location__service_id__in=ids).order_by("id"):
        sal_schedules[schedule.service_at_location_id].append(schedule)
    location_schedules: dict[Any, list[Schedule]] = defaultdict(list)
    service_languages: dict[Any, list[str]] = defaultdict(list)
    location_languages: dict[Any, list[str]] = defaultdict(list)
    for start in range(0, len(location_ids), BATCH):
        chunk = location_ids[start : start + BATCH]
        for schedule in Schedule.objects.filter(
            location_id__in=chunk, service__isnull=True, service_at_location__isnull=True
        ).order_by("id"):
            location_schedules[schedule.location_id].append(schedule)
        for location_id, code in Language.objects.filter(location_id__in=chunk).values_list(
            "location_id", "code"
        ):
            location_languages[location_id].append(code)
    for service_id, code in Language.objects.filter(service_id__in=ids).values_list(
        "service_id", "code"
    ):
        service_languages[service_id].append(code)
    categories: dict[Any, list[TaxonomyTerm]] = defaultdict(list)
    for service_id, term_id in Service.categories.through.objects.filter(
        service_id__in=ids
    ).values_list("service_id", "taxonomyterm_id"):
        categories[service_id].append(terms[term_id])

    openings: list[WeeklyOpening] = []
    tokens: list[ServiceSearchToken] = []
    points: list[ServicePoint] = []
    for service in services:
        service_sals = sals.get(service.pk, [])
        openings += _openings(
            service, service_sals, own_schedules, sal_schedules, location_schedules
        )
        if service.publication_status != PublicationStatus.PUBLISHED:
            continue
        locations = [sal.location for sal in service_sals]
        codes: dict[Any, list[str]] = {None: service_languages.get(service.pk, [])}
        for location in locations:
            codes[location.pk] = location_languages.get(location.pk, [])
        service_tokens, service_points = _index_rows(
            service, locations, categories.get(service.pk, []), terms, codes
        )
        tokens += service_tokens
        points += service_points

    WeeklyOpening.objects.filter(service_id__in=ids).delete()
    ServiceSearchToken.objects.filter(service_id__in=ids).delete()
    ServicePoint.objects.filter(service_id__in=ids).delete()
    WeeklyOpening.objects.bulk_create(openings, batch_size=BATCH)
    ServiceSearchToken.objects.bulk_create(tokens, batch_size=BATCH)
    ServicePoint.objects.bulk_create(points, batch_size=BATCH)


def _refresh_is_free(services: list[Service]) -> None:
    amounts: dict[Any, list[Any]] = defaultdict(list)
    for service_id, amount in CostOption.objects.filter(
        service_id__in=[service.pk for service in services]
    ).values_list("service_id", "amount"):
        amounts[service_id].append(amount)
    changed: dict[bool, list[Any]] = {True: [], False: []}
    for service in services:
        is_free = derived.is_free_from(amounts.get(service.pk, []), service.fees_description)
        if is_free != service.is_free:
            service.is_free = is_free
            changed[is_free].append(service.pk)
    for value, service_ids in changed.items():
        if service_ids:
            Service.objects.filter(id__in=service_ids).update(is_free=value)


def _openings(
    service: Service,
    sals: list[ServiceAtLocation],
    own_schedules: dict[Any, list[Schedule]],
    sal_schedules: dict[Any, list[Schedule]],
    location_schedules: dict[Any, list[Schedule]],
) -> list[WeeklyOpening]:
    """As ``derived.service_openings``: at a location the most specific schedules apply."""
    own = own_schedules.get(service.pk, [])
    plan: list[tuple[Location | None, list[Schedule]]] = [
        (
            sal.location,
            sal_schedules.get(sal.pk) or own or location_schedules.get(sal.location_id) or [],
        )
        for sal in sals
    ]
    if not sals:
        plan.append((None, own))
    openings: list[WeeklyOpening] = []
    for location, schedules in plan:
        zone = (
            derived.location_timezone(location)
            if location is not None
            else derived.FALLBACK_TIMEZONE
        )
        for schedule in schedules:
            valid_from, valid_to = derived.validity(
                valid_from=schedule.valid_from,
                valid_to=schedule.valid_to,
                dtstart=schedule.dtstart,
                until=schedule.until,
            )
            for interval in derived.weekly_intervals(
                freq=schedule.freq,
                byday=schedule.byday,
                opens_minute=derived.minute_of_day(schedule.opens_at),
                closes_minute=derived.minute_of_day(schedule.closes_at),
            ):
                openings.append(
                    WeeklyOpening(
                        service_id=service.pk,
                        location_id=location.pk if location is not None else None,
                        weekday=interval.weekday,
                        opens_minute=interval.opens_minute,
                        closes_minute=interval.closes_minute,
                        timezone=zone,
                        valid_from=valid_from,
                        valid_to=valid_to,
                    )
                )
    return openings


def _with_ancestors(
    categories: list[TaxonomyTerm], terms: dict[Any, TaxonomyTerm]
) -> list[TaxonomyTerm]:
    """The terms and every term above them, each once (parents from memory, not queries)."""
    found: list[TaxonomyTerm] = []
    seen: set[Any] = set()
    for term in categories:
        current: TaxonomyTerm | None = term
        while current is not None and current.pk not in seen:
            seen.add(current.pk)
            found.append(current)
            current = terms.get(current.parent_id) if current.parent_id else None
    return found


def _texts(obj: Any, name: str) -> list[str]:
    return [
        str(obj.tr(name, language) or "") for language in [obj.language, *(obj.translations or {})]
    ]


def _index_rows(
    service: Service,
    locations: list[Location],
    categories: list[TaxonomyTerm],
    terms: dict[Any, TaxonomyTerm],
    codes: dict[Any, list[str]],
) -> tuple[list[ServiceSearchToken], list[ServicePoint]]:
    """As ``derived.service_index_rows`` for a published service."""
    lineage = _with_ancestors(categories, terms)
    category_facet = derived.facet(
        key for term in lineage for key in derived.category_keys(term.code, term.pk)
    )
    all_languages = derived.facet(
        key for group in codes.values() for code in group for key in derived.language_keys(code)
    )
    places = [derived.place_facets(location) for location in locations]

    weighted: list[tuple[str | None, int]] = []
    for name in ("name", "alternate_name"):
        weighted += [(text, derived.WEIGHT_NAME) for text in _texts(service, name)]
    weighted += [(text, derived.WEIGHT_DESCRIPTION) for text in _texts(service, "description")]
    weighted += [
        (text, derived.WEIGHT_OTHER) for text in _texts(service, "eligibility_description")
    ]
    weighted += [
        (text, derived.WEIGHT_ORGANIZATION) for text in _texts(service.organization, "name")
    ]
    weighted += [
        (text, derived.WEIGHT_CATEGORY) for term in lineage for text in _texts(term, "name")
    ]
    for location in locations:
        weighted += [(text, derived.WEIGHT_OTHER) for text in _texts(location, "name")]
        area = location.admin_area
        while area is not None:
            weighted.append((area.name, derived.WEIGHT_OTHER))
            area = area.parent

    tokens = [
        ServiceSearchToken(
            service_id=service.pk,
            token=token,
            weight=weight,
            country=country,
            categories=category_facet,
            areas=areas,
            languages=languages,
            is_free=is_free,
        )
        for token, weight, country, _, areas, languages, is_free in derived.token_rows(
            weights=derived.search_weights(weighted),
            places=places,
            categories=category_facet,
            languages=all_languages,
            is_free=service.is_free,
        )
    ]
    points = [
        ServicePoint(
            service_id=service.pk,
            location_id=location.pk,
            grid_cell=geo.grid_cell(location.latitude, location.longitude),
            latitude=location.latitude,
            longitude=location.longitude,
            country=place.country,
            categories=category_facet,
            areas=derived.facet(place.areas),
            languages=derived.facet(
                key
                for code in [*codes[None], *codes[location.pk]]
                for key in derived.language_keys(code)
            ),
            is_free=service.is_free,
        )
        for location, place in zip(locations, places, strict=True)
        if location.latitude is not None and location.longitude is not None
    ]
    return tokens, points
