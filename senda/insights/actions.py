"""Every write to programmes and indicators: validated, permission-checked, atomic, audited."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from senda.core.audit import audit
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.insights import defaults
from senda.insights.models import Indicator, IndicatorUnit, Measure, Programme
from senda.insights.queries import (
    indicators_managed_by,
    managing_organisations,
    may_manage_shared_indicators,
    programmes_managed_by,
)
from senda.insights.sources import ALL_DIMENSIONS, SOURCES, Source

if TYPE_CHECKING:
    from senda.accounts.models import Organisation, User
    from senda.campaigns.models import Campaign
    from senda.geo.models import Country

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PART_MEASURES = (Measure.COUNT, Measure.PEOPLE, Measure.SUM)
UNIT_OF_MEASURE = {
    Measure.SHARE: IndicatorUnit.PERCENT,
    Measure.MEDIAN_DAYS: IndicatorUnit.DAYS,
}


# ---------------------------------------------------------------------------------------------
# Indicators


@dataclass(frozen=True)
class IndicatorInput:
    """What a programme officer writes about an indicator (Spanish text and its English)."""

    code: str
    name: str
    source: str = ""
    measure: str = Measure.COUNT
    unit: str = IndicatorUnit.COUNT
    name_en: str = ""
    definition: str = ""
    definition_en: str = ""
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    numerator_filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    duration: str = ""
    parts: Sequence[Mapping[str, Any]] = ()
    allowed_dimensions: Sequence[str] = ()
    default_dimension: str = ""
    programme: Programme | None = None
    target: float | None = None
    position: int = 0
    show_on_dashboard: bool = True


def _filter_errors(source: Source, filters: Any, *, what: str) -> list[str]:
    """Problems with ``filters`` (field -> allowed values) for ``source``."""
    if not isinstance(filters, Mapping):
        return [_("Filters must map a field to a list of values.")]
    problems = []
    for name, chosen in filters.items():
        definition = source.filters.get(str(name))
        if definition is None:
            problems.append(
                _("%(what)s cannot be filtered on “%(field)s”; choose among: %(fields)s.")
                % {
                    "what": what,
                    "field": name,
                    "fields": ", ".join(source.filters) or "—",
                }
            )
            continue
        if isinstance(chosen, str) or not isinstance(chosen, Sequence) or not chosen:
            problems.append(_("Give “%(field)s” a list of one or more values.") % {"field": name})
            continue
        allowed = {value for value, _label in definition.choices()}
        wrong = [str(value) for value in chosen if str(value) not in allowed]
        if wrong:
            problems.append(
                _("“%(values)s” is not a value of “%(field)s”.")
                % {"values": ", ".join(wrong), "field": name}
            )
    return problems


def _clean_filters(filters: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    return {str(name): [str(value) for value in values] for name, values in filters.items()}


def indicator_errors(
    fields: IndicatorInput, *, indicator_id: int | None = None
) -> dict[str, list[str]]:
    """Every problem with ``fields``, by field name (empty when the indicator can be saved)."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not SLUG_PATTERN.match(fields.code or ""):
        add("code", _("Use lower-case letters, digits and hyphens, e.g. people-reached."))
    elif len(fields.code) > 60:
        add("code", _("Keep this to %(limit)d characters at most.") % {"limit": 60})
    elif Indicator.objects.filter(code=fields.code).exclude(pk=indicator_id or 0).exists():
        add("code", _("Another indicator already uses this code."))
    if not fields.name.strip():
        add("name", _("Give the indicator a name."))
    for name in ("name", "name_en"):
        if len(getattr(fields, name).strip()) > 200:
            add(name, _("Keep this to %(limit)d characters at most.") % {"limit": 200})
    if fields.unit not in IndicatorUnit.values:
        add("unit", _("Choose a unit."))
    if fields.measure not in Measure.values:
        add("measure", _("Choose a measure."))
        return errors

    supported: set[str] = set()
    if fields.measure == Measure.SUM_OF_PARTS:
        parts = list(fields.parts or [])
        if len(parts) < 2:
            add("parts", _("A sum of several sources needs at least two parts."))
        part_dimensions = []
        for number, part in enumerate(parts, start=1):
            if not isinstance(part, Mapping):
                add(
                    "parts",
                    _("Part %(number)d is not a source and its filters.") % {"number": number},
                )
                continue
            source = SOURCES.get(str(part.get("source", "")))
            if source is None:
                add(
                    "parts",
                    _("Part %(number)d: choose the records it counts.") % {"number": number},
                )
                continue
            measure = str(part.get("measure") or source.default_measure)
            if measure not in PART_MEASURES or measure not in source.measures:
                add(
                    "parts",
                    _("Part %(number)d: %(source)s cannot be measured this way.")
                    % {"number": number, "source": source.label},
                )
            for problem in _filter_errors(
                source, part.get("filters") or {}, what=str(source.label)
            ):
                add(
                    "parts",
                    _("Part %(number)d: %(problem)s") % {"number": number, "problem": problem},
                )
            part_dimensions.append(set(source.dimensions))
        supported = set.intersection(*part_dimensions) if part_dimensions else set()
        if fields.unit != IndicatorUnit.COUNT:
            add("unit", _("A sum of several sources is a count."))
    else:
        source = SOURCES.get(fields.source)
        if source is None:
            add("source", _("Choose the records the indicator counts."))
            return errors
        supported = set(source.dimensions)
        if fields.measure not in source.measures:
            add(
                "measure",
                _("%(source)s cannot be measured this way; choose among: %(measures)s.")
                % {
                    "source": source.label,
                    "measures": ", ".join(str(Measure(m).label) for m in source.measures),
                },
            )
        for problem in _filter_errors(source, fields.filters, what=str(source.label)):
            add("filters", problem)
        if fields.measure == Measure.SHARE:
            if not fields.numerator_filters:
                add("numerator_filters", _("Say which records make the numerator of the share."))
            for problem in _filter_errors(source, fields.numerator_filters, what=str(source.label)):
                add("numerator_filters", problem)
        elif fields.numerator_filters:
            add("numerator_filters", _("Only a share has a numerator."))
        if fields.measure == Measure.MEDIAN_DAYS:
            if fields.duration not in source.durations:
                add(
                    "duration",
                    _("Choose one of the durations these records have: %(durations)s.")
                    % {"durations": ", ".join(source.durations) or "—"},
                )
        elif fields.duration:
            add("duration", _("Only a median of days has a duration."))
        expected = UNIT_OF_MEASURE.get(Measure(fields.measure), IndicatorUnit.COUNT)
        if fields.unit in IndicatorUnit.values and fields.unit != expected:
            add("unit", _("This measure is expressed as: %(unit)s.") % {"unit": expected.label})

    unknown = [d for d in fields.allowed_dimensions if d not in ALL_DIMENSIONS]
    unsupported = [
        d for d in fields.allowed_dimensions if d in ALL_DIMENSIONS and d not in supported
    ]
    if unknown:
        add(
            "allowed_dimensions",
            _("Unknown breakdowns: %(names)s.") % {"names": ", ".join(unknown)},
        )
    if unsupported:
        add(
            "allowed_dimensions",
            _("These records cannot be broken down by: %(names)s.")
            % {"names": ", ".join(unsupported)},
        )
    if fields.default_dimension and fields.default_dimension not in fields.allowed_dimensions:
        add("default_dimension", _("The default breakdown must be one of those allowed."))
    if fields.target is not None:
        if fields.target < 0:
            add("target", _("A target cannot be negative."))
        elif fields.unit == IndicatorUnit.PERCENT and fields.target > 100:
            add("target", _("A percentage target is at most 100."))
    if not 0 <= fields.position <= 32767:
        add("position", _("Enter a position between 0 and 32767."))
    return errors


def _require_may_manage(actor: User, programme: Programme | None) -> None:
    if programme is None:
        if not may_manage_shared_indicators(actor):
            raise PermissionDeniedError(
                _(
                    "Only the coordination's programme officers manage the indicators "
                    "shared by every programme."
                )
            )
        return
    if not programmes_managed_by(user=actor).filter(pk=programme.pk).exists():
        raise PermissionDeniedError(
            _(
                "Only the programme officers of the programme's lead organisation "
                "manage its indicators."
            )
        )


def _apply(indicator: Indicator, fields: IndicatorInput) -> None:
    indicator.code = fields.code
    indicator.language = "es"
    indicator.name = fields.name.strip()
    indicator.definition = fields.definition.strip()
    indicator.set_translation("en", "name", fields.name_en.strip())
    indicator.set_translation("en", "definition", fields.definition_en.strip())
    indicator.unit = fields.unit
    indicator.measure = fields.measure
    if fields.measure == Measure.SUM_OF_PARTS:
        indicator.source = ""
        indicator.filters = {}
        indicator.parts = [
            {
                "source": str(part["source"]),
                "measure": str(part.get("measure") or SOURCES[str(part["source"])].default_measure),
                "filters": _clean_filters(part.get("filters") or {}),
            }
            for part in fields.parts
        ]
    else:
        indicator.source = fields.source
        indicator.filters = _clean_filters(fields.filters)
        indicator.parts = []
    indicator.numerator_filters = _clean_filters(fields.numerator_filters)
    indicator.duration = fields.duration
    indicator.allowed_dimensions = list(dict.fromkeys(fields.allowed_dimensions))
    indicator.default_dimension = fields.default_dimension
    indicator.programme = fields.programme
    indicator.target = fields.target
    indicator.position = fields.position
    indicator.show_on_dashboard = fields.show_on_dashboard


def _audit_organisation(actor: User, programme: Programme | None) -> Organisation | None:
    if programme is not None:
        return programme.lead
    organisations = managing_organisations(actor)
    return organisations[0] if organisations else None


@transaction.atomic
def indicator_create(*, actor: User, fields: IndicatorInput) -> Indicator:
    """Define a new indicator for a programme (or for every programme: the coordination)."""
    _require_may_manage(actor, fields.programme)
    errors = indicator_errors(fields)
    if errors:
        raise ValidationError(errors)
    indicator = Indicator()
    _apply(indicator, fields)
    indicator.save()
    audit(
        actor=actor,
        action="insights.indicator_create",
        obj=indicator,
        organisation=_audit_organisation(actor, indicator.programme),
        details={"code": indicator.code},
    )
    return indicator


def _locked_indicator(actor: User, indicator: Indicator) -> Indicator:
    """``indicator`` afresh and locked, if ``actor`` may still manage it. Only its own row is
    locked: PostgreSQL refuses FOR UPDATE on the nullable side of the outer join to the
    programme (a shared indicator has none)."""
    found = (
        indicators_managed_by(user=actor)
        .select_for_update(of=("self",))
        .filter(pk=indicator.pk)
        .first()
    )
    if found is None:
        raise NotFoundError("indicator")
    return found


@transaction.atomic
def indicator_update(*, actor: User, indicator: Indicator, fields: IndicatorInput) -> Indicator:
    """Change an indicator's definition (its figures are recomputed from the records)."""
    found = _locked_indicator(actor, indicator)
    _require_may_manage(actor, fields.programme)
    errors = indicator_errors(fields, indicator_id=found.pk)
    if errors:
        raise ValidationError(errors)
    _apply(found, fields)
    found.save()
    audit(
        actor=actor,
        action="insights.indicator_update",
        obj=found,
        organisation=_audit_organisation(actor, found.programme),
        details={"code": found.code},
    )
    return found


@transaction.atomic
def indicator_set_active(*, actor: User, indicator: Indicator, active: bool) -> Indicator:
    """Archive an indicator (no longer offered; its definition is kept) or bring it back."""
    found = _locked_indicator(actor, indicator)
    if found.is_active != active:
        found.is_active = active
        found.save(update_fields=["is_active", "updated_at"])
        audit(
            actor=actor,
            action="insights.indicator_restore" if active else "insights.indicator_archive",
            obj=found,
            organisation=_audit_organisation(actor, found.programme),
            details={"code": found.code},
        )
    return found


def indicator_archive(*, actor: User, indicator: Indicator) -> Indicator:
    """Archive an indicator: dashboards and reports stop offering it."""
    return indicator_set_active(actor=actor, indicator=indicator, active=False)


@transaction.atomic
def indicators_install_defaults(*, actor: User | None = None) -> list[Indicator]:
    """Add the default indicators whose codes are missing (idempotent); shared by every
    programme. Used by the demo and the ``install_default_indicators`` command."""
    created: list[Indicator] = defaults.install(Indicator)
    if created:
        audit(
            actor=actor,
            action="insights.indicators_install_defaults",
            details={"codes": [indicator.code for indicator in created]},
        )
    return created


# ---------------------------------------------------------------------------------------------
# Programmes


@dataclass(frozen=True)
class ProgrammeInput:
    slug: str
    name: str
    lead: Organisation
    name_en: str = ""
    description: str = ""
    description_en: str = ""
    partners: Sequence[Organisation] = ()
    viewers: Sequence[Organisation] = ()
    campaigns: Sequence[Campaign] = ()
    countries: Sequence[Country] = ()
    donor: str = ""
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None


def programme_errors(
    fields: ProgrammeInput, *, programme_id: int | None = None
) -> dict[str, list[str]]:
    """Every problem with ``fields``, by field name."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not SLUG_PATTERN.match(fields.slug or ""):
        add("slug", _("Use lower-case letters, digits and hyphens, e.g. salud-sin-fronteras."))
    elif len(fields.slug) > 60:
        add("slug", _("Keep this to %(limit)d characters at most.") % {"limit": 60})
    elif Programme.objects.filter(slug=fields.slug).exclude(pk=programme_id or 0).exists():
        add("slug", _("Another programme already uses this address name."))
    if not fields.name.strip():
        add("name", _("Give the programme a name."))
    for name, limit in (("name", 160), ("name_en", 160), ("donor", 200)):
        if len(getattr(fields, name).strip()) > limit:
            add(name, _("Keep this to %(limit)d characters at most.") % {"limit": limit})
    if fields.period_start and fields.period_end and fields.period_end < fields.period_start:
        add("period_end", _("The programme cannot end before it starts."))
    owners = {fields.lead.pk, *(organisation.pk for organisation in fields.partners)}
    foreign = [str(campaign) for campaign in fields.campaigns if campaign.owner_id not in owners]
    if foreign:
        add(
            "campaigns",
            _(
                "Only campaigns of the lead or partner organisations can be part of "
                "the programme: %(names)s."
            )
            % {"names": ", ".join(foreign)},
        )
    overlap = {o.pk for o in fields.viewers} & {o.pk for o in fields.partners}
    if overlap:
        add("viewers", _("An organisation is either a partner or a viewer, not both."))
    return errors


def _apply_programme(programme: Programme, fields: ProgrammeInput) -> None:
    programme.slug = fields.slug
    programme.language = "es"
    programme.name = fields.name.strip()
    programme.description = fields.description.strip()
    programme.set_translation("en", "name", fields.name_en.strip())
    programme.set_translation("en", "description", fields.description_en.strip())
    programme.lead = fields.lead
    programme.donor = fields.donor.strip()
    programme.period_start = fields.period_start
    programme.period_end = fields.period_end


def _set_relations(programme: Programme, fields: ProgrammeInput) -> None:
    programme.organisations.set(fields.partners)
    programme.viewer_organisations.set(fields.viewers)
    programme.campaigns.set(fields.campaigns)
    programme.countries.set(fields.countries)


def _membership_details(fields: ProgrammeInput) -> dict[str, Any]:
    return {
        "slug": fields.slug,
        "partners": sorted(str(o.pk) for o in fields.partners),
        "viewers": sorted(str(o.pk) for o in fields.viewers),
        "campaigns": sorted(c.pk for c in fields.campaigns),
        "countries": sorted(c.code for c in fields.countries),
    }


@transaction.atomic
def programme_create(*, actor: User, fields: ProgrammeInput) -> Programme:
    """Create a programme led by one of the actor's organisations (programme officers)."""
    if fields.lead.pk not in {o.pk for o in managing_organisations(actor)}:
        raise PermissionDeniedError(
            _("Only a programme officer of the lead organisation can create its programmes.")
        )
    errors = programme_errors(fields)
    if errors:
        raise ValidationError(errors)
    programme = Programme()
    _apply_programme(programme, fields)
    programme.save()
    _set_relations(programme, fields)
    audit(
        actor=actor,
        action="insights.programme_create",
        obj=programme,
        organisation=programme.lead,
        details=_membership_details(fields),
    )
    return programme


@transaction.atomic
def programme_update(*, actor: User, programme: Programme, fields: ProgrammeInput) -> Programme:
    """Change a programme: its text, period, partners, viewers, campaigns and countries."""
    found = programmes_managed_by(user=actor).select_for_update().filter(pk=programme.pk).first()
    if found is None:
        raise NotFoundError("programme")
    if fields.lead.pk not in {o.pk for o in managing_organisations(actor)}:
        raise PermissionDeniedError(
            _("Only a programme officer of the lead organisation can manage its programmes.")
        )
    errors = programme_errors(fields, programme_id=found.pk)
    if errors:
        raise ValidationError(errors)
    _apply_programme(found, fields)
    found.save()
    _set_relations(found, fields)
    audit(
        actor=actor,
        action="insights.programme_update",
        obj=found,
        organisation=found.lead,
        details=_membership_details(fields),
    )
    return found
