"""Stored figures: what the engine computed for a table, before suppression, kept for
``SENDA_INSIGHTS_MAX_AGE`` seconds so a dashboard reads its tables instead of aggregating
millions of records on every request (as DHIS2's analytics tables and Superset's or
Metabase's result caches do). ``refresh_insights`` (cron) keeps each programme's default
dashboard stored; suppression is applied on reading, for each reader.

Reads and writes here take no user: they are called by the engine after its own permission
check, and by ``figures_refresh``. The figures are derived data, not anybody's decision:
storing them writes no audit entry (the refresh a user asks for does)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from senda.insights.models import Programme, StoredFigures


def max_age() -> int:
    """Seconds stored figures are read for (0 or less: never stored nor read)."""
    return int(getattr(settings, "SENDA_INSIGHTS_MAX_AGE", 900))


def fresh_figures(*, programme: Programme, keys: Iterable[str]) -> dict[str, StoredFigures]:
    """The stored figures of ``programme`` under ``keys`` younger than the max age (one
    query), by key."""
    wanted = set(keys)
    age = max_age()
    if age <= 0 or not wanted:
        return {}
    since = timezone.now() - datetime.timedelta(seconds=age)
    rows = StoredFigures.objects.filter(
        programme=programme, key__in=wanted, computed_at__gt=since
    ).defer("programme", "indicator")
    return {row.key: row for row in rows}


@transaction.atomic
def figures_store(*, programme: Programme, rows: Sequence[dict[str, Any]]) -> None:
    """Store figures the engine computed for ``programme``, replacing any stored under the
    same keys (one statement: two readers computing the same table at once both succeed).
    Each row: key, indicator_id, computed_at, figures, unsupported_filters."""
    if max_age() <= 0 or not rows:
        return
    StoredFigures.objects.bulk_create(
        [StoredFigures(programme=programme, **row) for row in rows],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["indicator", "computed_at", "figures", "unsupported_filters"],
    )


def figures_prune(*, programme: Programme | None = None) -> int:
    """Delete stored figures too old to be read (of ``programme``, or of every programme);
    the number deleted. Called inside the refresh's transaction."""
    since = timezone.now() - datetime.timedelta(seconds=max(max_age(), 0))
    rows = StoredFigures.objects.filter(computed_at__lte=since)
    if programme is not None:
        rows = rows.filter(programme=programme)
    deleted, _by_model = rows.delete()
    return deleted
