"""Public search of published services: accent- and case-insensitive, ranked, filtered.

The interface (``ServiceFilters``, ``search_services``) is what the portal, the HSDS API and
the bench use. A search with words reads the ``ServiceSearchToken`` inverted index, where every
row also carries the service's filter values, so one grouped query over one index range ranks,
counts and pages the results; a listing without words filters the services themselves
(``filter_services``).

Ranking: services matching more of the words come first; then the sum, over the words, of
the best place each word was found (name > category > organisation > description > other),
an exact word counting a little more than a word that only starts with what was typed.
"""

from __future__ import annotations

import datetime
import functools
import uuid
import weakref
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, connections
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from senda.core.text import tokens
from senda.directory.derived import facet_needle, language_keys
from senda.directory.models import (
    Language,
    Organization,
    PublicationStatus,
    Service,
    ServiceAtLocation,
    ServiceSearchToken,
    TaxonomyTerm,
    WeeklyOpening,
)
from senda.geo.models import AdminArea, Country

MAX_QUERY_TERMS = 8
# Shorter words only match whole words: a one-letter prefix would match half the index.
MIN_PREFIX_LENGTH = 2
_TOKEN_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105 (not a password)


@dataclass(frozen=True)
class ServiceFilters:
    """What a person can narrow a search by. Empty values mean "any"."""

    category_codes: tuple[str, ...] = ()  # a code also matches its child categories
    country_code: str = ""
    area_pcode: str = ""  # an area also matches the areas inside it
    free_only: bool = False
    language_code: str = ""  # ISO 639-1, e.g. "es", "en", "mam"
    open_now: bool = False
    organization_id: uuid.UUID | None = None


@dataclass
class SearchHit:
    service: Service
    score: int
    matched_terms: int = 0


@dataclass
class SearchPage:
    hits: list[SearchHit]
    total: int
    page: int
    per_page: int
    query_terms: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


# ---------------------------------------------------------------------------------------------
# Open now


def _known_timezones() -> set[str]:
    """Every zone a weekly opening can be in (see ``derived.location_timezone``)."""
    zones = set(
        AdminArea.objects.order_by()
        .values_list("timezone", flat=True)
        .union(Country.objects.order_by().values_list("timezone", flat=True))
    )
    zones.add("UTC")
    return zones


def open_openings_q(now: datetime.datetime | None = None) -> Q:
    """Weekly openings that contain ``now`` in their own time zone, on a date they apply."""
    now = now or timezone.now()
    condition = Q(pk__in=[])
    for zone_name in sorted(_known_timezones()):
        try:
            local = now.astimezone(zoneinfo.ZoneInfo(zone_name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        minute = local.hour * 60 + local.minute
        today = local.date()
        condition |= (
            Q(
                timezone=zone_name,
                weekday=local.weekday(),
                opens_minute__lte=minute,
                closes_minute__gt=minute,
            )
            & (Q(valid_from__isnull=True) | Q(valid_from__lte=today))
            & (Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        )
    return condition


def open_now_q(now: datetime.datetime | None = None) -> Q:
    """Services open at ``now`` (a filter for a queryset of services)."""
    return Q(pk__in=WeeklyOpening.objects.filter(open_openings_q(now)).values("service_id"))


# ---------------------------------------------------------------------------------------------
# Filters


@functools.lru_cache(maxsize=1)
def _area_countries() -> dict[str, str]:
    """p-code -> country code; admin areas are reference data loaded by migrations."""
    return dict(AdminArea.objects.values_list("pcode", "country_id"))


def _area_country(pcode: str) -> str | None:
    country = _area_countries().get(pcode)
    if country is None:
        _area_countries.cache_clear()
        country = _area_countries().get(pcode)
    return country


def _like_contains(value: str) -> str:
    """A LIKE pattern for ``value`` anywhere, with LIKE's wildcards escaped (ESCAPE '\\')."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def index_filter_sql(
    filters: ServiceFilters, *, now: datetime.datetime | None = None
) -> tuple[list[str], list[Any]]:
    """``filters`` as SQL conditions (and their parameters) on the columns that
    ``ServiceSearchToken`` and ``ServicePoint`` share: the copied filter values."""
    conditions: list[str] = []
    params: list[Any] = []

    def contains(column: str, value: str) -> str:
        params.append(_like_contains(facet_needle(value)))
        return f"{column} LIKE %s ESCAPE '\\'"

    if filters.category_codes:
        alternatives = [contains("categories", code) for code in filters.category_codes]
        conditions.append("(" + " OR ".join(alternatives) + ")")
    country = filters.country_code.strip().upper()
    if filters.area_pcode:
        conditions.append(contains("areas", filters.area_pcode))
        country = country or (_area_country(filters.area_pcode) or "")
    if country:
        conditions.append("country = %s")
        params.append(country)
    if filters.free_only:
        conditions.append("is_free = %s")
        params.append(True)
    if filters.language_code:
        conditions.append(contains("languages", filters.language_code))
    if filters.open_now:
        openings = WeeklyOpening.objects.filter(open_openings_q(now)).values("service_id")
        sql, subquery_params = openings.query.sql_with_params()
        conditions.append(f"service_id IN ({sql})")
        params.extend(subquery_params)
    if filters.organization_id:
        providers = Service.objects.filter(organization_id=filters.organization_id).values("pk")
        sql, subquery_params = providers.query.sql_with_params()
        conditions.append(f"service_id IN ({sql})")
        params.extend(subquery_params)
    return conditions, params


def _area_pcodes(pcode: str) -> list[str]:
    pcodes = [pcode]
    frontier = [pcode]
    while frontier:
        frontier = list(
            AdminArea.objects.filter(parent_id__in=frontier).values_list("pcode", flat=True)
        )
        pcodes.extend(frontier)
    return pcodes


def _category_term_ids(codes: tuple[str, ...]) -> set[uuid.UUID]:
    """Terms with one of ``codes`` and every term below them (by parent link or by code)."""
    terms = list(TaxonomyTerm.objects.values_list("pk", "code", "parent_id"))
    wanted = {code.casefold() for code in codes}
    selected = {
        pk
        for pk, code, _ in terms
        if code and any(code.casefold() == w or code.casefold().startswith(w + ".") for w in wanted)
    }
    selected |= {pk for pk, _, _ in terms if str(pk) in wanted}
    children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for pk, _, parent_id in terms:
        children.setdefault(parent_id, []).append(pk)
    frontier = list(selected)
    while frontier:
        frontier = [
            child for pk in frontier for child in children.get(pk, []) if child not in selected
        ]
        selected.update(frontier)
    return selected


def _language_q(code: str) -> Q:
    wanted = language_keys(code)[0] if language_keys(code) else code
    return (
        Q(code__iexact=wanted)
        | Q(code__istartswith=wanted + "-")
        | Q(code__istartswith=wanted + "_")
    )


def filter_services(
    services: QuerySet[Service], filters: ServiceFilters, *, now: datetime.datetime | None = None
) -> QuerySet[Service]:
    """Apply ``filters`` to a queryset of services (subqueries only: no duplicate rows)."""
    if filters.category_codes:
        services = services.filter(
            pk__in=Service.categories.through.objects.filter(
                taxonomyterm_id__in=_category_term_ids(filters.category_codes)
            ).values("service_id")
        )
    located = ServiceAtLocation.objects.all()
    if filters.area_pcode:
        located = located.filter(location__admin_area_id__in=_area_pcodes(filters.area_pcode))
    if filters.country_code:
        located = located.filter(location__country_id=filters.country_code.strip().upper())
    if filters.area_pcode or filters.country_code:
        services = services.filter(pk__in=located.values("service_id"))
    if filters.free_only:
        services = services.filter(is_free=True)
    if filters.language_code:
        spoken = Language.objects.filter(_language_q(filters.language_code))
        services = services.filter(
            Q(pk__in=spoken.filter(service__isnull=False).values("service_id"))
            | Q(
                pk__in=ServiceAtLocation.objects.filter(
                    location_id__in=spoken.filter(location__isnull=False).values("location_id")
                ).values("service_id")
            )
        )
    if filters.open_now:
        services = services.filter(open_now_q(now))
    if filters.organization_id:
        services = services.filter(organization_id=filters.organization_id)
    return services


# ---------------------------------------------------------------------------------------------
# Search


def prefix_successor(prefix: str) -> str | None:
    """The first string after every word that starts with ``prefix`` (words are [0-9a-z]):
    "vacuna" -> "vacunb", "az" -> "b", "9" -> "a"; None for "zz" (no upper bound)."""
    stripped = prefix.rstrip("z")
    if not stripped:
        return None
    last = _TOKEN_ALPHABET.index(stripped[-1]) if stripped[-1] in _TOKEN_ALPHABET else None
    if last is None:
        return stripped[:-1] + chr(ord(stripped[-1]) + 1)
    return stripped[:-1] + _TOKEN_ALPHABET[last + 1]


def query_terms(query: str) -> list[str]:
    """The distinct folded words of a query, at most ``MAX_QUERY_TERMS``."""
    return list(dict.fromkeys(tokens(query)))[:MAX_QUERY_TERMS]


def _term_sql(term: str) -> tuple[str, list[Any]]:
    """Index rows whose word is ``term`` or (for two letters or more) starts with it."""
    if len(term) < MIN_PREFIX_LENGTH:
        return "token = %s", [term]
    upper = prefix_successor(term)
    if upper is None:
        return "token >= %s", [term]
    return "(token >= %s AND token < %s)", [term, upper]


def _term_score_sql(term: str, *, only_term: bool) -> tuple[str, list[Any]]:
    """Twice the weight of the row's word, plus one when the word is the whole term."""
    if only_term:  # every row matches the term: no need to test the prefix again
        return "CASE WHEN token = %s THEN weight * 2 + 1 ELSE weight * 2 END", [term]
    match, params = _term_sql(term)
    return (
        f"CASE WHEN token = %s THEN weight * 2 + 1 WHEN {match} THEN weight * 2 ELSE 0 END",
        [term, *params],
    )


def ranked_matches_sql(
    terms: list[str],
    filters: ServiceFilters,
    *,
    limit: int,
    offset: int,
    now: datetime.datetime | None = None,
) -> tuple[str, list[Any]]:
    """One grouped query over the index: (service_id, score, matched, total) per matching
    service, best first. Written in SQL because building it through the ORM costs more than
    running it; only identifiers and placeholders are formatted in, values are parameters."""
    table = connection.ops.quote_name(ServiceSearchToken._meta.db_table)
    words, word_params = [], []
    for term in terms:
        sql, params = _term_sql(term)
        words.append(sql)
        word_params.extend(params)
    conditions, filter_params = index_filter_sql(filters, now=now)
    where = " AND ".join(["(" + " OR ".join(words) + ")", *conditions])
    if len(terms) == 1:
        score, score_params = _term_score_sql(terms[0], only_term=True)
        return (
            f"SELECT service_id, MAX({score}) AS score, 1 AS matched,"  # noqa: S608
            " COUNT(*) OVER () AS total"
            f" FROM {table} WHERE {where}"
            " GROUP BY service_id ORDER BY score DESC, service_id LIMIT %s OFFSET %s",
            [*score_params, *word_params, *filter_params, limit, offset],
        )
    columns, column_params = [], []
    for index, term in enumerate(terms):
        score, score_params = _term_score_sql(term, only_term=False)
        columns.append(f"MAX({score}) AS term_{index}")
        column_params.extend(score_params)
    total_score = " + ".join(f"term_{index}" for index in range(len(terms)))
    matched = " + ".join(
        f"CASE WHEN term_{index} > 0 THEN 1 ELSE 0 END" for index in range(len(terms))
    )
    return (
        f"SELECT service_id, {total_score} AS score, {matched} AS matched,"  # noqa: S608
        " COUNT(*) OVER () AS total"
        f" FROM (SELECT service_id, {', '.join(columns)} FROM {table} WHERE {where}"
        " GROUP BY service_id) AS per_service"
        " ORDER BY matched DESC, score DESC, service_id LIMIT %s OFFSET %s",
        [*column_params, *word_params, *filter_params, limit, offset],
    )


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def as_uuid(value: Any) -> uuid.UUID:
    """A UUID column as read by a cursor (SQLite gives hex text)."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


@dataclass(frozen=True)
class _ModelColumns:
    """How to turn a model's columns, read under an alias, back into an instance."""

    model: type[Model]
    select: list[str]
    attnames: list[str]
    converters: list[tuple[int, Any, list[Any]]]


_COLUMN_PLANS: weakref.WeakKeyDictionary[Any, dict[tuple[type[Model], str], _ModelColumns]] = (
    weakref.WeakKeyDictionary()
)


def _model_columns(model: type[Model], alias: str) -> _ModelColumns:
    """Select list and value converters of ``model`` (what Django's SQL compiler uses to
    build instances), worked out once per database connection."""
    wrapper = connections[connection.alias]
    plans = _COLUMN_PLANS.setdefault(wrapper, {})
    plan = plans.get((model, alias))
    if plan is None:
        fields = model._meta.concrete_fields
        converters = []
        for index, model_field in enumerate(fields):
            column = model_field.get_col(alias)
            functions = wrapper.ops.get_db_converters(column) + column.get_db_converters(wrapper)
            if functions:
                converters.append((index, column, functions))
        plan = _ModelColumns(
            model=model,
            select=[f"{alias}.{wrapper.ops.quote_name(str(f.column))}" for f in fields],
            attnames=[f.attname for f in fields],
            converters=converters,
        )
        plans[(model, alias)] = plan
    return plan


def fetch_instances(
    from_where: str, params: list[Any], *models: tuple[type[Model], str]
) -> list[tuple[Any, ...]]:
    """``SELECT`` every column of each (model, table alias) ``from_where``, one query, and
    return each row as a tuple of model instances. For the few rows of a result page the ORM
    would spend longer compiling the query than the database spends running it."""
    plans = [_model_columns(model, alias) for model, alias in models]
    select = ", ".join(column for plan in plans for column in plan.select)
    rows = _fetch(f"SELECT {select} {from_where}", params)
    instances = []
    for row in rows:
        start = 0
        objects = []
        for plan in plans:
            values = list(row[start : start + len(plan.attnames)])
            start += len(plan.attnames)
            for index, column, functions in plan.converters:
                value = values[index]
                for function in functions:
                    value = function(value, column, connection)
                values[index] = value
            objects.append(plan.model.from_db(connection.alias, plan.attnames, values))
        instances.append(tuple(objects))
    return instances


def db_uuid(value: uuid.UUID) -> Any:
    """A UUID as a query parameter for this database."""
    primary_key = Service._meta.pk
    assert primary_key is not None
    return primary_key.get_db_prep_value(value, connection)


def services_by_id(ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Service]:
    """Services with their provider organisation loaded, in one query."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    quote = connection.ops.quote_name
    rows = fetch_instances(
        f"FROM {quote(Service._meta.db_table)} s"
        f" JOIN {quote(Organization._meta.db_table)} o ON o.id = s.organization_id"
        f" WHERE s.id IN ({', '.join(['%s'] * len(wanted))})",
        [db_uuid(value) for value in wanted],
        (Service, "s"),
        (Organization, "o"),
    )
    services = {}
    for service, provider in rows:
        service.organization = provider
        services[service.pk] = service
    return services


def search_services(
    query: str,
    filters: ServiceFilters | None = None,
    *,
    page: int = 1,
    per_page: int = 20,
    now: datetime.datetime | None = None,
) -> SearchPage:
    """Published services matching words of ``query`` (each word also as the start of a longer
    word: "vacu" finds "vacunación"), best first; without words, every published service that
    passes the filters, by name."""
    filters = filters or ServiceFilters()
    page = max(1, page)
    per_page = max(1, per_page)
    offset = (page - 1) * per_page
    terms = query_terms(query)
    if not terms:
        services = filter_services(
            Service.objects.filter(publication_status=PublicationStatus.PUBLISHED), filters, now=now
        )
        total = services.count()
        page_services = list(
            services.select_related("organization").order_by("name", "id")[
                offset : offset + per_page
            ]
        )
        return SearchPage([SearchHit(s, 0) for s in page_services], total, page, per_page, [])

    rows = _fetch(*ranked_matches_sql(terms, filters, limit=per_page, offset=offset, now=now))
    if rows:
        total = int(rows[0][3])
    elif page > 1:  # past the last page: still say how many there are
        counted = _fetch(*ranked_matches_sql(terms, filters, limit=1, offset=0, now=now))
        total = int(counted[0][3]) if counted else 0
    else:
        total = 0
    ranked = [
        (as_uuid(service_id), int(score), int(matched)) for service_id, score, matched, _ in rows
    ]
    by_id = services_by_id(item[0] for item in ranked)
    hits = [
        SearchHit(by_id[service_id], score, matched)
        for service_id, score, matched in ranked
        if service_id in by_id
    ]
    return SearchPage(hits, total, page, per_page, terms)
