"""Public reads the portal needs beyond search and "near me": published data only.

Everything here starts from ``services_public()`` (or public reference data), so an
unpublished service never leaks into a choice list, a card or a service page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, prefetch_related_objects

from senda.core.text import fold
from senda.directory.models import (
    Language,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
    WeeklyOpening,
)
from senda.directory.queries import services_public, taxonomy_terms
from senda.geo.models import AdminArea
from senda.geo.queries import PROGRAMME_COUNTRIES


def _by_name(term: TaxonomyTerm) -> str:
    return fold(str(term.tr("name")))


def top_level_categories() -> list[TaxonomyTerm]:
    """Categories without a parent, by name in the reader's language (home page shortcuts)."""
    return sorted(taxonomy_terms().filter(parent__isnull=True), key=_by_name)


def categories_with_children() -> list[tuple[TaxonomyTerm, list[TaxonomyTerm]]]:
    """Top-level categories, each with its sub-categories, in code order (one query)."""
    children: dict[object, list[TaxonomyTerm]] = defaultdict(list)
    top: list[TaxonomyTerm] = []
    for term in taxonomy_terms():
        if term.parent_id is None:
            top.append(term)
        else:
            children[term.parent_id].append(term)
    top.sort(key=_by_name)
    return [(term, sorted(children.get(term.pk, []), key=_by_name)) for term in top]


def programme_areas(*, country_code: str = "") -> list[AdminArea]:
    """Admin areas of the programme countries (or of one), parents before their children."""
    areas = AdminArea.objects.filter(country_id__in=PROGRAMME_COUNTRIES).select_related("parent")
    if country_code:
        areas = areas.filter(country_id=country_code)
    return list(areas.order_by("country_id", "level", "name"))


def spoken_language_codes() -> dict[str, str]:
    """ISO code -> the name stored with it, for languages spoken at published services."""
    rows = (
        Language.objects.filter(service__in=services_public())
        .exclude(code="")
        .values_list("code", "name")
        .distinct()
    )
    languages: dict[str, str] = {}
    for code, name in rows:
        languages.setdefault(code.lower(), name)
    return languages


def services_with_card_details(
    services: list[Service], *, with_locations: bool = True
) -> list[Service]:
    """Load what a result card shows for ``services`` in a fixed number of queries.

    "Near me" cards know their location already, so they skip the locations.
    """
    lookups: list[str | Prefetch[Any]] = ["categories", "weekly_openings"]
    if with_locations:
        lookups.append(
            Prefetch(
                "service_at_locations",
                queryset=ServiceAtLocation.objects.select_related("location__admin_area"),
            )
        )
    prefetch_related_objects(services, *lookups)
    return services


def admin_areas_by_pcode(pcodes: Iterable[str | None]) -> dict[str, AdminArea]:
    wanted = {pcode for pcode in pcodes if pcode}
    if not wanted:
        return {}
    return AdminArea.objects.in_bulk(list(wanted))


def service_with_page_details(service: Service) -> Service:
    """Load everything the public service page shows, in a fixed number of queries."""
    prefetch_related_objects(
        [service],
        "categories",
        "cost_options",
        "required_documents",
        "languages",
        Prefetch("phones", queryset=Phone.objects.order_by("number")),
        Prefetch("schedules", queryset=Schedule.objects.order_by("id")),
        "weekly_openings",
        Prefetch(
            "service_at_locations",
            queryset=ServiceAtLocation.objects.select_related(
                "location__admin_area", "location__country"
            ).order_by("location__name", "location_id"),
        ),
        Prefetch("service_at_locations__phones", queryset=Phone.objects.order_by("number")),
        Prefetch("service_at_locations__schedules", queryset=Schedule.objects.order_by("id")),
        "service_at_locations__location__addresses",
        Prefetch(
            "service_at_locations__location__phones",
            queryset=Phone.objects.filter(service__isnull=True).order_by("number"),
        ),
        Prefetch(
            "service_at_locations__location__schedules",
            queryset=Schedule.objects.filter(
                service__isnull=True, service_at_location__isnull=True
            ).order_by("id"),
        ),
        "service_at_locations__location__accessibility",
    )
    return service


def location_openings(service: Service, location: Location | None) -> list[WeeklyOpening]:
    """The service's weekly openings that apply at ``location`` (or everywhere)."""
    return [
        opening
        for opening in service.weekly_openings.all()
        if opening.location_id is None or location is None or opening.location_id == location.pk
    ]
