"""The programme dashboard: headline figures, then for each indicator a time series, bars by
one breakdown and (for indicators by area) a map, each chart with its table and a CSV download.

Aggregates only: nothing here links to a person, whoever looks. Figures come from the engine,
which decides suppression (always for the CSV, which is an export)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from senda.accounts.models import User
from senda.accounts.roles import Capability
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.views import staff_page_with
from senda.geo.models import AdminArea
from senda.insights import charts, dashboard_actions, suppression
from senda.insights.dashboard_forms import (
    DEFAULT_GRANULARITY,
    GRANULARITIES,
    GRANULARITY_NAMES,
    TIME_DIMENSIONS,
    DashboardFilterForm,
    dimension_label,
)
from senda.insights.engine import (
    Cell,
    Filters,
    Table,
    allowed_dimensions,
    indicator_table,
    indicators_for,
)
from senda.insights.hxl import spreadsheet_safe
from senda.insights.models import Indicator, Programme
from senda.insights.queries import programme_get, programmes_visible_to
from senda.insights.sources import period_label

FORBIDDEN_TEMPLATE = "insights/dashboard_forbidden.html"
# Keys of the query string that are the dashboard's own, not the engine's filters.
PAGE_KEYS = frozenset({"granularity", "indicator", "by"})
BY_PREFIX = "by-"
MAX_CSV_DIMENSIONS = 2
# The longest period the dashboard computes, and the most periods one time series draws.
MAX_YEARS = 10
MAX_PERIODS = 160

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
    query = _engine_query(request.GET)
    filters, errors = Filters.from_query(programme, query)
    if errors:
        return _bad_request(*_messages(errors))
    if _too_long(filters):
        return _bad_request(_too_long_message())
    try:
        table = indicator_table(
            user=user, indicator=indicator, filters=filters, by=by, for_export=True
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


def _too_long(filters: Filters) -> bool:
    return (filters.end - filters.start).days > MAX_YEARS * 366


def _too_long_message() -> str:
    return _("Choose a period of at most %(years)d years.") % {"years": MAX_YEARS}


def _engine_query(query: QueryDict) -> QueryDict:
    """The filters part of the query string (the page's own keys taken out)."""
    engine = query.copy()
    for key in list(engine.keys()):
        if key in PAGE_KEYS or key.startswith(BY_PREFIX):
            del engine[key]
    return engine


def _dashboard(request: HttpRequest, user: User, programme: Programme) -> HttpResponse:
    filters, errors = Filters.from_query(programme, _engine_query(request.GET))
    messages = _messages(errors)
    if _too_long(filters):
        messages.append(_too_long_message())
        default = Filters.default(programme)
        filters = replace(filters, start=default.start, end=default.end)
    granularity = request.GET.get("granularity") or DEFAULT_GRANULARITY
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
    base_query = filters.to_query()
    blocks = []
    for indicator in indicators_for(user=user, programme=programme):
        blocks.append(
            _indicator_block(
                request,
                user=user,
                programme=programme,
                indicator=indicator,
                filters=filters,
                granularity=granularity,
                base_query=base_query,
                messages=messages,
            )
        )
    suppressed = any(block.suppression_applied for block in blocks)
    threshold = blocks[0].threshold if blocks else suppression.threshold()
    form = DashboardFilterForm(request.GET, filters=filters, granularity=granularity)
    return render(
        request,
        "insights/dashboard.html",
        {
            "programme": programme,
            "filters": filters,
            "form": form,
            "choice_filters": form.choice_filters(errors),
            "errors": messages,
            "field_errors": errors,
            "blocks": blocks,
            "suppression": suppressed,
            "suppressed_text": _suppressed_text(threshold),
            "threshold": threshold,
            "threshold_below": max(threshold - 1, 1),
            "granularity": granularity,
            "others": _other_programmes(user, programme),
        },
    )


def _other_programmes(user: User, programme: Programme) -> bool:
    return programmes_visible_to(user=user).exclude(pk=programme.pk).exists()


def _suppressed_text(threshold: int) -> str:
    return _("<%(threshold)s") % {"threshold": threshold}


def _indicator_block(
    request: HttpRequest,
    *,
    user: User,
    programme: Programme,
    indicator: Indicator,
    filters: Filters,
    granularity: str,
    base_query: str,
    messages: list[str],
) -> IndicatorBlock:
    allowed = allowed_dimensions(indicator)
    name = str(indicator.tr("name"))
    csv_base = reverse("insights:dashboard_csv", args=[programme.pk])

    def csv_url(by: list[str]) -> str:
        extra = urlencode([("indicator", indicator.code), ("by", ",".join(by))])
        return f"{csv_base}?{base_query}&{extra}" if base_query else f"{csv_base}?{extra}"

    bar_choices = [key for key in allowed if key not in TIME_DIMENSIONS]
    chosen = request.GET.get(BY_PREFIX + indicator.code, "")
    if chosen and chosen not in bar_choices:
        messages.append(
            _("%(indicator)s cannot be broken down by “%(dimension)s”.")
            % {"indicator": name, "dimension": chosen}
        )
        chosen = ""
    dimension = chosen or (
        indicator.default_dimension
        if indicator.default_dimension in bar_choices
        else (bar_choices[0] if bar_choices else "")
    )

    tables: dict[tuple[str, ...], Table] = {}

    def table_by(*by: str) -> Table:
        # The map and the bars by area are the same table: computed once.
        if by not in tables:
            tables[by] = indicator_table(user=user, indicator=indicator, filters=filters, by=by)
        return tables[by]

    def title_by(key: str) -> str:
        return _("%(indicator)s by %(dimension)s") % {
            "indicator": name,
            "dimension": dimension_label(key).lower(),
        }

    time_chart = bar_chart = map_chart = None
    if granularity in allowed:
        time_chart = _chart_block(
            table_by(granularity),
            kind="time",
            title=title_by(granularity),
            csv_url=csv_url([granularity]),
            periods=period_starts(granularity, filters.start, filters.end),
        )
    if dimension:
        bar_chart = _chart_block(
            table_by(dimension),
            kind="bars",
            title=title_by(dimension),
            csv_url=csv_url([dimension]),
        )
    if "area" in allowed:
        map_chart = _chart_block(
            table_by("area"),
            kind="map",
            title=_("%(indicator)s on a map of areas") % {"indicator": name},
            csv_url=csv_url(["area"]),
        )
    # The headline is any 1-D table's total (the same figure); a bare total when there is none.
    table = next(iter(tables.values())) if tables else table_by()
    block = IndicatorBlock(
        indicator=indicator,
        headline=_row("", table.total, table),
        time=time_chart,
        bars=bar_chart,
        map=map_chart,
    )
    # A threshold of 0 or 1 hides nothing: no note to show then.
    suppressed = any(t.suppression_applied and t.threshold > 1 for t in tables.values())
    unsupported = {key for t in tables.values() for key in t.unsupported_filters}
    block.suppression_applied = suppressed
    if indicator.target is not None:
        block.target = charts.format_value(indicator.target, indicator.unit)
    block.unsupported_filters = sorted(dimension_label(key) for key in unsupported)
    block.threshold = table.threshold
    page_query = request.GET.copy()
    for key in bar_choices:
        page_query[BY_PREFIX + indicator.code] = key
        block.dimension_links.append(
            DimensionLink(
                key=key,
                label=dimension_label(key),
                url=f"?{page_query.urlencode()}#indicator-{indicator.code}",
                current=key == dimension,
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
