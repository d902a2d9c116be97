"""The dashboard's writes: the audit entry of a CSV download (exports are audited), and the
refresh of a programme's stored figures."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from senda.accounts.models import User
from senda.core.audit import audit
from senda.core.errors import PermissionDeniedError
from senda.insights.dashboard_tables import dashboard_plan
from senda.insights.engine import Filters, TableFigures, figures_key, table_figures
from senda.insights.models import Indicator, Programme
from senda.insights.queries import programmes_managed_by
from senda.insights.stored import figures_prune, figures_store


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


def figures_refresh(
    *, actor: User | None = None, programme: Programme, query: QueryDict | None = None
) -> int:
    """Compute and store the tables of ``programme``'s dashboard as it opens (default
    filters, periods and breakdowns; or as ``query`` shows it), so that nobody waits for
    them, and delete stored figures too old to be read. Run by ``refresh_insights`` (no
    actor) or by a programme officer of the lead (audited). The number of tables stored.

    Not one transaction: computing a programme's tables takes seconds to minutes, and
    SQLite would hold its write lock all along. Each table is one consistent read; only
    storing them (and the audit entry) is atomic, in ``_figures_refreshed``."""
    if actor is not None and not programmes_managed_by(user=actor).filter(pk=programme.pk).exists():
        raise PermissionDeniedError(
            _(
                "Only the programme officers of the programme's lead organisation "
                "refresh its figures."
            )
        )
    plan = dashboard_plan(programme, query if query is not None else QueryDict())
    computed = [
        (indicator, by, table_figures(indicator=indicator, filters=plan.filters, by=by))
        for indicator, by in dict.fromkeys(plan.wanted())
    ]
    _figures_refreshed(actor=actor, filters=plan.filters, computed=computed, query=query)
    return len(computed)


@transaction.atomic
def _figures_refreshed(
    *,
    actor: User | None,
    filters: Filters,
    computed: list[tuple[Indicator, tuple[str, ...], TableFigures]],
    query: QueryDict | None,
) -> None:
    programme = filters.programme
    figures_store(
        programme=programme,
        rows=[
            {
                "key": figures_key(indicator, filters, by),
                "indicator_id": indicator.pk,
                "computed_at": figures.computed_at,
                "figures": figures.figures_json(),
                "unsupported_filters": figures.unsupported,
            }
            for indicator, by, figures in computed
        ],
    )
    figures_prune(programme=programme)
    if actor is not None:
        audit(
            actor=actor,
            action="insights.figures_refresh",
            obj=programme,
            organisation=programme.lead,
            details={"tables": len(computed), "filters": query.urlencode() if query else ""},
        )
