"""The programme dashboard: headline figures, then for each indicator a time series, bars by
one breakdown and (for indicators by area) a map, each chart with its table and a CSV download.

Aggregates only: nothing here links to a person, whoever looks. Figures come from the engine,
which decides suppression (always for the CSV, which is an export)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from senda.accounts.models import User
from senda.accounts.roles import Capability
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.views import staff_page_with
from senda.geo.models import AdminArea
from senda.insights import charts, dashboard_actions, suppression
from senda.insights.dashboard_forms import DashboardFilterForm, dimension_label
from senda.insights.dashboard_tables import (
    BY_PREFIX,
    IndicatorTables,
    dashboard_plan,
    engine_query,
    period_starts,
    too_long,
    too_long_message,
)
from senda.insights.engine import (
    Cell,
    Filters,
    Table,
    indicator_table,
    indicator_tables,
    indicators_for,
)
from senda.insights.hxl import spreadsheet_safe
from senda.insights.models import Indicator, Programme
from senda.insights.queries import programme_get, programmes_managed_by, programmes_visible_to
from senda.insights.sources import period_label

FORBIDDEN_TEMPLATE = "insights/dashboard_forbidden.html"
MAX_CSV_DIMENSIONS = 2

staff_page = staff_page_with(FORBIDDEN_TEMPLATE)


@dataclass
class TableRow:
    label: str
    text: str  # the figure as shown, or "<5" when suppressed
    suppressed: bool


@dataclass
class ChartBlock:
    """One chart, the table of the same figures beside it and the CSV of them."""

    chart_id: str
    title: str
    svg: str
    dimension_label: str
    rows: list[TableRow]
    total: TableRow
    csv_url: str
    caption: str = ""


@dataclass
class DimensionLink:
    key: str
    label: str
    url: str
    current: bool


@dataclass
class IndicatorBlock:
    indicator: Indicator
    headline: TableRow
    time: ChartBlock | None = None
    bars: ChartBlock | None = None
    map: ChartBlock | None = None
    dimension_links: list[DimensionLink] = field(default_factory=list)
    suppression_applied: bool = False
    threshold: int = 5
    # Filters the indicator's records cannot be restricted by (visits have no sex).
    unsupported_filters: list[str] = field(default_factory=list)
    target: str = ""


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@staff_page
def dashboard_home(request: HttpRequest) -> HttpResponse:
    """The programmes the user sees; their only one opens directly."""
    user = _user(request)
    programmes = list(programmes_visible_to(user=user))
    if len(programmes) == 1:
        return _dashboard(request, user, programmes[0])
    if not programmes and not _sees_aggregates(user):
        raise PermissionDeniedError(_("Your role does not include seeing programme figures."))
    return render(request, "insights/dashboard_picker.html", {"programmes": programmes})


@staff_page
def dashboard(request: HttpRequest, programme_id: int) -> HttpResponse:
    """One programme's dashboard (404 for a programme the user does not see)."""
    user = _user(request)
    return _dashboard(request, user, programme_get(user=user, programme_id=programme_id))


@staff_page
def dashboard_csv(request: HttpRequest, programme_id: int) -> HttpResponse:
    """One indicator's table as CSV, always suppressed (an export), with a header row."""
    user = _user(request)
    programme = programme_get(user=user, programme_id=programme_id)
    indicators = {i.code: i for i in indicators_for(user=user, programme=programme)}
    indicator = indicators.get(request.GET.get("indicator", ""))
    if indicator is None:
        raise NotFoundError
    by = [key for value in request.GET.getlist("by") for key in value.split(",") if key]
    if len(by) > MAX_CSV_DIMENSIONS:
        return _bad_request(_("A table has at most two breakdowns."))
    query = engine_query(request.GET)
    filters, errors = Filters.from_query(programme, query)
    if errors:
        return _bad_request(*_messages(errors))
    if too_long(filters):
        return _bad_request(too_long_message())
    try:
        # The figures the dashboard shows (stored ones when fresh enough), suppressed.
        table = indicator_table(
            user=user, indicator=indicator, filters=filters, by=by, for_export=True, stored=True
        )
    except ValidationError as error:
        return _bad_request(*error.messages)
    dashboard_actions.dashboard_csv_record(
        actor=user, programme=programme, indicator=indicator, by=by, query=query.urlencode()
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{programme.slug}-{indicator.code}{''.join('-' + key for key in by)}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A byte-order mark, as the other exports write: spreadsheets then read the accents of
    # "Atlántida" right. The header row comes straight after it.
    response.write("\ufeff")
    _write_csv(response, table, filters)
    return response


def _write_csv(response: HttpResponse, table: Table, filters: Filters) -> None:
    """Codes and labels per breakdown, the value (empty when suppressed) and a flag column;
    cells, then margins, then the total. The unweighted contributors are left out: they
    would undo suppression."""
    writer = csv.writer(response)
    header = ["indicator", "unit", "period_start", "period_end"]
    for key in table.dimensions:
        header += [key, f"{key}_label"]
    header += ["value", "suppressed"]
    writer.writerow(header)
    lead = [
        table.indicator.code,
        table.indicator.unit,
        filters.start.isoformat(),
        filters.end.isoformat(),
    ]

    def row(cell: Cell, total: bool) -> list[Any]:
        columns = list(lead)
        for index, key in enumerate(table.dimensions):
            code = "" if total else cell.key[index]
            label = _("Total") if total or not code else table.labels.get(key, {}).get(code, code)
            columns += [spreadsheet_safe(code), spreadsheet_safe(str(label))]
        suppressed = cell.suppressed or cell.value is None
        columns += ["" if suppressed else _csv_number(cell.value), "1" if cell.suppressed else "0"]
        return columns

    for cell in table.cells:
        writer.writerow(row(cell, total=False))
    # A 2-D table's margins: the total of each value of one breakdown over the other.
    for margin in table.margins.values():
        for cell in margin:
            writer.writerow(row(cell, total=False))
    writer.writerow(row(table.total, total=True))


def _csv_number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _bad_request(*messages: str) -> HttpResponse:
    return HttpResponseBadRequest("\n".join(messages), content_type="text/plain; charset=utf-8")


def _messages(errors: dict[str, list[str]]) -> list[str]:
    return [str(message) for messages in errors.values() for message in messages]


def _sees_aggregates(user: User) -> bool:
    return user.can(Capability.AGGREGATES_VIEW)


def _dashboard(request: HttpRequest, user: User, programme: Programme) -> HttpResponse:
    plan = dashboard_plan(programme, request.GET)
    filters = plan.filters
    # Every table of the page at once: stored figures in one query, the rest computed.
    wanted = plan.wanted()
    tables = dict(
        zip(
            [(indicator.pk, by) for indicator, by in wanted],
            indicator_tables(user=user, filters=filters, wanted=wanted, stored=True),
            strict=True,
        )
    )
    base_query = filters.to_query()
    blocks = [
        _indicator_block(
            request,
            programme=programme,
            item=item,
            tables=[tables[(item.indicator.pk, by)] for by in item.breakdowns()],
            filters=filters,
            base_query=base_query,
        )
        for item in plan.indicators
    ]
    suppressed = any(block.suppression_applied for block in blocks)
    threshold = blocks[0].threshold if blocks else suppression.threshold()
    form = DashboardFilterForm(request.GET, filters=filters, granularity=plan.granularity)
    computed = [table.computed_at for table in tables.values() if table.computed_at is not None]
    return render(
        request,
        "insights/dashboard.html",
        {
            "programme": programme,
            "filters": filters,
            "form": form,
            "choice_filters": form.choice_filters(plan.errors),
            "errors": plan.messages,
            "field_errors": plan.errors,
            "blocks": blocks,
            "suppression": suppressed,
            "suppressed_text": _suppressed_text(threshold),
            "threshold": threshold,
            "threshold_below": max(threshold - 1, 1),
            "granularity": plan.granularity,
            "others": _other_programmes(user, programme),
            # The oldest figure on the page: everything shown is at least this recent.
            "figures_as_of": min(computed) if computed else None,
            "may_refresh": programmes_managed_by(user=user).filter(pk=programme.pk).exists(),
            "refresh_query": request.GET.urlencode(),
        },
    )


@require_POST
@staff_page
def dashboard_refresh(request: HttpRequest, programme_id: int) -> HttpResponse:
    """Recompute and store the figures of the dashboard as the officer sees it (their filters),
    then back to it: programme officers of the lead only."""
    user = _user(request)
    programme = programme_get(user=user, programme_id=programme_id)
    dashboard_actions.figures_refresh(actor=user, programme=programme, query=request.GET)
    url = reverse("insights:programme_dashboard", args=[programme.pk])
    query = request.GET.urlencode()
    response: HttpResponseRedirect = redirect(f"{url}?{query}" if query else url)
    return response


def _other_programmes(user: User, programme: Programme) -> bool:
    return programmes_visible_to(user=user).exclude(pk=programme.pk).exists()


def _suppressed_text(threshold: int) -> str:
    return _("<%(threshold)s") % {"threshold": threshold}


def _indicator_block(
    request: HttpRequest,
    *,
    programme: Programme,
    item: IndicatorTables,
    tables: list[Table],
    filters: Filters,
    base_query: str,
) -> IndicatorBlock:
    indicator = item.indicator
    name = str(indicator.tr("name"))
    csv_base = reverse("insights:dashboard_csv", args=[programme.pk])
    by_breakdowns = dict(zip(item.breakdowns(), tables, strict=True))

    def csv_url(by: list[str]) -> str:
        extra = urlencode([("indicator", indicator.code), ("by", ",".join(by))])
        return f"{csv_base}?{base_query}&{extra}" if base_query else f"{csv_base}?{extra}"

    def title_by(key: str) -> str:
        return _("%(indicator)s by %(dimension)s") % {
            "indicator": name,
            "dimension": dimension_label(key).lower(),
        }

    time_chart = bar_chart = map_chart = None
    if item.time:
        time_chart = _chart_block(
            by_breakdowns[(item.time,)],
            kind="time",
            title=title_by(item.time),
            csv_url=csv_url([item.time]),
            periods=period_starts(item.time, filters.start, filters.end),
        )
    if item.bars:
        bar_chart = _chart_block(
            by_breakdowns[(item.bars,)],
            kind="bars",
            title=title_by(item.bars),
            csv_url=csv_url([item.bars]),
        )
    if item.map:
        # The map and the bars by area are the same table: computed once.
        map_chart = _chart_block(
            by_breakdowns[("area",)],
            kind="map",
            title=_("%(indicator)s on a map of areas") % {"indicator": name},
            csv_url=csv_url(["area"]),
        )
    # The headline is the first table's total (any 1-D table's is the same figure).
    table = tables[0]
    block = IndicatorBlock(
        indicator=indicator,
        headline=_row("", table.total, table),
        time=time_chart,
        bars=bar_chart,
        map=map_chart,
    )
    # A threshold of 0 or 1 hides nothing: no note to show then.
    suppressed = any(t.suppression_applied and t.threshold > 1 for t in tables)
    unsupported = {key for t in tables for key in t.unsupported_filters}
    block.suppression_applied = suppressed
    if indicator.target is not None:
        block.target = charts.format_value(indicator.target, indicator.unit)
    block.unsupported_filters = sorted(dimension_label(key) for key in unsupported)
    block.threshold = table.threshold
    page_query = request.GET.copy()
    for key in item.bar_choices:
        page_query[BY_PREFIX + indicator.code] = key
        block.dimension_links.append(
            DimensionLink(
                key=key,
                label=dimension_label(key),
                url=f"?{page_query.urlencode()}#indicator-{indicator.code}",
                current=key == item.bars,
            )
        )
    return block


def _row(label: str, cell: Cell, table: Table) -> TableRow:
    if cell.suppressed:
        return TableRow(label=label, text=_suppressed_text(table.threshold), suppressed=True)
    if cell.value is None:
        return TableRow(label=label, text="–", suppressed=False)
    return TableRow(
        label=label, text=charts.format_value(cell.value, table.indicator.unit), suppressed=False
    )


def _centroids(pcodes: list[str]) -> dict[str, tuple[float, float]]:
    """Latitude and longitude of admin areas, read once per process: reference data that
    only changes with a migration, and every map of the page needs it."""
    missing = [pcode for pcode in pcodes if pcode not in _CENTROIDS]
    if missing:
        found = {
            pcode: (latitude, longitude)
            for pcode, latitude, longitude in AdminArea.objects.filter(
                pcode__in=missing
            ).values_list("pcode", "latitude", "longitude")
        }
        # Keys that are no area ("unknown": not recorded) are remembered as such too.
        _CENTROIDS.update({pcode: found.get(pcode) for pcode in missing})
    return {pcode: centroid for pcode in pcodes if (centroid := _CENTROIDS.get(pcode)) is not None}


_CENTROIDS: dict[str, tuple[float, float] | None] = {}


def _chart_block(
    table: Table, *, kind: str, title: str, csv_url: str, periods: list[date] | None = None
) -> ChartBlock:
    (dimension,) = table.dimensions
    labels = table.labels.get(dimension, {})
    indicator = table.indicator
    chart_id = f"chart-{indicator.code}-{kind}"
    suppressed_text = _suppressed_text(table.threshold)
    cells = list(table.cells)
    if kind == "time" and periods is not None:
        cells = _every_period(cells, periods, indicator.unit)
    values = [
        charts.ChartValue(
            key=cell.key[0],
            label=(
                _short_period(dimension, cell.key[0])
                if kind == "time"
                else labels.get(cell.key[0], cell.key[0])
            ),
            value=None if cell.suppressed else cell.value,
            suppressed=cell.suppressed,
        )
        for cell in cells
    ]
    rows = [
        _row(labels.get(cell.key[0]) or period_label(dimension, cell.key[0]), cell, table)
        for cell in cells
    ]
    total = _row(_("Total"), table.total, table)
    description = _("%(title)s. %(count)s values; the table beside the chart has every figure.") % {
        "title": title,
        "count": len(values),
    }
    caption = ""
    if kind == "time":
        svg = charts.time_series_svg(
            values,
            chart_id=chart_id,
            title=title,
            description=description,
            style="line" if indicator.unit != "count" else "columns",
            unit=indicator.unit,
            suppressed_text=suppressed_text,
        )
    elif kind == "bars":
        svg = charts.bar_chart_svg(
            values,
            chart_id=chart_id,
            title=title,
            description=description,
            unit=indicator.unit,
            suppressed_text=suppressed_text,
        )
    else:
        caption = _(
            "Each circle sits at the centre of its area and its size follows the figure. "
            "Area boundaries are not drawn: Senda has no boundary shapes."
        )
        centroids = _centroids([value.key for value in values])
        places = [
            charts.MapPlace(
                key=value.key,
                label=value.label,
                latitude=centroids[value.key][0],
                longitude=centroids[value.key][1],
                value=value.value,
                suppressed=value.suppressed,
            )
            for value in values
            if value.key in centroids
        ]
        if len(places) > charts.MAP_LABEL_LIMIT:
            caption += " " + _(
                "Only the %(count)s largest areas are named on the map; the table has them all."
            ) % {"count": charts.MAP_LABEL_LIMIT}
        svg = charts.area_map_svg(
            places,
            chart_id=chart_id,
            title=title,
            description=f"{description} {caption}",
            unit=indicator.unit,
            suppressed_text=suppressed_text,
        )
    return ChartBlock(
        chart_id=chart_id,
        title=title,
        svg=svg,
        dimension_label=dimension_label(dimension),
        rows=rows,
        total=total,
        csv_url=csv_url,
        caption=caption,
    )


def _every_period(cells: list[Cell], periods: list[date], unit: str) -> list[Cell]:
    """One cell per period: the engine's where it has one, else an empty period (0 for
    counts, no figure for shares and medians, which have nothing to divide)."""
    by_key = {cell.key[0]: cell for cell in cells}
    filled = []
    for period in periods:
        key = period.isoformat()
        cell = by_key.pop(key, None)
        if cell is None:
            value = 0.0 if unit == "count" else None
            cell = Cell(key=(key,), value=value, contributors=0)
        filled.append(cell)
    # Anything the engine keyed differently is kept, after the known periods.
    return filled + sorted(by_key.values(), key=lambda cell: cell.key)


def _short_period(granularity: str, key: str) -> str:
    """A period as the chart's axis names it: short enough to sit under a column."""
    try:
        day = date.fromisoformat(key)
    except ValueError:
        return key
    if granularity == "month":
        return date_format(day, "M Y")
    if granularity == "quarter":
        return _("Q%(quarter)d %(year)d") % {"quarter": (day.month - 1) // 3 + 1, "year": day.year}
    return date_format(day, "j M")
