"""Which tables a programme's dashboard shows for a query string: the filters, the periods
(weeks, months or quarters, coarser when the period is long), and per indicator its time
series, its bars by the breakdown chosen (or its default) and its map. The dashboard page
draws them; ``figures_refresh`` computes and stores the same tables ahead of the readers."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from senda.insights.engine import Filters, allowed_dimensions, programme_indicators
from senda.insights.models import Indicator, Programme
from senda.insights.sources import TIME_DIMENSIONS

GRANULARITIES: tuple[str, ...] = TIME_DIMENSIONS  # finest first: week, month, quarter
DEFAULT_GRANULARITY = "month"
GRANULARITY_NAMES: dict[str, Any] = {
    "week": gettext_lazy("weeks"),
    "month": gettext_lazy("months"),
    "quarter": gettext_lazy("quarters"),
}
# Keys of the query string that are the dashboard's own, not the engine's filters.
PAGE_KEYS = frozenset({"granularity", "indicator", "by"})
BY_PREFIX = "by-"
# The longest period the dashboard computes, and the most periods one time series draws.
MAX_YEARS = 10
MAX_PERIODS = 160


@dataclass(frozen=True)
class IndicatorTables:
    """The tables of one indicator on the dashboard."""

    indicator: Indicator
    bar_choices: list[str]  # the breakdowns the bars may switch to
    time: str = ""  # the periods of the time series ("" when the indicator has none)
    bars: str = ""  # the breakdown of the bars
    map: bool = False

    def breakdowns(self) -> list[tuple[str, ...]]:
        """Each table's breakdowns, in the page's order (the first one's total is the
        headline); a bare total when the indicator has no breakdown to show."""
        wanted: list[tuple[str, ...]] = []
        if self.time:
            wanted.append((self.time,))
        if self.bars:
            wanted.append((self.bars,))
        if self.map:
            wanted.append(("area",))
        return list(dict.fromkeys(wanted)) or [()]


@dataclass
class DashboardPlan:
    filters: Filters
    errors: dict[str, list[str]]  # by query key: the filters that could not be used
    messages: list[str]  # everything to tell the reader about their query
    granularity: str
    indicators: list[IndicatorTables] = field(default_factory=list)

    def wanted(self) -> list[tuple[Indicator, tuple[str, ...]]]:
        """Every (indicator, breakdowns) the page shows, in order."""
        return [(item.indicator, by) for item in self.indicators for by in item.breakdowns()]


def engine_query(query: QueryDict) -> QueryDict:
    """The filters part of the query string (the page's own keys taken out)."""
    engine = query.copy()
    for key in list(engine.keys()):
        if key in PAGE_KEYS or key.startswith(BY_PREFIX):
            del engine[key]
    return engine


def too_long(filters: Filters) -> bool:
    return (filters.end - filters.start).days > MAX_YEARS * 366


def too_long_message() -> str:
    return _("Choose a period of at most %(years)d years.") % {"years": MAX_YEARS}


def dashboard_plan(programme: Programme, query: QueryDict) -> DashboardPlan:
    """The tables ``programme``'s dashboard shows for ``query`` (an empty one: the dashboard
    as it opens). Reads the programme's dashboard indicators without checking the reader:
    the page checked them, and the engine checks again when it computes."""
    filters, errors = Filters.from_query(programme, engine_query(query))
    messages = [str(message) for problems in errors.values() for message in problems]
    if too_long(filters):
        messages.append(too_long_message())
        default = Filters.default(programme)
        filters = replace(filters, start=default.start, end=default.end)
    granularity = query.get("granularity") or DEFAULT_GRANULARITY
    if granularity not in GRANULARITIES:
        messages.append(_("Choose weeks, months or quarters for the periods."))
        granularity = DEFAULT_GRANULARITY
    # A chart of hundreds of columns says nothing: a long period is shown by coarser periods.
    coarser = granularity
    for coarser in GRANULARITIES[GRANULARITIES.index(granularity) :]:
        if len(period_starts(coarser, filters.start, filters.end)) <= MAX_PERIODS:
            break
    if coarser != granularity:
        messages.append(
            _("The period is too long to show by %(chosen)s: it is shown by %(shown)s.")
            % {"chosen": GRANULARITY_NAMES[granularity], "shown": GRANULARITY_NAMES[coarser]}
        )
        granularity = coarser
    plan = DashboardPlan(filters=filters, errors=errors, messages=messages, granularity=granularity)
    for indicator in programme_indicators(programme):
        plan.indicators.append(_indicator_tables(indicator, query, granularity, messages))
    return plan


def _indicator_tables(
    indicator: Indicator, query: QueryDict, granularity: str, messages: list[str]
) -> IndicatorTables:
    allowed = allowed_dimensions(indicator)
    bar_choices = [key for key in allowed if key not in TIME_DIMENSIONS]
    chosen = query.get(BY_PREFIX + indicator.code, "")
    if chosen and chosen not in bar_choices:
        messages.append(
            _("%(indicator)s cannot be broken down by “%(dimension)s”.")
            % {"indicator": indicator.tr("name"), "dimension": chosen}
        )
        chosen = ""
    bars = chosen or (
        indicator.default_dimension
        if indicator.default_dimension in bar_choices
        else (bar_choices[0] if bar_choices else "")
    )
    return IndicatorTables(
        indicator=indicator,
        bar_choices=bar_choices,
        time=granularity if granularity in allowed else "",
        bars=bars,
        map="area" in allowed,
    )


def period_starts(granularity: str, start: date, end: date) -> list[date]:
    """The first day of every week (Monday), month or quarter that overlaps start..end, as
    the engine keys periods, so periods without records show as such instead of vanishing."""
    if granularity == "week":
        day = start - timedelta(days=start.weekday())
        return [day + timedelta(weeks=i) for i in range((end - day).days // 7 + 1)]
    step = 3 if granularity == "quarter" else 1
    month = start.month - (start.month - 1) % step
    day = date(start.year, month, 1)
    starts = []
    while day <= end:
        starts.append(day)
        month_index = day.month - 1 + step
        day = date(day.year + month_index // 12, month_index % 12 + 1, 1)
    return starts
