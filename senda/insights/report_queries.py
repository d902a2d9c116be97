"""The donor report's figures: its sections as tables built from the indicator engine (always
suppressed: the report goes to donors), and the narrative written for the same period.

Each section lists (indicator code, breakdowns) blocks of the default indicators (see
``senda.insights.defaults``); an indicator the programme no longer has is said to be missing,
never silently left out. The outcomes of suspected COVID-19 referrals, which no indicator
breaks down, are counted here and suppressed by the same rule (``suppression``)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from senda.accounts.models import User
from senda.casework.models import Referral, ReferralOutcome, ReferralReason
from senda.core.errors import ValidationError
from senda.insights import suppression
from senda.insights.charts import format_value
from senda.insights.engine import Cell, Filters, Table, indicator_table, indicators_for
from senda.insights.hxl import (
    Column,
    HxlTable,
    Value,
    add_table_sheet,
    add_text_sheet,
    new_workbook,
    workbook_bytes,
)
from senda.insights.models import DonorReport, Indicator, Programme
from senda.insights.queries import programmes_managed_by
from senda.insights.sources import DIMENSION_LABELS, period_label

TOTAL = ""


@dataclass(frozen=True)
class BlockSpec:
    """One table of a section: indicators side by side (columns), broken down by ``by``."""

    title: object  # a lazy translation
    codes: tuple[str, ...]
    by: tuple[str, ...] = ()


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: object
    blocks: tuple[BlockSpec, ...]


# People reached = registered (each person once) + tallied at outreach (no personal data).
REACH_CODES = ("people-reached", "people-registered", "people-tallied")


def builtin_indicators() -> dict[str, Indicator]:
    """Indicators the report needs that are not among the defaults, defined the same way (as
    data, computed by the engine) but never stored: a programme's own indicator with the same
    code takes their place."""
    tallied = Indicator(
        code="people-tallied",
        name="Personas contadas en actividades de alcance",
        definition="Personas contadas en las actividades de alcance comunitario (conteos por "
        "sexo, grupo de edad y comunidad, sin datos personales).",
        translations={
            "en": {
                "name": "People tallied at outreach",
                "definition": "People counted at outreach activities (tallies by sex, age "
                "group and community, no personal data).",
            }
        },
        unit="count",
        source="outreach",
        measure="sum",
        allowed_dimensions=[
            "country",
            "area",
            "month",
            "quarter",
            "organisation",
            "sex",
            "age_group",
            "community",
        ],
    )
    return {tallied.code: tallied}


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        "reach",
        gettext_lazy("Reach"),
        (
            BlockSpec(gettext_lazy("People reached"), REACH_CODES),
            BlockSpec(gettext_lazy("By sex"), REACH_CODES, ("sex",)),
            BlockSpec(gettext_lazy("By age group"), REACH_CODES, ("age_group",)),
            BlockSpec(gettext_lazy("Migrants and host community"), REACH_CODES, ("community",)),
        ),
    ),
    SectionSpec(
        "referrals",
        gettext_lazy("Referrals and outcomes"),
        (
            BlockSpec(
                gettext_lazy("Referrals, share attended and days to attendance"),
                ("referrals-by-reason", "referrals-attended-share", "referral-days-to-attend"),
            ),
            BlockSpec(
                gettext_lazy("By reason"),
                ("referrals-by-reason", "referrals-attended-share", "referral-days-to-attend"),
                ("reason",),
            ),
            BlockSpec(
                gettext_lazy("By reason and status"), ("referrals-by-reason",), ("reason", "status")
            ),
        ),
    ),
    SectionSpec(
        "follow_ups",
        gettext_lazy("Follow-ups on time"),
        (
            BlockSpec(gettext_lazy("Follow-ups done on time"), ("follow-ups-on-time",)),
            BlockSpec(gettext_lazy("By organisation"), ("follow-ups-on-time",), ("organisation",)),
        ),
    ),
    SectionSpec(
        "trainings",
        gettext_lazy("Trainings"),
        (BlockSpec(gettext_lazy("People trained by topic"), ("people-trained",), ("topic",)),),
    ),
    SectionSpec(
        "campaigns",
        gettext_lazy("Campaign reach"),
        (
            BlockSpec(
                gettext_lazy("By campaign"),
                ("campaign-visits", "campaign-checklists", "campaign-information-requests"),
                ("campaign",),
            ),
            BlockSpec(
                gettext_lazy("By placement"),
                ("campaign-visits", "campaign-checklists", "campaign-information-requests"),
                ("placement",),
            ),
        ),
    ),
    SectionSpec(
        "services",
        gettext_lazy("Services verified"),
        (
            BlockSpec(
                gettext_lazy("Services verified in the last 180 days, by organisation"),
                ("services-verified",),
                ("organisation",),
            ),
        ),
    ),
)

NARRATIVE_FIELDS = ("summary", "achievements", "challenges", "lessons", "next_steps")


@dataclass
class Figure:
    """A figure as the report shows it: text ("<5" when hidden) and the number behind it."""

    text: str
    value: float | None
    suppressed: bool = False


@dataclass
class BlockRow:
    keys: tuple[str, ...]
    codes: list[str]  # one per breakdown ("" on a total)
    labels: list[str]  # one per breakdown ("Total" on a total)
    figures: list[Figure]  # one per indicator
    level: str  # "cell", "subtotal" or "total"


@dataclass
class Block:
    title: str
    indicators: list[Indicator]
    missing: list[str]  # codes of the indicators the programme does not have
    dimensions: list[str]
    dimension_labels: list[str]
    rows: list[BlockRow]
    notes: list[str] = field(default_factory=list)

    @property
    def is_headline(self) -> bool:
        return not self.dimensions


@dataclass
class Section:
    key: str
    title: str
    blocks: list[Block]


@dataclass
class ReportData:
    programme: Programme
    start: datetime.date
    end: datetime.date
    sections: list[Section]
    narrative: DonorReport | None
    threshold: int
    can_edit: bool

    def narrative_values(self) -> dict[str, str]:
        return {
            name: getattr(self.narrative, name) if self.narrative is not None else ""
            for name in NARRATIVE_FIELDS
        }


def narrative_labels() -> dict[str, str]:
    return {
        "summary": _("Summary"),
        "achievements": _("Achievements"),
        "challenges": _("Challenges"),
        "lessons": _("Lessons learned"),
        "next_steps": _("Next steps"),
    }


# ---------------------------------------------------------------------------------------------
# Periods


def last_full_quarter(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The last quarter that has ended: on 2026-05-10, 2026-01-01 to 2026-03-31."""
    today = today or timezone.localdate()
    quarter_start = datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = quarter_start - datetime.timedelta(days=1)
    start = datetime.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)
    return start, end


MAX_PERIOD_DAYS = 366 * 5


def report_period(
    start_text: str | None, end_text: str | None
) -> tuple[datetime.date, datetime.date]:
    """The period asked for (ISO dates), the last full quarter by default; ValidationError
    with a message per field for a date that is not one, or a period backwards or too long."""
    default_start, default_end = last_full_quarter()
    errors: dict[str, list[str]] = {}

    def parse(text: str | None, fallback: datetime.date, name: str) -> datetime.date:
        if not text or not text.strip():
            return fallback
        try:
            return datetime.date.fromisoformat(text.strip())
        except ValueError:
            errors[name] = [_("Enter a date as YYYY-MM-DD.")]
            return fallback

    start = parse(start_text, default_start, "start")
    end = parse(end_text, default_end, "end")
    if not errors and start > end:
        errors["end"] = [_("The end of the period cannot be before its start.")]
    elif not errors and (end - start).days > MAX_PERIOD_DAYS:
        errors["end"] = [_("A report covers five years at most.")]
    if errors:
        raise ValidationError(errors)
    return start, end


# ---------------------------------------------------------------------------------------------
# Figures


def suppressed_text(threshold: int) -> str:
    return _("<%(threshold)s") % {"threshold": threshold}


def _figure(cell: Cell | None, indicator: Indicator, threshold: int) -> Figure:
    if cell is None:
        # A combination without records: nothing was counted there.
        return Figure(
            "0" if indicator.unit == "count" else "–", 0 if indicator.unit == "count" else None
        )
    if cell.suppressed:
        return Figure(suppressed_text(threshold), None, suppressed=True)
    if cell.value is None:
        return Figure("–", None)
    return Figure(format_value(cell.value, indicator.unit), cell.value)


def _label(labels: dict[str, str], dimension: str, key: str) -> str:
    if key == TOTAL:
        return _("Total")
    label = labels.get(key)
    if label:
        return label
    if dimension in ("week", "month", "quarter"):
        return period_label(dimension, key)
    return key


def _ordered_keys(tables: Sequence[Table], dimensions: int) -> list[tuple[tuple[str, ...], str]]:
    """Every key of the tables in report order, with its level: for a 2-D table each first
    value's subtotal then its cells, then the second dimension's subtotals, then the total."""
    cells: set[tuple[str, ...]] = set()
    margins: set[tuple[str, ...]] = set()
    for table in tables:
        cells |= {cell.key for cell in table.cells}
        for margin in table.margins.values():
            margins |= {cell.key for cell in margin}
    total_key = tuple(TOTAL for _ in range(dimensions))
    if dimensions == 0:
        return [((), "total")]
    if dimensions == 1:
        return [*((key, "cell") for key in sorted(cells)), (total_key, "total")]
    ordered: list[tuple[tuple[str, ...], str]] = []
    for first in sorted({key[0] for key in cells | margins if key[0] != TOTAL}):
        if (first, TOTAL) in margins:
            ordered.append(((first, TOTAL), "subtotal"))
        ordered += [(key, "cell") for key in sorted(cells) if key[0] == first]
    ordered += [(key, "subtotal") for key in sorted(margins) if key[0] == TOTAL]
    ordered.append((total_key, "total"))
    return ordered


def _block(
    *,
    user: User,
    filters: Filters,
    spec: BlockSpec,
    threshold: int,
    available: dict[str, Indicator],
) -> Block:
    indicators = [available[code] for code in spec.codes if code in available]
    missing = [code for code in spec.codes if code not in available]
    by = list(spec.by)
    tables: list[Table] = []
    usable: list[Indicator] = []
    for indicator in indicators:
        try:
            tables.append(
                indicator_table(
                    user=user, indicator=indicator, filters=filters, by=by, for_export=True
                )
            )
            usable.append(indicator)
        except ValidationError:
            # An officer changed the indicator's breakdowns: say so rather than fail the report.
            missing.append(indicator.code)
    block = Block(
        title=str(spec.title),
        indicators=usable,
        missing=missing,
        dimensions=by,
        dimension_labels=[str(DIMENSION_LABELS.get(dimension, dimension)) for dimension in by],
        rows=[],
    )
    labels: dict[str, dict[str, str]] = {dimension: {} for dimension in by}
    for table in tables:
        for dimension in by:
            labels[dimension].update(table.labels.get(dimension, {}))
    for key, level in _ordered_keys(tables, len(by)) if tables else []:
        block.rows.append(
            BlockRow(
                keys=key,
                codes=list(key),
                labels=[
                    _label(labels[dimension], dimension, key[position])
                    for position, dimension in enumerate(by)
                ],
                figures=[
                    _figure(table.cell(*key), indicator, threshold)
                    for table, indicator in zip(tables, usable, strict=True)
                ],
                level=level,
            )
        )
    for table, indicator in zip(tables, usable, strict=True):
        if table.unsupported_filters:
            block.notes.append(
                _("%(indicator)s: filters not applied (its records do not have them).")
                % {"indicator": indicator.tr("name")}
            )
    return block


COVID_OUTCOMES = (
    ReferralOutcome.TESTED_NEGATIVE,
    ReferralOutcome.TESTED_POSITIVE,
    ReferralOutcome.NOT_TESTED,
)


def _covid_block(filters: Filters, threshold: int) -> Block:
    """Suspected COVID-19 cases referred in the period and their results (people, by the
    referral's outcome; "" while none is recorded), suppressed as every export."""
    programme = filters.programme
    start, end = filters.start, filters.end
    referrals = Referral.objects.filter(
        organisation__in=programme.organisations.all(),
        reason=ReferralReason.SUSPECTED_COVID,
        sent_at__date__gte=start,
        sent_at__date__lte=end,
    )
    counts = {
        (row["outcome"] or ""): row["people"]
        for row in referrals.values("outcome")
        .annotate(people=Count("person", distinct=True))
        .order_by()
    }
    total = referrals.aggregate(people=Count("person", distinct=True))["people"] or 0
    keys = [*(str(outcome) for outcome in COVID_OUTCOMES), "pending"]
    values = {str(outcome): counts.get(str(outcome), 0) for outcome in COVID_OUTCOMES}
    values["pending"] = sum(count for outcome, count in counts.items() if outcome not in values)
    figures: dict[tuple[str, ...], suppression.Figure] = {
        (key,): suppression.Figure(values[key], values[key]) for key in keys
    }
    figures[(TOTAL,)] = suppression.Figure(total, total)
    hidden = suppression.suppress_counts(figures, dimensions=1, limit=threshold)
    labels = {**{str(value): str(label) for value, label in ReferralOutcome.choices}}
    labels["pending"] = _("No result recorded yet")
    indicator = Indicator(
        code="covid-suspected-results", name=_("Suspected COVID-19 cases"), unit="count"
    )

    def figure(key: str, value: int) -> Figure:
        if (key,) in hidden:
            return Figure(suppressed_text(threshold), None, suppressed=True)
        return Figure(format_value(value, "count"), value)

    rows = [
        BlockRow(
            keys=(key,),
            codes=[key],
            labels=[labels[key]],
            figures=[figure(key, values[key])],
            level="cell",
        )
        for key in keys
    ]
    rows.append(
        BlockRow(
            keys=(TOTAL,),
            codes=[""],
            labels=[_("Total")],
            figures=[figure(TOTAL, total)],
            level="total",
        )
    )
    return Block(
        title=_("Suspected COVID-19 cases referred, by result"),
        indicators=[indicator],
        missing=[],
        dimensions=["result"],
        dimension_labels=[_("Result")],
        rows=rows,
        notes=[_("People referred for suspected COVID-19 in the period, by the result recorded.")],
    )


def may_edit_report(*, user: User, programme: Programme) -> bool:
    """Programme officers of the lead write the narrative; everyone else who sees the
    programme reads it."""
    return programmes_managed_by(user=user).filter(pk=programme.pk).exists()


def donor_report_get(
    *, user: User, programme: Programme, start: datetime.date, end: datetime.date
) -> ReportData:
    """The report of ``programme`` (from ``programme_get``: the user sees it) for the period:
    every section from the engine, always suppressed, and the narrative if written."""
    filters = Filters(programme=programme, start=start, end=end)
    threshold = suppression.threshold()
    # Read once: the programme's active indicators (its own and the shared ones) by code.
    available = {
        indicator.code: indicator
        for indicator in indicators_for(user=user, programme=programme, dashboard_only=False)
    }
    for code, indicator in builtin_indicators().items():
        available.setdefault(code, indicator)
    sections = [
        Section(
            key=spec.key,
            title=str(spec.title),
            blocks=[
                _block(
                    user=user,
                    filters=filters,
                    spec=block,
                    threshold=threshold,
                    available=available,
                )
                for block in spec.blocks
            ],
        )
        for spec in SECTIONS
    ]
    covid = _covid_block(filters, threshold)
    for section in sections:
        if section.key == "referrals":
            section.blocks.append(covid)
    narrative = DonorReport.objects.filter(
        programme=programme, period_start=start, period_end=end
    ).first()
    return ReportData(
        programme=programme,
        start=start,
        end=end,
        sections=sections,
        narrative=narrative,
        threshold=threshold,
        can_edit=may_edit_report(user=user, programme=programme),
    )


# ---------------------------------------------------------------------------------------------
# The XLSX download: an about sheet, the narrative, one HXL data sheet per section

# Headers marked for translation here, translated when the file is written.
SECTION_COLUMNS = (
    (gettext_noop("Table"), "#meta+table"),
    (gettext_noop("Indicator (code)"), "#indicator+code"),
    (gettext_noop("Indicator"), "#indicator+name"),
    (gettext_noop("Unit (count, percent, days)"), "#indicator+unit"),
    (gettext_noop("Broken down by"), "#meta+by1"),
    (gettext_noop("Category (code)"), "#meta+by1+code"),
    (gettext_noop("Category"), "#meta+by1+name"),
    (gettext_noop("And by"), "#meta+by2"),
    (gettext_noop("Second category (code)"), "#meta+by2+code"),
    (gettext_noop("Second category"), "#meta+by2+name"),
    (gettext_noop("Row"), "#meta+row_type"),
    (gettext_noop("Value"), "#indicator+value+num"),
    (gettext_noop("Hidden (small number)"), "#meta+suppressed"),
)


def section_table(section: Section) -> HxlTable:
    """A section as one HXL table in long form: a row per figure of each of its tables."""
    table = HxlTable(
        title=section.title,
        columns=[Column(_(header), tag) for header, tag in SECTION_COLUMNS],
    )
    for block in section.blocks:
        for row in block.rows:
            parts: list[Value] = []
            for position in range(2):
                if position < len(block.dimensions):
                    parts += [
                        block.dimensions[position],
                        row.codes[position] or None,
                        row.labels[position],
                    ]
                else:
                    parts += [None, None, None]
            for indicator, figure in zip(block.indicators, row.figures, strict=True):
                table.add_row(
                    [
                        block.title,
                        indicator.code,
                        str(indicator.tr("name")),
                        indicator.unit,
                        *parts,
                        row.level,
                        None if figure.suppressed else figure.value,
                        figure.suppressed,
                    ]
                )
    return table


def report_xlsx(data: ReportData) -> bytes:
    """The report as a workbook: about, narrative, then one data sheet per section (with the
    HXL hashtag row)."""
    workbook = new_workbook()
    programme = data.programme
    about = [
        [_("Donor report"), str(programme)],
        [_("Period"), f"{data.start.isoformat()} – {data.end.isoformat()}"],
        [_("Donor"), programme.donor],
        [_("Lead organisation"), str(programme.lead)],
        [_("Produced on"), timezone.localdate().isoformat()],
        [
            _("Small numbers"),
            _(
                "Figures from fewer than %(limit)s people are hidden (empty, marked in the "
                "#meta+suppressed column), and so are figures that would let them be worked out."
            )
            % {"limit": data.threshold},
        ],
    ]
    add_text_sheet(workbook, _("About"), about)
    labels = narrative_labels()
    values = data.narrative_values()
    add_text_sheet(
        workbook, _("Narrative"), [[labels[name], values[name]] for name in NARRATIVE_FIELDS]
    )
    for section in data.sections:
        add_table_sheet(workbook, section_table(section))
    return workbook_bytes(workbook)
