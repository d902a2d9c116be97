"""Senda's demo world, loaded by ``python manage.py demo``.

One module per domain, each with ``load(world)`` (idempotent: it adds only what is missing)
and ``reset()`` (deletes that domain's demo rows). ``load_all`` runs them in order inside one
transaction; ``reset_all`` runs the resets in reverse, so rows go before what they point to.
A later domain (guides, campaigns, case work, surveys) adds its module to ``DOMAINS``.
"""

from __future__ import annotations

import datetime
from types import ModuleType

from django.db import transaction
from django.utils import timezone

from senda.core.demo import (
    accounts,
    campaigns,
    casework,
    directory,
    inquiries,
    pathways,
    surveys,
)
from senda.core.demo.accounts import DEMO_PASSWORD, DemoLogin, logins
from senda.core.demo.world import DemoWorld
from senda.insights import demo as insights

DOMAINS: tuple[ModuleType, ...] = (
    accounts,
    directory,
    pathways,
    campaigns,
    inquiries,
    casework,
    insights,
    surveys,
)

__all__ = ["DEMO_PASSWORD", "DOMAINS", "DemoLogin", "DemoWorld", "load_all", "logins", "reset_all"]


def load_all(*, today: datetime.date | None = None, upto: ModuleType | None = None) -> DemoWorld:
    """Load every domain's demo data that is not there yet (or only the domains up to and
    including ``upto``: a test of the guides needs no months of field work); returns what was
    loaded."""
    world = DemoWorld(today=today or timezone.localdate())
    domains = DOMAINS if upto is None else DOMAINS[: DOMAINS.index(upto) + 1]
    with transaction.atomic():
        for domain in domains:
            domain.load(world)
    return world


def reset_all() -> None:
    """Delete the demo rows of every domain (the other data in the database stays)."""
    with transaction.atomic():
        for domain in reversed(DOMAINS):
            domain.reset()


def summary() -> list[str]:
    """A line per domain on what the demo holds, for the command's output."""
    return [domain.summary() for domain in DOMAINS if hasattr(domain, "summary")]
