"""The dashboard's one write: the audit entry of a CSV download (exports are audited)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from senda.accounts.models import User
from senda.core.audit import audit
from senda.insights.models import Indicator, Programme


@transaction.atomic
def dashboard_csv_record(
    *, actor: User, programme: Programme, indicator: Indicator, by: Sequence[str], query: str
) -> None:
    """Record that ``actor`` downloaded one dashboard table as CSV, with the filters used."""
    membership = actor.active_membership()
    audit(
        actor=actor,
        action="insights.dashboard_csv",
        obj=indicator,
        organisation=membership.organisation if membership is not None else None,
        details={
            "programme": programme.pk,
            "indicator": indicator.code,
            "by": list(by),
            "filters": query,
        },
    )
