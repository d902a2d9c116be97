"""Reads behind the HSDS export and the /hsds/ API: published services and what hangs off them.

Everything the serialiser touches is loaded up front (``select_related``/``prefetch_related``
with a stable order), so a page of services costs the same number of queries whatever its
size. Public reads see published services only; ``include_drafts`` is for the operator's
export command alone.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from django.db.models import Model, Prefetch, Q, QuerySet

from senda.core.models import TranslatableModel
from senda.core.queries import get_or_not_found
from senda.core.text import fold, tokens
from senda.directory.models import (
    Accessibility,
    Address,
    Attribute,
    Contact,
    CostOption,
    Language,
    Location,
    Organization,
    Phone,
    PublicationStatus,
    RequiredDocument,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from senda.directory.queries import organizations_public, services_public
from senda.directory.search import ServiceFilters, search_services

M = TypeVar("M", bound=Model)


def _by_id(lookup: str, queryset: QuerySet[Any]) -> Prefetch:
    return Prefetch(lookup, queryset=queryset.order_by("id"))


def _phones() -> QuerySet[Phone]:
    return Phone.objects.prefetch_related(_by_id("languages", Language.objects.all()))


def location_prefetches(prefix: str = "") -> list[Prefetch]:
    """What a fully nested HSDS location shows, under ``prefix`` (e.g. "location__")."""
    return [
        _by_id(f"{prefix}addresses", Address.objects.all()),
        _by_id(f"{prefix}phones", _phones()),
        _by_id(f"{prefix}schedules", Schedule.objects.all()),
        _by_id(f"{prefix}languages", Language.objects.all()),
        _by_id(f"{prefix}accessibility", Accessibility.objects.all()),
        _by_id(f"{prefix}contacts", Contact.objects.all()),
    ]


def service_at_location_prefetches() -> list[Prefetch]:
    """What a fully nested HSDS service-at-location shows besides its location row."""
    return [
        _by_id("phones", _phones()),
        _by_id("schedules", Schedule.objects.all()),
        _by_id("contacts", Contact.objects.all()),
        *location_prefetches("location__"),
    ]


def service_at_locations_full() -> QuerySet[ServiceAtLocation]:
    """Service-at-locations with their location and everything both show."""
    return ServiceAtLocation.objects.select_related("location").prefetch_related(
        *service_at_location_prefetches()
    )


def with_full_service_at_location(
    rows: QuerySet[ServiceAtLocation],
) -> QuerySet[ServiceAtLocation]:
    """Fully nested service-at-locations, with the summary of their service."""
    return rows.select_related("location", "service__organization").prefetch_related(
        *service_at_location_prefetches()
    )


def with_service_at_location_summary(
    rows: QuerySet[ServiceAtLocation],
) -> QuerySet[ServiceAtLocation]:
    """Service-at-locations as an HSDS list item shows them: location and service rows."""
    return rows.select_related("location", "service__organization")


def with_full_service(services: QuerySet[Service]) -> QuerySet[Service]:
    """``services`` with every row a fully nested HSDS service shows."""
    return services.select_related("organization").prefetch_related(
        _by_id("phones", _phones()),
        _by_id("schedules", Schedule.objects.all()),
        _by_id("service_areas", ServiceArea.objects.all()),
        _by_id("languages", Language.objects.all()),
        _by_id("cost_options", CostOption.objects.all()),
        _by_id("required_documents", RequiredDocument.objects.all()),
        _by_id("contacts", Contact.objects.all()),
        Prefetch(
            "categories",
            queryset=TaxonomyTerm.objects.select_related("taxonomy").order_by("code", "id"),
        ),
        Prefetch(
            "service_at_locations",
            queryset=service_at_locations_full().order_by("location__name", "id"),
        ),
    )


def with_service_summary(services: QuerySet[Service]) -> QuerySet[Service]:
    """``services`` with what an HSDS service list item shows (its organization)."""
    return services.select_related("organization")


def with_full_organization(
    organizations: QuerySet[Organization], *, full_services: bool
) -> QuerySet[Organization]:
    """Organizations with their phones, contacts, public locations and published services."""
    services = services_public().order_by("name", "id")
    public_locations = Location.objects.filter(
        pk__in=ServiceAtLocation.objects.filter(
            service__publication_status=PublicationStatus.PUBLISHED
        ).values("location_id")
    )
    return organizations.prefetch_related(
        _by_id("phones", _phones()),
        _by_id("contacts", Contact.objects.all()),
        Prefetch(
            "locations",
            queryset=public_locations.prefetch_related(*location_prefetches()).order_by(
                "name", "id"
            ),
        ),
        Prefetch(
            "services",
            queryset=with_full_service(services) if full_services else services,
        ),
    )


# Single objects (NotFoundError for unknown, malformed or unpublished ids).


def service_get(*, service_id: str) -> Service:
    """One published service, fully loaded."""
    return get_or_not_found(with_full_service(services_public()), service_id)


def organization_get(*, organization_id: str, full_services: bool) -> Organization:
    """One organization with at least one published service, fully loaded."""
    return get_or_not_found(
        with_full_organization(organizations_public(), full_services=full_services),
        organization_id,
    )


def service_at_locations_public() -> QuerySet[ServiceAtLocation]:
    """Service-at-locations of published services."""
    return ServiceAtLocation.objects.filter(service__publication_status=PublicationStatus.PUBLISHED)


def service_at_location_get(*, service_at_location_id: str) -> ServiceAtLocation:
    """One service-at-location of a published service, fully loaded."""
    return get_or_not_found(
        with_full_service_at_location(service_at_locations_public()), service_at_location_id
    )


def taxonomies() -> QuerySet[Taxonomy]:
    return Taxonomy.objects.order_by("name", "id")


def taxonomy_terms() -> QuerySet[TaxonomyTerm]:
    return TaxonomyTerm.objects.select_related("taxonomy").order_by("code", "name", "id")


def taxonomy_terms_filtered(
    *, taxonomy_id: uuid.UUID | None, parent_id: uuid.UUID | None, top_only: bool
) -> QuerySet[TaxonomyTerm]:
    """Terms of a taxonomy, children of a term, or only the top of the tree."""
    terms = taxonomy_terms()
    if taxonomy_id:
        terms = terms.filter(taxonomy_id=taxonomy_id)
    if parent_id:
        terms = terms.filter(parent_id=parent_id)
    if top_only:
        terms = terms.filter(parent__isnull=True)
    return terms


def taxonomy_get(*, taxonomy_id: str) -> Taxonomy:
    return get_or_not_found(taxonomies(), taxonomy_id)


def taxonomy_term_get(*, taxonomy_term_id: str) -> TaxonomyTerm:
    return get_or_not_found(taxonomy_terms(), taxonomy_term_id)


# Filters named after the HSDS API's query parameters.


def term_with_descendants(term_id: uuid.UUID) -> list[uuid.UUID]:
    """``term_id`` and every term below it, so a broad category finds its specific ones."""
    found = [term_id]
    frontier = [term_id]
    while frontier:
        frontier = [
            child
            for child in TaxonomyTerm.objects.filter(parent_id__in=frontier).values_list(
                "pk", flat=True
            )
            if child not in found
        ]
        found.extend(frontier)
    return found


@dataclass(frozen=True)
class ServiceQuery:
    """The HSDS filters of a service or service-at-location listing. None means "any"."""

    search: str = ""
    taxonomy_term_id: uuid.UUID | None = None
    taxonomy_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    modified_after: datetime.datetime | None = None

    @property
    def has_filters_search_cannot_apply(self) -> bool:
        return bool(self.taxonomy_term_id or self.taxonomy_id or self.modified_after)


def filter_services(services: QuerySet[Service], query: ServiceQuery) -> QuerySet[Service]:
    """Apply every filter of ``query`` except the text search."""
    if query.taxonomy_term_id:
        with_term = Service.objects.filter(
            categories__in=term_with_descendants(query.taxonomy_term_id)
        )
        services = services.filter(pk__in=with_term.values("pk"))
    if query.taxonomy_id:
        with_taxonomy = Service.objects.filter(categories__taxonomy_id=query.taxonomy_id)
        services = services.filter(pk__in=with_taxonomy.values("pk"))
    if query.organization_id:
        services = services.filter(organization_id=query.organization_id)
    if query.modified_after:
        # "The service, or any related information about the service, has changed."
        since = query.modified_after
        moved = ServiceAtLocation.objects.filter(location__updated_at__gte=since)
        services = services.filter(
            Q(updated_at__gte=since)
            | Q(last_modified__gte=since)
            | Q(organization__updated_at__gte=since)
            | Q(pk__in=moved.values("service_id"))
        )
    return services


def matching_ids(queryset: QuerySet[Any], search: str, *text_fields: str) -> list[Any]:
    """Ids of ``queryset`` (in its order) whose texts match every word of ``search``.

    Matching happens here rather than in SQL so that it is accent-insensitive on SQLite and
    PostgreSQL alike; it reads only the id and the text columns, and these tables are small
    next to services (which use the search index instead).
    """
    translatable = issubclass(queryset.model, TranslatableModel)
    columns = [*text_fields, "translations"] if translatable else list(text_fields)
    found = []
    for pk, *texts in queryset.values_list("pk", *columns):
        if translatable:
            texts = [*texts[:-1], *_translated_texts(texts[-1])]
        if text_matches(search, *texts):
            found.append(pk)
    return found


def _translated_texts(translations: Any) -> list[str]:
    if not isinstance(translations, dict):
        return []
    return [
        value
        for fields in translations.values()
        if isinstance(fields, dict)
        for value in fields.values()
        if isinstance(value, str)
    ]


def text_matches(search: str, *texts: str | None) -> bool:
    """Every word of ``search`` starts a word of ``texts``; accent- and case-insensitive."""
    words = set(tokens(" ".join(fold(text) for text in texts if text), keep_stopwords=True))
    return all(any(word.startswith(term) for word in words) for term in tokens(search))


# Pages of results. A selection yields (rows, total) for a 1-based page number.


@dataclass
class PageOfRows(Generic[M]):
    rows: list[M]
    total: int


class Selection(Protocol):
    """Rows in a fixed order, a page at a time (1-based), with the total count."""

    def page(self, number: int, size: int) -> PageOfRows[Any]: ...


class QuerySetSelection(Generic[M]):
    """An ordered queryset, loaded with ``prepare`` one page at a time."""

    def __init__(
        self, queryset: QuerySet[M], prepare: Callable[[QuerySet[M]], QuerySet[M]]
    ) -> None:
        self.queryset = queryset
        self.prepare = prepare

    def page(self, number: int, size: int) -> PageOfRows[M]:
        total = self.queryset.count()
        offset = (number - 1) * size
        if offset >= total:
            return PageOfRows([], total)
        return PageOfRows(list(self.prepare(self.queryset)[offset : offset + size]), total)


class IdSelection(Generic[M]):
    """Rows in the order of a list of ids (a ranking), loaded one page at a time."""

    def __init__(self, ids: Sequence[Any], load: Callable[[Sequence[Any]], list[M]]) -> None:
        self.ids = ids
        self.load = load

    def page(self, number: int, size: int) -> PageOfRows[M]:
        offset = (number - 1) * size
        return PageOfRows(self.load(self.ids[offset : offset + size]), len(self.ids))


class ServiceSearchSelection:
    """Published services ranked by the public search, a page at a time from the index."""

    def __init__(
        self,
        query: ServiceQuery,
        prepare: Callable[[QuerySet[Service]], QuerySet[Service]],
    ) -> None:
        self.query = query
        self.prepare = prepare

    def page(self, number: int, size: int) -> PageOfRows[Service]:
        found = search_services(
            self.query.search,
            ServiceFilters(organization_id=self.query.organization_id),
            page=number,
            per_page=size,
        )
        ids = [hit.service.pk for hit in found.hits]
        return PageOfRows(load_in_order(services_public(), ids, self.prepare), found.total)


def load_in_order(
    queryset: QuerySet[M], ids: Sequence[Any], prepare: Callable[[QuerySet[M]], QuerySet[M]]
) -> list[M]:
    """The rows of ``queryset`` with ``ids``, in that order, loaded with ``prepare``."""
    if not ids:
        return []
    by_id = {row.pk: row for row in prepare(queryset.filter(pk__in=list(ids)))}
    return [by_id[pk] for pk in ids if pk in by_id]


def ranked_service_ids(query: ServiceQuery) -> list[uuid.UUID]:
    """Every published service matching ``query.search`` and its filters, best first."""
    filters = ServiceFilters(organization_id=query.organization_id)
    # The public search ranks; the filters it has no notion of are applied to its ranking.
    everything = max(1, services_public().count())
    found = search_services(query.search, filters, page=1, per_page=everything)
    allowed = set(filter_services(services_public(), query).values_list("pk", flat=True))
    return [hit.service.pk for hit in found.hits if hit.service.pk in allowed]


def service_selection(
    query: ServiceQuery, prepare: Callable[[QuerySet[Service]], QuerySet[Service]]
) -> Selection:
    """Published services for an HSDS listing: ranked by relevance when searching."""
    if not query.search.strip():
        services = filter_services(services_public(), query).order_by("name", "id")
        return QuerySetSelection(services, prepare)
    if not query.has_filters_search_cannot_apply:
        return ServiceSearchSelection(query, prepare)
    ranked = ranked_service_ids(query)
    return IdSelection(ranked, lambda ids: load_in_order(services_public(), ids, prepare))


def service_at_location_selection(
    query: ServiceQuery,
    prepare: Callable[[QuerySet[ServiceAtLocation]], QuerySet[ServiceAtLocation]],
) -> Selection:
    """Service-at-locations of the published services matching ``query``."""
    base = service_at_locations_public()
    if not query.search.strip():
        services = filter_services(services_public(), query)
        rows = base.filter(service__in=services.values("pk")).order_by(
            "service__name", "location__name", "id"
        )
        return QuerySetSelection(rows, prepare)
    rank = {service_id: index for index, service_id in enumerate(ranked_service_ids(query))}
    pairs = base.order_by("location__name", "id").values_list("pk", "service_id")
    ordered = sorted(
        ((rank[service_id], pk) for pk, service_id in pairs if service_id in rank),
        key=lambda item: item[0],
    )
    return IdSelection([pk for _, pk in ordered], lambda ids: load_in_order(base, ids, prepare))


# Attributes: HSDS links from any object to a taxonomy term.


def attributes_by_link(link_ids: Iterable[str]) -> dict[str, list[Attribute]]:
    """Attribute rows linked to any of ``link_ids``, grouped by the linked object's id."""
    ids = sorted(set(link_ids))
    grouped: dict[str, list[Attribute]] = defaultdict(list)
    # Chunks keep the IN list within every database's limit on query parameters.
    for start in range(0, len(ids), 5000):
        rows = (
            Attribute.objects.filter(link_id__in=ids[start : start + 5000])
            .select_related("taxonomy_term__taxonomy")
            .order_by("id")
        )
        for attribute in rows:
            grouped[str(attribute.link_id)].append(attribute)
    return dict(grouped)
