"""Public search of published services: accent- and case-insensitive, ranked, filtered.

The interface (``ServiceFilters``, ``search_services``) is what the portal, the HSDS API and
the bench use; the implementation reads the ``ServiceSearchToken`` inverted index.
"""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from senda.core.text import tokens
from senda.directory.models import (
    Location,
    PublicationStatus,
    Service,
    ServiceSearchToken,
    WeeklyOpening,
)
from senda.geo.models import AdminArea


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


def _area_pcodes(pcode: str) -> list[str]:
    pcodes = [pcode]
    frontier = [pcode]
    while frontier:
        frontier = list(
            AdminArea.objects.filter(parent_id__in=frontier).values_list("pcode", flat=True)
        )
        pcodes.extend(frontier)
    return pcodes


def open_now_q(now: datetime.datetime | None = None) -> Q:
    """Services with a weekly opening that contains ``now`` in the opening's own time zone."""
    now = now or timezone.now()
    condition = Q(pk__in=[])
    zones = WeeklyOpening.objects.values_list("timezone", flat=True).distinct()
    for zone_name in zones:
        try:
            local = now.astimezone(zoneinfo.ZoneInfo(zone_name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        minute = local.hour * 60 + local.minute
        condition |= Q(
            weekly_openings__timezone=zone_name,
            weekly_openings__weekday=local.weekday(),
            weekly_openings__opens_minute__lte=minute,
            weekly_openings__closes_minute__gt=minute,
        )
    return condition


def filter_services(
    services: QuerySet[Service], filters: ServiceFilters, *, now: datetime.datetime | None = None
) -> QuerySet[Service]:
    """Apply ``filters`` to a queryset of services."""
    if filters.category_codes:
        category_q = Q()
        for code in filters.category_codes:
            category_q |= Q(code=code) | Q(code__startswith=code + ".")
        from senda.directory.models import TaxonomyTerm

        terms = TaxonomyTerm.objects.filter(category_q)
        services = services.filter(categories__in=terms)
    if filters.area_pcode:
        location_ids = Location.objects.filter(admin_area_id__in=_area_pcodes(filters.area_pcode))
        services = services.filter(service_at_locations__location__in=location_ids)
    elif filters.country_code:
        services = services.filter(service_at_locations__location__country_id=filters.country_code)
    if filters.free_only:
        services = services.filter(is_free=True)
    if filters.language_code:
        services = services.filter(languages__code__iexact=filters.language_code)
    if filters.open_now:
        services = services.filter(open_now_q(now))
    if filters.organization_id:
        services = services.filter(organization_id=filters.organization_id)
    return services.distinct()


def search_services(
    query: str,
    filters: ServiceFilters | None = None,
    *,
    page: int = 1,
    per_page: int = 20,
    now: datetime.datetime | None = None,
) -> SearchPage:
    """Published services matching every word of ``query`` (prefixes too), best first."""
    filters = filters or ServiceFilters()
    page = max(1, page)
    services = filter_services(
        Service.objects.filter(publication_status=PublicationStatus.PUBLISHED), filters, now=now
    )
    terms = tokens(query)[:8]
    if not terms:
        total = services.count()
        page_services = list(
            services.select_related("organization").order_by("name", "id")[
                (page - 1) * per_page : page * per_page
            ]
        )
        return SearchPage([SearchHit(s, 0) for s in page_services], total, page, per_page, [])
    term_q = Q()
    for term in terms:
        term_q |= Q(token__startswith=term)
    matches = (
        ServiceSearchToken.objects.filter(term_q, service__in=services)
        .values("service_id")
        .annotate(score=Sum("weight"), hits=Count("token"))
    )
    scored = []
    for row in matches:
        scored.append((row["service_id"], row["score"]))
    # Every word must match some token of the service.
    candidate_ids = {service_id for service_id, _ in scored}
    for term in terms:
        with_term = set(
            ServiceSearchToken.objects.filter(
                token__startswith=term, service_id__in=candidate_ids
            ).values_list("service_id", flat=True)
        )
        candidate_ids &= with_term
    ranked = sorted(
        ((sid, score) for sid, score in scored if sid in candidate_ids),
        key=lambda item: (-item[1], str(item[0])),
    )
    total = len(ranked)
    window = ranked[(page - 1) * per_page : page * per_page]
    by_id = Service.objects.select_related("organization").in_bulk([sid for sid, _ in window])
    hits = [SearchHit(by_id[sid], score) for sid, score in window if sid in by_id]
    return SearchPage(hits, total, page, per_page, terms)
