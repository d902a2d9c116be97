"""Reads of countries and admin areas (public reference data)."""

from __future__ import annotations

from django.db.models import QuerySet

from senda.geo.models import AdminArea, Country

# The countries where the programmes work, in the order people expect them.
PROGRAMME_COUNTRIES = ("MX", "GT", "HN", "SV", "NI", "PA", "CR", "US")


def programme_countries() -> list[Country]:
    by_code = {c.code: c for c in Country.objects.filter(code__in=PROGRAMME_COUNTRIES)}
    return [by_code[code] for code in PROGRAMME_COUNTRIES if code in by_code]


def areas_of(*, country_code: str, level: int | None = None) -> QuerySet[AdminArea]:
    areas = AdminArea.objects.filter(country_id=country_code)
    if level is not None:
        areas = areas.filter(level=level)
    return areas.order_by("name")


def area_get(*, pcode: str) -> AdminArea | None:
    return AdminArea.objects.select_related("country", "parent").filter(pcode=pcode).first()


def area_and_descendants(area: AdminArea) -> list[str]:
    """The p-codes of an area and every area inside it."""
    pcodes = [area.pcode]
    frontier = [area.pcode]
    while frontier:
        frontier = list(
            AdminArea.objects.filter(parent_id__in=frontier).values_list("pcode", flat=True)
        )
        pcodes.extend(frontier)
    return pcodes
