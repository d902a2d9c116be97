"""Fixtures for the portal tests: the shipped reference data and a few published services.

Migrations load countries, areas and the taxonomy; a transactional test (the browser tests)
flushes them afterwards, so every fixture here starts from ``reference_data``.
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Protocol

import pytest
from django.utils import timezone

from senda.directory.models import Service, Taxonomy, TaxonomyTerm
from senda.directory.reference import load_taxonomy
from senda.geo.models import AdminArea, Country
from senda.geo.reference import load_reference


class HasContent(Protocol):
    """A test client response, as far as reading its HTML goes."""

    content: bytes


DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@pytest.fixture
def reference_data(db: None) -> None:
    if not AdminArea.objects.exists():
        load_reference(Country, AdminArea)
    if not TaxonomyTerm.objects.exists():
        load_taxonomy(Taxonomy, TaxonomyTerm)


def closed_today_byday(zone: str = "America/Panama") -> str:
    """A weekday code three days away from today where ``zone`` is: closed right now."""
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(zone)).weekday()
    return DAY_CODES[(today + 3) % 7]


def always_open_byday() -> str:
    return ",".join(DAY_CODES)


def set_published(service: Service) -> Service:
    Service.objects.filter(pk=service.pk).update(publication_status="published")
    service.refresh_from_db()
    return service


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)
