"""Derived data of many services at once, for imports of thousands of services.

``senda.directory.derived.service_refresh_derived`` asks the database about one service at a
time (about fifteen queries each); an import of 10,000 services cannot afford that. This module
reads the same data for a batch of services in a handful of queries and builds the very same
rows with derived's pure functions (``is_free_from``, ``weekly_intervals``, ``token_rows``...).
``senda/directory/tests/test_hsds_import.py`` checks the rows equal the one-by-one ones.

The rows are plain tuples written with one multi-row INSERT per batch: these tables only ever
hold derived rows (no signals, no model logic), and building a model instance per search word
would cost more than everything else in an import.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import DateField, ForeignKey, Model

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
INSERT_BATCH = 5_000


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

    openings: list[tuple[Any, ...]] = []
    tokens: list[tuple[Any, ...]] = []
    points: list[tuple[Any, ...]] = []
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
    _insert(WeeklyOpening, OPENING_COLUMNS, openings)
    _insert(ServiceSearchToken, TOKEN_COLUMNS, tokens)
    _insert(ServicePoint, POINT_COLUMNS, points)


OPENING_COLUMNS = (
    "service_id",
    "location_id",
    "weekday",
    "opens_minute",
    "closes_minute",
    "timezone",
    "valid_from",
    "valid_to",
)
TOKEN_COLUMNS = (
    "service_id",
    "token",
    "weight",
    "country",
    "categories",
    "areas",
    "languages",
    "is_free",
)
POINT_COLUMNS = (
    "service_id",
    "location_id",
    "grid_cell",
    "latitude",
    "longitude",
    "country",
    "categories",
    "areas",
    "languages",
    "is_free",
)


def _insert(model: type[Model], columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """INSERT ``rows`` (Python values in ``columns`` order) into ``model``'s table."""
    if not rows:
        return
    fields: list[Any] = [model._meta.get_field(name) for name in columns]
    converters: list[Callable[[Any], Any] | None] = []
    for model_field in fields:
        if isinstance(model_field, (ForeignKey, DateField)):
            converters.append(_cached_converter(model_field))
        else:
            converters.append(None)
    quote = connection.ops.quote_name
    column_list = ", ".join(quote(model_field.column) for model_field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Names come from the model, values are parameters.
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({column_list}) VALUES ({placeholders})"  # noqa: S608
    prepared = [
        tuple(
            value if convert is None else convert(value)
            for value, convert in zip(row, converters, strict=True)
        )
        for row in rows
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(prepared), INSERT_BATCH):
            cursor.executemany(sql, prepared[start : start + INSERT_BATCH])


def _cached_converter(model_field: Any) -> Callable[[Any], Any]:
    """The database value of ``model_field`` for a Python value, computed once per value."""
    cache: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if value not in cache:
            cache[value] = model_field.get_db_prep_save(value, connection)
        return cache[value]

    return convert


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
) -> list[tuple[Any, ...]]:
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
    openings: list[tuple[Any, ...]] = []
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
                    (
                        service.pk,
                        location.pk if location is not None else None,
                        interval.weekday,
                        interval.opens_minute,
                        interval.closes_minute,
                        zone,
                        valid_from,
                        valid_to,
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
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """As ``derived.service_index_rows`` for a published service: token and point rows."""
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
        (service.pk, token, weight, country, category_facet, areas, languages, is_free)
        for token, weight, country, _, areas, languages, is_free in derived.token_rows(
            weights=derived.search_weights(weighted),
            places=places,
            categories=category_facet,
            languages=all_languages,
            is_free=service.is_free,
        )
    ]
    points: list[tuple[Any, ...]] = []
    for location, place in zip(locations, places, strict=True):
        cell = geo.grid_cell(location.latitude, location.longitude)
        if cell is None:
            continue
        languages = derived.facet(
            key
            for code in [*codes[None], *codes[location.pk]]
            for key in derived.language_keys(code)
        )
        points.append(
            (
                service.pk,
                location.pk,
                cell,
                location.latitude,
                location.longitude,
                place.country,
                category_facet,
                derived.facet(place.areas),
                languages,
                service.is_free,
            )
        )
    return tokens, points
