"""The indicator engine: an indicator, a programme's filters and up to two dimensions in, one
table of aggregate figures out (cells, margins, total), small numbers suppressed when the
reader may not see the people behind them or the table is exported.

Each table costs one aggregate query (plus one for a median's people): cells, margins and the
total come from a single GROUP BY when they add up, and otherwise from one UNION ALL of the
groupings (a person counted in two months is one person in the total). The dashboard and its
CSV ask for ``stored`` tables: figures stored before suppression (``stored.py``) are read
instead while they are younger than ``SENDA_INSIGHTS_MAX_AGE``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import reduce
from typing import TYPE_CHECKING, Any

from django.db import connections
from django.db.models import (
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    Q,
    QuerySet,
    Sum,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from senda.accounts.roles import CAPABILITIES, Capability, PeopleScope, people_scope
from senda.casework.models import AgeGroup, Community, Sex
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.insights import suppression
from senda.insights.models import Indicator, Measure, Programme
from senda.insights.sources import (
    PERSON,
    TIME_DIMENSIONS,
    UNKNOWN,
    Source,
    dimension_labels,
    inquiry_target_hours,
    service_verified_days,
    source_get,
)
from senda.insights.stored import figures_store, fresh_figures

if TYPE_CHECKING:
    from senda.accounts.models import User

Key = tuple[str, ...]
TOTAL = ""

# The dashboard's filters and the dimension each one restricts.
FILTER_DIMENSIONS: dict[str, str] = {
    "countries": "country",
    "areas": "area",
    "organisations": "organisation",
    "campaigns": "campaign",
    "sexes": "sex",
    "age_groups": "age_group",
    "nationalities": "nationality",
    "communities": "community",
}
# Query-string key of each filter.
QUERY_KEYS: dict[str, str] = {
    "countries": "country",
    "areas": "area",
    "organisations": "organisation",
    "campaigns": "campaign",
    "sexes": "sex",
    "age_groups": "age_group",
    "nationalities": "nationality",
    "communities": "community",
}
ADDITIVE_MEASURES = (Measure.COUNT, Measure.PEOPLE, Measure.SUM)


# ---------------------------------------------------------------------------------------------
# Filters


@dataclass(frozen=True)
class Filters:
    programme: Programme
    start: datetime.date  # inclusive
    end: datetime.date  # inclusive
    countries: tuple[str, ...] = ()  # ISO alpha-2 codes
    areas: tuple[str, ...] = ()  # admin level-1 p-codes
    # Organisation primary keys (UUIDs) as text.
    organisations: tuple[str, ...] = ()
    campaigns: tuple[int, ...] = ()
    sexes: tuple[str, ...] = ()
    age_groups: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    communities: tuple[str, ...] = ()  # "migrant" / "host"

    @classmethod
    def default(cls, programme: Programme, *, today: datetime.date | None = None) -> Filters:
        """The programme's period up to today (the last 12 months when it has none)."""
        today = today or timezone.localdate()
        end = today
        if programme.period_end is not None and programme.period_end < today:
            end = programme.period_end
        start = programme.period_start or (end - datetime.timedelta(days=364))
        if start > end:
            start = end
        return cls(programme=programme, start=start, end=end)

    @classmethod
    def from_query(
        cls, programme: Programme, query: Mapping[str, Any] | QueryDict
    ) -> tuple[Filters, dict[str, list[str]]]:
        """Parse and validate a GET query string (repeated keys for several values). Invalid
        values are left out of the filters and reported in ``errors`` by query key."""
        errors: dict[str, list[str]] = {}
        default = cls.default(programme)

        def values(key: str) -> list[str]:
            if isinstance(query, QueryDict):
                raw = query.getlist(key)
            else:
                item = query.get(key)
                raw = list(item) if isinstance(item, list | tuple) else [item] if item else []
            return [str(value).strip() for value in raw if str(value).strip()]

        def parse_date(key: str, fallback: datetime.date) -> datetime.date:
            given = values(key)
            if not given:
                return fallback
            try:
                return datetime.date.fromisoformat(given[0])
            except ValueError:
                errors[key] = [_("Enter a date as YYYY-MM-DD.")]
                return fallback

        start = parse_date("start", default.start)
        end = parse_date("end", default.end)
        if start > end:
            errors["end"] = [_("The end of the period cannot be before its start.")]
            start, end = default.start, default.end
        choices = filter_choices(programme)
        chosen: dict[str, tuple[Any, ...]] = {}
        for name, key in QUERY_KEYS.items():
            allowed = {value for value, _label in choices[key]}
            given = values(key)
            valid = [value for value in given if value in allowed]
            if len(valid) != len(given):
                errors[key] = [_("Choose among the options offered.")]
            unique = tuple(dict.fromkeys(valid))
            chosen[name] = tuple(int(value) for value in unique) if name == "campaigns" else unique
        return cls(programme=programme, start=start, end=end, **chosen), errors

    def to_query(self) -> str:
        """The filters as a query string, for links."""
        query = QueryDict(mutable=True)
        query["start"] = self.start.isoformat()
        query["end"] = self.end.isoformat()
        for name, key in QUERY_KEYS.items():
            chosen = getattr(self, name)
            if chosen:
                query.setlist(key, [str(value) for value in chosen])
        return query.urlencode()

    def restrictions(self) -> dict[str, tuple[str, ...]]:
        """Dimension -> chosen values, for the filters that are set."""
        return {
            FILTER_DIMENSIONS[name]: tuple(str(value) for value in getattr(self, name))
            for name in FILTER_DIMENSIONS
            if getattr(self, name)
        }


def filter_choices(programme: Programme) -> dict[str, list[tuple[str, str]]]:
    """The values each dashboard filter offers for ``programme`` (query key -> choices)."""
    from senda.geo.models import AdminArea, Country

    country_codes = list(programme.countries.values_list("code", flat=True))
    countries = Country.objects.all()
    if country_codes:
        countries = countries.filter(code__in=country_codes)
    areas = AdminArea.objects.filter(level=1)
    if country_codes:
        areas = areas.filter(country__in=country_codes)
    return {
        "country": [(country.code, str(country)) for country in countries],
        "area": [(area.pcode, area.name) for area in areas.order_by("country_id", "name")],
        "organisation": [
            (str(organisation.pk), organisation.name)
            for organisation in programme.organisations.order_by("name")
        ],
        "campaign": [
            (str(campaign.pk), str(campaign)) for campaign in programme.campaigns.defer("logo")
        ],
        "sex": [(str(value), str(label)) for value, label in Sex.choices],
        "age_group": [(str(value), str(label)) for value, label in AgeGroup.choices],
        "nationality": [(country.code, str(country)) for country in Country.objects.all()],
        "community": [(str(value), str(label)) for value, label in Community.choices],
    }


# ---------------------------------------------------------------------------------------------
# Tables


@dataclass
class Cell:
    key: tuple[str, ...]  # one value per dimension in Table.dimensions ("" = total)
    value: float | None  # None when suppressed
    contributors: int | None  # unweighted contributors; None when suppressed
    suppressed: bool = False
    numerator: float | None = None  # shares: the counts behind the percentage
    denominator: float | None = None


@dataclass
class Table:
    indicator: Indicator
    dimensions: list[str]
    cells: list[Cell]
    margins: dict[str, list[Cell]]
    total: Cell
    labels: dict[str, dict[str, str]]
    suppression_applied: bool
    threshold: int
    # Dashboard filters the indicator's records cannot be restricted by (visits have no sex):
    # they were not applied, and a page should say so.
    unsupported_filters: list[str] = field(default_factory=list)
    # When its figures were computed (stored figures: maybe minutes ago).
    computed_at: datetime.datetime | None = None

    def cell(self, *key: str) -> Cell | None:
        """The cell (or margin, or total) at ``key``."""
        if key == self.total.key:
            return self.total
        for cell in self.cells:
            if cell.key == key:
                return cell
        for margin in self.margins.values():
            for cell in margin:
                if cell.key == key:
                    return cell
        return None


@dataclass
class Aggregate:
    """What one group of records adds up to, before suppression."""

    value: float = 0.0
    contributors: int = 0
    numerator: float = 0.0
    denominator: float = 0.0
    numerator_contributors: int = 0
    denominator_contributors: int = 0
    # Medians: how many records took each number of days.
    days: Counter[int] = field(default_factory=Counter)

    def add(self, other: Aggregate) -> None:
        self.value += other.value
        self.contributors += other.contributors
        self.numerator += other.numerator
        self.denominator += other.denominator
        self.numerator_contributors += other.numerator_contributors
        self.denominator_contributors += other.denominator_contributors
        self.days.update(other.days)


# ---------------------------------------------------------------------------------------------
# Who sees what


def _memberships(user: User) -> list[Any]:
    from senda.casework.access import active_memberships

    return active_memberships(user)


def sees_people_of(user: User, organisation_ids: Iterable[str]) -> bool:
    """Whether ``user`` may see every person of each of these organisations (then aggregates
    need no suppression for them)."""
    wanted = {str(pk) for pk in organisation_ids}
    # Without partners there is nobody whose people the user could see: suppress.
    seeing = {
        str(membership.organisation_id)
        for membership in _memberships(user)
        if people_scope(membership.role) is PeopleScope.ORGANISATION
        or Capability.CASE_VIEW_ALL in CAPABILITIES.get(membership.role, frozenset())
    }
    return bool(seeing) and wanted <= seeing


def indicators_for(
    *, user: User, programme: Programme, dashboard_only: bool = True
) -> list[Indicator]:
    """The active indicators of ``programme`` (its own and those offered to every programme),
    in dashboard order; PermissionDeniedError when the user may not see the programme."""
    _require_visible(user, programme)
    return programme_indicators(programme, dashboard_only=dashboard_only)


def programme_indicators(programme: Programme, *, dashboard_only: bool = True) -> list[Indicator]:
    """``indicators_for`` without the reader's check: for callers that made it (or need no
    reader: the refresh of stored figures)."""
    indicators = Indicator.objects.filter(is_active=True).filter(
        Q(programme__isnull=True) | Q(programme=programme)
    )
    if dashboard_only:
        indicators = indicators.filter(show_on_dashboard=True)
    return list(indicators.order_by("position", "code"))


def _require_visible(user: User, programme: Programme) -> None:
    from senda.insights.queries import programmes_visible_to

    # Remembered on the user object for the request: a dashboard asks once per indicator.
    checked: set[int] = user.__dict__.setdefault("_insights_visible_programmes", set())
    if programme.pk in checked:
        return
    if not programmes_visible_to(user=user).filter(pk=programme.pk).exists():
        raise PermissionDeniedError(_("You do not have access to this programme's figures."))
    checked.add(programme.pk)


# ---------------------------------------------------------------------------------------------
# The engine


def allowed_dimensions(indicator: Indicator) -> list[str]:
    """The dimensions ``indicator`` may be broken down by (its list, within its sources')."""
    supported = supported_dimensions(indicator)
    return [dimension for dimension in indicator.allowed_dimensions if dimension in supported]


def indicator_sources(indicator: Indicator) -> list[tuple[Source, str, dict[str, list[str]]]]:
    """(source, measure, filters) of each part the indicator adds up (one for most)."""
    if indicator.measure == Measure.SUM_OF_PARTS:
        parts = []
        for part in indicator.parts or []:
            source = source_get(str(part.get("source", "")))
            if source is None:
                continue
            measure = str(part.get("measure") or source.default_measure)
            parts.append((source, measure, dict(part.get("filters") or {})))
        return parts
    source = source_get(indicator.source)
    if source is None:
        return []
    return [(source, indicator.measure, dict(indicator.filters or {}))]


def supported_dimensions(indicator: Indicator) -> set[str]:
    parts = indicator_sources(indicator)
    if not parts:
        return set()
    return set.intersection(*(set(source.dimensions) for source, _m, _f in parts))


def indicator_table(
    *,
    user: User,
    indicator: Indicator,
    filters: Filters,
    by: Sequence[str] = (),
    for_export: bool = False,
    stored: bool = False,
) -> Table:
    """The figures of ``indicator`` for ``filters``, broken down by the dimensions ``by`` (0, 1
    or 2). Suppressed when exported or when the user may not see every person behind them.
    ``stored``: figures stored less than ``SENDA_INSIGHTS_MAX_AGE`` ago are read instead of
    computed (the dashboard and its CSV); otherwise they are computed now."""
    (table,) = indicator_tables(
        user=user, filters=filters, wanted=[(indicator, by)], for_export=for_export, stored=stored
    )
    return table


def indicator_tables(
    *,
    user: User,
    filters: Filters,
    wanted: Sequence[tuple[Indicator, Sequence[str]]],
    for_export: bool = False,
    stored: bool = False,
) -> list[Table]:
    """``indicator_table`` for several (indicator, breakdowns) of one programme at once, in
    order: with ``stored``, the stored figures of all of them are read in one query, and the
    ones missing are computed and stored in one statement."""
    programme = filters.programme
    _require_visible(user, programme)
    checked = [
        (indicator, _checked_breakdowns(indicator, programme, by)) for indicator, by in wanted
    ]
    if stored:
        all_figures = _stored_or_computed(filters, checked)
    else:
        all_figures = [table_figures(indicator=i, filters=filters, by=by) for i, by in checked]
    organisation_ids = _scoped_ids(programme, filters)[0]
    suppress = for_export or not sees_people_of(user, organisation_ids)
    return [
        _table(
            indicator=indicator,
            measure=indicator.measure,
            by=by,
            figures=figures.figures,
            suppress=suppress,
            unsupported=figures.unsupported,
            computed_at=figures.computed_at,
        )
        for (indicator, by), figures in zip(checked, all_figures, strict=True)
    ]


def _checked_breakdowns(indicator: Indicator, programme: Programme, by: Sequence[str]) -> list[str]:
    if not indicator.is_active or indicator.programme_id not in (None, programme.pk):
        raise NotFoundError("indicator")
    by = list(by)
    allowed = allowed_dimensions(indicator)
    wrong = [dimension for dimension in by if dimension not in allowed]
    if wrong or len(by) > 2 or len(set(by)) != len(by):
        raise ValidationError(
            {
                "by": [
                    _("This indicator cannot be broken down by %(dimensions)s.")
                    % {"dimensions": ", ".join(wrong or by)}
                ]
            }
        )
    return by


def _scoped_ids(programme: Programme, filters: Filters) -> tuple[list[str], list[int]]:
    """The organisations and campaigns whose records count: the programme's, narrowed by the
    filters."""
    organisation_ids, campaign_ids = programme_scope(programme)
    if filters.organisations:
        organisation_ids = [pk for pk in organisation_ids if pk in set(filters.organisations)]
    if filters.campaigns:
        campaign_ids = [pk for pk in campaign_ids if pk in set(filters.campaigns)]
    return organisation_ids, campaign_ids


@dataclass
class TableFigures:
    """What a table is made of before suppression (the part that may be stored)."""

    figures: dict[Key, Aggregate]
    unsupported: list[str]
    computed_at: datetime.datetime

    def figures_json(self) -> list[list[Any]]:
        return [
            [
                list(key),
                a.value,
                a.contributors,
                a.numerator,
                a.denominator,
                a.numerator_contributors,
                a.denominator_contributors,
                {str(days): times for days, times in a.days.items()},
            ]
            for key, a in self.figures.items()
        ]

    @classmethod
    def from_json(
        cls, figures: list[list[Any]], unsupported: list[str], computed_at: datetime.datetime
    ) -> TableFigures:
        read: dict[Key, Aggregate] = {}
        for key, value, contributors, numerator, denominator, n_people, d_people, days in figures:
            read[tuple(str(part) for part in key)] = Aggregate(
                value=float(value),
                contributors=int(contributors),
                numerator=float(numerator),
                denominator=float(denominator),
                numerator_contributors=int(n_people),
                denominator_contributors=int(d_people),
                days=Counter({int(number): int(times) for number, times in days.items()}),
            )
        return cls(figures=read, unsupported=list(unsupported), computed_at=computed_at)


def table_figures(*, indicator: Indicator, filters: Filters, by: Sequence[str]) -> TableFigures:
    """Every figure of ``indicator``'s table for ``filters`` by ``by`` (cells, margins, total),
    computed now and before suppression: for no reader in particular (callers check who
    reads: ``indicator_tables``, ``figures_refresh``)."""
    by = _checked_breakdowns(indicator, filters.programme, by)
    organisation_ids, campaign_ids = _scoped_ids(filters.programme, filters)
    computed_at = timezone.now()
    figures: dict[Key, Aggregate] = {}
    unsupported: set[str] = set()
    for source, measure, part_filters in indicator_sources(indicator):
        scope = _scope(source, organisation_ids, campaign_ids)
        part_figures, skipped = compute(
            source=source,
            measure=measure,
            filters=filters,
            scope=scope,
            record_filters=part_filters,
            numerator_filters=dict(indicator.numerator_filters or {}),
            duration=indicator.duration,
            by=by,
        )
        unsupported |= skipped
        for key, aggregate in part_figures.items():
            figures.setdefault(key, Aggregate()).add(aggregate)
    return TableFigures(figures=figures, unsupported=sorted(unsupported), computed_at=computed_at)


# Part of every key: raise it when the engine computes some figure differently, so figures
# stored by the previous version are not read.
FIGURES_VERSION = 1


def figures_key(indicator: Indicator, filters: Filters, by: Sequence[str]) -> str:
    """A digest of everything a table's figures depend on (never of who reads them)."""
    organisation_ids, campaign_ids = programme_scope(filters.programme)
    described = {
        "version": FIGURES_VERSION,
        "indicator": [indicator.pk, indicator.updated_at.isoformat()],
        "programme": filters.programme.pk,
        "organisations": sorted(organisation_ids),
        "campaigns": sorted(campaign_ids),
        "period": [filters.start.isoformat(), filters.end.isoformat()],
        "filters": {name: sorted(str(v) for v in getattr(filters, name)) for name in QUERY_KEYS},
        "by": list(by),
        "zone": timezone.get_current_timezone_name(),
        "settings": [inquiry_target_hours(), service_verified_days()],
    }
    text = json.dumps(described, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _stored_or_computed(
    filters: Filters, checked: Sequence[tuple[Indicator, list[str]]]
) -> list[TableFigures]:
    programme = filters.programme
    keys = [figures_key(indicator, filters, by) for indicator, by in checked]
    found = fresh_figures(programme=programme, keys=keys)
    results: list[TableFigures] = []
    computed: dict[str, tuple[Indicator, TableFigures]] = {}
    for (indicator, by), key in zip(checked, keys, strict=True):
        row = found.get(key)
        if row is not None:
            results.append(
                TableFigures.from_json(row.figures, row.unsupported_filters, row.computed_at)
            )
        elif key in computed:
            results.append(computed[key][1])
        else:
            figures = table_figures(indicator=indicator, filters=filters, by=by)
            computed[key] = (indicator, figures)
            results.append(figures)
    figures_store(
        programme=programme,
        rows=[
            {
                "key": key,
                "indicator_id": indicator.pk,
                "computed_at": figures.computed_at,
                "figures": figures.figures_json(),
                "unsupported_filters": figures.unsupported,
            }
            for key, (indicator, figures) in computed.items()
        ],
    )
    return results


def programme_scope(programme: Programme) -> tuple[list[str], list[int]]:
    """The ids of the programme's partner organisations and campaigns (read once per
    programme object: a dashboard computes many tables of one programme)."""
    cached: tuple[list[str], list[int]] | None = programme.__dict__.get("_insights_scope")
    if cached is None:
        organisations = [str(pk) for pk in programme.organisations.values_list("pk", flat=True)]
        campaigns = list(programme.campaigns.values_list("pk", flat=True))
        cached = (organisations, campaigns)
        programme.__dict__["_insights_scope"] = cached
    return list(cached[0]), list(cached[1])


def _scope(source: Source, organisation_ids: list[str], campaign_ids: list[int]) -> Q:
    if source.scope == "campaign":
        return Q(**{f"{source.campaign_field}__in": campaign_ids})
    return Q(**{f"{source.organisation_field}__in": organisation_ids})


def _records(
    source: Source,
    filters: Filters,
    scope: Q,
    record_filters: Mapping[str, list[str]],
) -> tuple[QuerySet[Any], set[str]]:
    """The source's records that count: in scope, in the period, matching the dashboard's
    filters and the indicator's own."""
    records = source.queryset().filter(scope).filter(source.date_filter(filters.start, filters.end))
    unsupported: set[str] = set()
    for dimension, chosen in filters.restrictions().items():
        definition = source.dimensions.get(dimension)
        if dimension == "organisation" and source.scope == "organisation":
            continue  # already the scope
        if dimension == "campaign" and source.scope == "campaign":
            continue
        if definition is None:
            unsupported.add(dimension)
            continue
        if definition.filter_q is not None:
            records = records.filter(definition.filter_q(chosen))
        else:
            alias = f"filter_{dimension}"
            records = records.alias(**{alias: definition.expression()}).filter(
                **{f"{alias}__in": list(chosen)}
            )
    for name, wanted in record_filters.items():
        definition_filter = source.filters.get(name)
        if definition_filter is not None and wanted:
            records = records.filter(definition_filter.q(list(wanted)))
    return records, unsupported


def _condition(source: Source, record_filters: Mapping[str, list[str]]) -> Q:
    conditions = [
        source.filters[name].q(list(chosen))
        for name, chosen in record_filters.items()
        if name in source.filters and chosen
    ]
    return reduce(lambda left, right: left & right, conditions, Q())  # type: ignore[arg-type, return-value]


def compute(
    *,
    source: Source,
    measure: str,
    filters: Filters,
    scope: Q,
    record_filters: Mapping[str, list[str]],
    numerator_filters: Mapping[str, list[str]],
    duration: str,
    by: Sequence[str],
) -> tuple[dict[Key, Aggregate], set[str]]:
    """Every figure of one source's part of a table (cells, margins, total) by key, before
    suppression, and the dashboard filters the source could not apply."""
    records, unsupported = _records(source, filters, scope, record_filters)
    multi = any(source.dimensions[dimension].multi_valued for dimension in by)
    if measure == Measure.MEDIAN_DAYS:
        return _compute_median(source, records, duration, by, multi), unsupported
    aggregates = _aggregates(source, measure, numerator_filters, distinct=multi)
    additive = not multi and (
        (source.additive_contributors and measure != Measure.PEOPLE) or source.key == "people"
    )
    if additive:
        rows = _grouped(source, records, by, aggregates, sets=[tuple(True for _ in by)])
        cells = {key: _aggregate(row, source) for key, row in rows}
        figures = _with_margins(cells, len(by))
    else:
        rows = _grouped(source, records, by, aggregates, sets=_grouping_sets(len(by)))
        figures = {key: _aggregate(row, source) for key, row in rows}
    figures.setdefault(_total_key(len(by)), Aggregate())
    return figures, unsupported


def _aggregates(
    source: Source, measure: str, numerator_filters: Mapping[str, list[str]], *, distinct: bool
) -> dict[str, Any]:
    person = source.person_field
    if measure == Measure.SUM:
        if not source.tally_field:
            raise ValidationError({"measure": [_("These records have no tallies to add up.")]})
        return {"value": Sum(source.tally_field)}
    if measure == Measure.PEOPLE:
        if not person:
            raise ValidationError({"measure": [_("These records are not about people.")]})
        return {"value": Count(person, distinct=True)}
    if measure == Measure.SHARE:
        numerator = _condition(source, numerator_filters)
        aggregates: dict[str, Any] = {
            "denominator": Count("pk", distinct=distinct),
            "numerator": Count("pk", filter=numerator, distinct=distinct),
        }
        if source.contributor == PERSON:
            aggregates["denominator_contributors"] = Count(person, distinct=True)
            aggregates["numerator_contributors"] = Count(person, filter=numerator, distinct=True)
        return aggregates
    aggregates = {"value": Count("pk", distinct=distinct)}
    if source.contributor == PERSON and source.key != "people":
        aggregates["contributors"] = Count(person, distinct=True)
    return aggregates


def _aggregate(row: Mapping[str, Any], source: Source) -> Aggregate:
    value = float(row.get("value") or 0)
    numerator = float(row.get("numerator") or 0)
    denominator = float(row.get("denominator") or 0)
    contributors = int(row["contributors"]) if "contributors" in row else int(value)
    return Aggregate(
        value=value,
        contributors=contributors,
        numerator=numerator,
        denominator=denominator,
        numerator_contributors=int(row.get("numerator_contributors", numerator) or 0),
        denominator_contributors=int(row.get("denominator_contributors", denominator) or 0),
    )


def _grouping_sets(dimensions: int) -> list[tuple[bool, ...]]:
    """Cells, then each margin, then the total."""
    if dimensions == 0:
        return [()]
    if dimensions == 1:
        return [(True,), (False,)]
    return [(True, True), (True, False), (False, True), (False, False)]


def _total_key(dimensions: int) -> Key:
    return tuple(TOTAL for _ in range(dimensions))


def _grouped(
    source: Source,
    records: QuerySet[Any],
    by: Sequence[str],
    aggregates: Mapping[str, Any],
    *,
    sets: list[tuple[bool, ...]],
    extra: Mapping[str, Any] | None = None,
) -> list[tuple[Key, dict[str, Any]]]:
    """One query: the aggregates grouped by each grouping set (GROUPING SETS on PostgreSQL,
    UNION ALL elsewhere), rows keyed by their dimension values ("" where rolled up)."""
    extra = dict(extra or {})
    if len(sets) > 1 and connections[records.db].vendor == "postgresql":
        rows = _grouped_with_grouping_sets(source, records, by, aggregates, sets, extra)
        if rows is not None:
            return rows
    queries = []
    for index, kept in enumerate(sets):
        columns: dict[str, Any] = {"grouping": Value(index)}
        for position, dimension in enumerate(by):
            if kept[position]:
                columns[f"d{position}"] = source.dimensions[dimension].expression()
            else:
                # A plain NULL: the column's type comes from the first query (the cells).
                columns[f"d{position}"] = Value(None, output_field=CharField())
        columns.update(extra)
        query = records.annotate(**columns).values(*columns).annotate(**aggregates).order_by()
        queries.append(query)
    combined = queries[0] if len(queries) == 1 else queries[0].union(*queries[1:], all=True)
    result = []
    for row in combined:
        kept = sets[int(row["grouping"])]
        key = tuple(
            _key_text(row[f"d{position}"]) if kept[position] else TOTAL
            for position in range(len(by))
        )
        result.append((key, row))
    return result


def _grouped_with_grouping_sets(
    source: Source,
    records: QuerySet[Any],
    by: Sequence[str],
    aggregates: Mapping[str, Any],
    sets: list[tuple[bool, ...]],
    extra: Mapping[str, Any],
) -> list[tuple[Key, dict[str, Any]]] | None:
    """PostgreSQL: every grouping in one pass (GROUP BY GROUPING SETS), the SQL written by the
    ORM and only its GROUP BY clause replaced. A rolled-up dimension is NULL there, so a
    missing value of a dimension becomes "unknown" first (periods are never missing: the
    records are filtered on their date). None when the SQL is not of the expected shape."""
    columns: dict[str, Any] = {}
    for position, dimension in enumerate(by):
        expression = source.dimensions[dimension].expression()
        if dimension not in TIME_DIMENSIONS:
            expression = Coalesce(
                Cast(expression, output_field=TextField()),
                Value(UNKNOWN),
                output_field=TextField(),
            )
        columns[f"d{position}"] = expression
    columns.update(extra)
    query = records.annotate(**columns).values(*columns).annotate(**aggregates).order_by()
    sql, params = query.query.get_compiler(using=query.db).as_sql()
    ordinals = [str(number) for number in range(1, len(columns) + 1)]
    suffix = " GROUP BY " + ", ".join(ordinals)
    if not sql.endswith(suffix):
        return None
    extras = ordinals[len(by) :]
    grouping_sets = ", ".join(
        "("
        + ", ".join([*(o for o, keep in zip(ordinals, kept, strict=False) if keep), *extras])
        + ")"
        for kept in sets
    )
    sql = f"{sql[: -len(suffix)]} GROUP BY GROUPING SETS ({grouping_sets})"
    with connections[query.db].cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        fetched = cursor.fetchall()
    result = []
    for values in fetched:
        row = dict(zip(names, values, strict=True))
        key = tuple(
            TOTAL if row[f"d{position}"] is None else _key_text(row[f"d{position}"])
            for position in range(len(by))
        )
        result.append((key, row))
    return result


def _key_text(value: Any) -> str:
    if value is None or value == "":
        return UNKNOWN
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _with_margins(cells: dict[Key, Aggregate], dimensions: int) -> dict[Key, Aggregate]:
    """Cells plus margins and total added up from them (for figures that add up)."""
    figures: dict[Key, Aggregate] = {}
    for key, aggregate in cells.items():
        targets = {key}
        if dimensions == 1:
            targets.add((TOTAL,))
        elif dimensions == 2:
            targets |= {(key[0], TOTAL), (TOTAL, key[1]), (TOTAL, TOTAL)}
        for target in targets:
            figures.setdefault(target, Aggregate()).add(aggregate)
    if dimensions == 0 and () not in figures:
        figures[()] = Aggregate()
    return figures


def _days_between(source: Source, duration: str) -> Any:
    definition = source.durations.get(duration)
    if definition is None:
        raise ValidationError({"duration": [_("Choose a duration these records have.")]})
    # Whole days from the first date to the second, in the active time zone: dates subtracted
    # (Django writes the subtraction for SQLite and PostgreSQL alike).
    return definition, ExpressionWrapper(
        TruncDate(definition.end) - TruncDate(definition.start), output_field=DurationField()
    )


def _compute_median(
    source: Source, records: QuerySet[Any], duration: str, by: Sequence[str], multi: bool
) -> dict[Key, Aggregate]:
    definition, days = _days_between(source, duration)
    records = records.filter(**{f"{definition.end}__isnull": False})
    sets = _grouping_sets(len(by))
    # A histogram of whole days per group: bounded by the number of distinct durations, and
    # every grouping's median comes from its own histogram.
    rows = _grouped(
        source,
        records,
        by,
        {"records": Count("pk", distinct=multi)},
        sets=sets,
        extra={"days": days},
    )
    figures: dict[Key, Aggregate] = {}
    for key, row in rows:
        aggregate = figures.setdefault(key, Aggregate())
        elapsed = row["days"]
        whole_days = elapsed.days if isinstance(elapsed, datetime.timedelta) else int(elapsed or 0)
        aggregate.days[whole_days] += int(row["records"])
    if source.contributor == PERSON:
        people = _grouped(
            source,
            records,
            by,
            {"contributors": Count(source.person_field, distinct=True)},
            sets=sets,
        )
        for key, row in people:
            figures.setdefault(key, Aggregate()).contributors = int(row["contributors"])
    else:
        for aggregate in figures.values():
            aggregate.contributors = sum(aggregate.days.values())
    for aggregate in figures.values():
        aggregate.value = _median(aggregate.days)
        aggregate.denominator = float(sum(aggregate.days.values()))
    figures.setdefault(_total_key(len(by)), Aggregate())
    return figures


def _median(histogram: Counter[int]) -> float:
    if not histogram:
        return 0.0
    values = sorted(histogram.items())
    count = sum(histogram.values())

    def at(position: int) -> int:
        seen = 0
        for days, times in values:
            seen += times
            if position < seen:
                return days
        return values[-1][0]

    if count % 2:
        return float(at(count // 2))
    return statistics.fmean([at(count // 2 - 1), at(count // 2)])


# ---------------------------------------------------------------------------------------------
# From figures to a table


def _table(
    *,
    indicator: Indicator,
    measure: str,
    by: list[str],
    figures: dict[Key, Aggregate],
    suppress: bool,
    unsupported: list[str],
    computed_at: datetime.datetime | None = None,
) -> Table:
    # A copy: secondary suppression may add empty cells, and stored figures are shared.
    figures = dict(figures)
    limit = suppression.threshold()
    hidden: set[Key] = set()
    hidden_numerators: set[Key] = set()
    hidden_denominators: set[Key] = set()
    is_share = measure == Measure.SHARE
    is_median = measure == Measure.MEDIAN_DAYS
    if suppress and limit > 0:
        if is_share or is_median:
            contributors_of = (
                (lambda a: a.denominator_contributors) if is_share else (lambda a: a.contributors)
            )
            hidden = {
                key
                for key, aggregate in figures.items()
                if suppression.is_small(contributors_of(aggregate), limit)
            }
            if is_share:
                hidden_numerators = suppression.suppress_counts(
                    {
                        key: suppression.Figure(a.numerator, a.numerator_contributors)
                        for key, a in figures.items()
                    },
                    dimensions=len(by),
                    limit=limit,
                )
                hidden_denominators = suppression.suppress_counts(
                    {
                        key: suppression.Figure(a.denominator, a.denominator_contributors)
                        for key, a in figures.items()
                    },
                    dimensions=len(by),
                    limit=limit,
                )
                # A published share with one of its counts published gives away the other.
                for key in list(figures):
                    if key in hidden:
                        continue
                    if (key in hidden_numerators) != (key in hidden_denominators):
                        hidden_numerators.add(key)
                        hidden_denominators.add(key)
        else:
            hidden = suppression.suppress_counts(
                {key: suppression.Figure(a.value, a.contributors) for key, a in figures.items()},
                dimensions=len(by),
                limit=limit,
            )
        # A secondary suppression may pick a combination without data: it becomes a cell.
        for key in hidden | hidden_numerators | hidden_denominators:
            figures.setdefault(key, Aggregate())

    def cell(key: Key, aggregate: Aggregate) -> Cell:
        if is_share:
            value: float | None = (
                round(100.0 * aggregate.numerator / aggregate.denominator, 1)
                if aggregate.denominator
                else None
            )
            contributors = aggregate.denominator_contributors
        elif is_median:
            value = round(aggregate.value, 1) if aggregate.days else None
            contributors = aggregate.contributors
        else:
            value = aggregate.value
            contributors = aggregate.contributors
        result = Cell(key=key, value=value, contributors=contributors)
        if is_share or is_median:
            result.numerator = aggregate.numerator if is_share else None
            result.denominator = aggregate.denominator
            if key in hidden_numerators:
                result.numerator = None
            if key in hidden_denominators:
                result.denominator = None
        if key in hidden:
            result = replace(
                result,
                value=None,
                contributors=None,
                suppressed=True,
                numerator=None,
                denominator=None,
            )
        return result

    dimensions = len(by)
    total_key = _total_key(dimensions)
    cells: list[Cell] = []
    margins: dict[str, list[Cell]] = {dimension: [] for dimension in by} if dimensions == 2 else {}
    for key in sorted(figures):
        if key == total_key:
            continue
        if TOTAL in key:
            if dimensions == 2:
                dimension = by[0] if key[1] == TOTAL else by[1]
                margins[dimension].append(cell(key, figures[key]))
            continue
        cells.append(cell(key, figures[key]))
    total = cell(total_key, figures.get(total_key, Aggregate()))
    labels = {
        dimension: dimension_labels(
            dimension, {key[position] for key in figures if key[position] != TOTAL}
        )
        for position, dimension in enumerate(by)
    }
    return Table(
        indicator=indicator,
        dimensions=by,
        cells=cells,
        margins=margins,
        total=total,
        labels=labels,
        suppression_applied=suppress,
        threshold=limit,
        unsupported_filters=unsupported,
        computed_at=computed_at,
    )
