"""The records indicators count: a registry of sources.

Each source says which table it reads, the date that places a record in a period, how it is
scoped to a programme (by the organisations whose records count, or by the programme's
campaigns), how each dimension is computed, which fields an indicator may filter on, and what
one contributor is (a person, a tallied person, a visit, a service) for small-number
suppression. Indicators (``Indicator.source``) name a source by its key; the engine
(``senda.insights.engine``) turns a source, a measure and filters into one aggregate query.
"""

from __future__ import annotations

import datetime
import functools
import re
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    DateField,
    DateTimeField,
    Exists,
    Expression,
    F,
    Func,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce, Trunc, TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from senda.campaigns.models import PlacementDailyCount, PlacementEvent, PlacementKind
from senda.casework.models import (
    AgeGroup,
    Community,
    ContactChannel,
    FollowUp,
    FollowUpStatus,
    Orientation,
    OrientationOutcome,
    OutreachTally,
    ParticipantRole,
    ParticipationStatus,
    Person,
    PlaceType,
    Referral,
    ReferralReason,
    ReferralStatus,
    Sex,
    Topic,
    TopicUse,
    TrainingEvent,
    TrainingParticipant,
    Urgency,
)
from senda.directory.models import PublicationStatus, Service
from senda.inquiries.models import Inquiry, InquiryStatus, Outcome

# What one contributor of a figure is: a person, a record (an inquiry, a service, a trainee)
# or one unit of a tally (a tallied person, a visit).
PERSON = "person"
RECORD = "record"
TALLY = "tally"

# A key for records whose dimension is not recorded (a person registered without an area).
UNKNOWN = "unknown"

TIME_DIMENSIONS = ("week", "month", "quarter")
# Every dimension key, in the order forms offer them.
ALL_DIMENSIONS = (
    "country",
    "area",
    "week",
    "month",
    "quarter",
    "organisation",
    "campaign",
    "sex",
    "age_group",
    "nationality",
    "community",
    "topic",
    "reason",
    "status",
    "placement",
    "event",
    "role",
    "channel",
)
DIMENSION_LABELS: dict[str, Promise] = {
    "country": _("Country"),
    "area": _("Area"),
    "week": _("Week"),
    "month": _("Month"),
    "quarter": _("Quarter"),
    "organisation": _("Organisation"),
    "campaign": _("Campaign"),
    "sex": _("Sex"),
    "age_group": _("Age group"),
    "nationality": _("Nationality"),
    "community": _("Migrant or host"),
    "topic": _("Topic"),
    "reason": _("Reason"),
    "status": _("Status"),
    "placement": _("Placement"),
    "event": _("Event"),
    "role": _("Role"),
    "channel": _("Channel"),
}


def inquiry_target_hours() -> int:
    """An inquiry answered within this many hours of arriving is answered on time."""
    return int(settings.SENDA_INQUIRY_TARGET_HOURS)


def service_verified_days() -> int:
    """A service verified within this many days before the period's end counts as verified:
    the directory's own freshness rule (``SENDA_STALE_SERVICE_DAYS``, 180 by default)."""
    return int(settings.SENDA_STALE_SERVICE_DAYS)


# ---------------------------------------------------------------------------------------------
# Building blocks


ExpressionFactory = Callable[[], Any]


@dataclass(frozen=True)
class Dimension:
    """How a source computes one dimension's key for each record."""

    expression: ExpressionFactory
    # A record may fall under several values (an orientation covers several topics): totals
    # of such a dimension are not the sum of its values.
    multi_valued: bool = False
    # For the dashboard's filters (country, area, sex...): the lookup to filter records by
    # without computing the expression (an index can serve it); None: filter on the expression.
    filter_q: Callable[[Iterable[str]], Q] | None = None


@dataclass(frozen=True)
class FilterField:
    """A field an indicator may filter the source's records on."""

    label: Promise
    choices: Callable[[], list[tuple[str, str]]]
    # Plain values: the records whose field is one of the chosen values.
    lookup: str = ""
    # Yes/no conditions ("attended"): the condition for "yes"; "no" is its negation.
    condition: Callable[[], Q] | None = None
    # Many-to-many (topics): filtered with EXISTS so a record is never counted twice.
    exists: Callable[[list[str]], Exists] | None = None

    def q(self, values: list[str]) -> Q | Exists:
        if self.condition is not None:
            wanted = set(values)
            if wanted == {"yes"}:
                return self.condition()
            if wanted == {"no"}:
                return ~self.condition()
            return Q()
        if self.exists is not None:
            return self.exists(values)
        return Q(**{f"{self.lookup}__in": values})


@dataclass(frozen=True)
class Duration:
    label: Promise
    start: str
    end: str


@dataclass(frozen=True)
class Source:
    key: str
    label: Promise
    model: type[Model]
    # The date (or date and time) that places a record in a period.
    date_field: str
    date_is_datetime: bool
    # Whose records count: the programme's organisations (``organisation_field``) or its
    # campaigns (``campaign_field``).
    scope: str
    organisation_field: str
    contributor: str
    measures: tuple[str, ...]
    default_measure: str
    dimensions: dict[str, Dimension]
    filters: dict[str, FilterField] = field(default_factory=dict)
    durations: dict[str, Duration] = field(default_factory=dict)
    campaign_field: str = ""
    person_field: str = ""
    tally_field: str = ""
    # Records counted as they stand at the end of the period (services verified within the
    # last N days), not as they happened during it.
    window_days: Callable[[], int] | None = None
    base: Callable[[], QuerySet[Any]] | None = None

    def queryset(self) -> QuerySet[Any]:
        if self.base is not None:
            return self.base()
        return self.model._default_manager.all()

    def date_filter(self, start: datetime.date, end: datetime.date) -> Q:
        """The records of the period ``start``..``end`` (both included)."""
        if self.window_days is not None:
            start = max(start, end - datetime.timedelta(days=self.window_days() - 1))
        if not self.date_is_datetime:
            return Q(**{f"{self.date_field}__gte": start, f"{self.date_field}__lte": end})
        # Bounds in the active time zone: the day a worker recorded something is their day.
        zone = timezone.get_current_timezone()
        low = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
        high = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min)
        return Q(
            **{
                f"{self.date_field}__gte": low,
                f"{self.date_field}__lt": high.replace(tzinfo=zone),
            }
        )

    @property
    def additive_contributors(self) -> bool:
        """Whether contributors add up across groups (a person may be in several months)."""
        return self.contributor in (RECORD, TALLY) or self.key == "people"


def _choices(choices: Iterable[tuple[Any, Any]]) -> Callable[[], list[tuple[str, str]]]:
    items = list(choices)
    return lambda: [(str(value), str(label)) for value, label in items]


def _yes_no() -> list[tuple[str, str]]:
    return [("yes", str(_("Yes"))), ("no", str(_("No")))]


def _country_choices() -> list[tuple[str, str]]:
    from senda.geo.models import Country

    return [(country.code, str(country)) for country in Country.objects.all()]


def _topic_choices(use: str) -> Callable[[], list[tuple[str, str]]]:
    def choices() -> list[tuple[str, str]]:
        return [(topic.slug, str(topic)) for topic in Topic.objects.filter(use=use)]

    return choices


def area_level1(*paths: str) -> ExpressionFactory:
    """The admin level-1 p-code of the first of ``paths`` (area foreign keys) that is set:
    a level-2 area rolls up to its parent."""

    def one(path: str) -> Expression:
        return Case(
            When(**{f"{path}__level__gte": 2}, then=F(f"{path}__parent")),
            default=F(path),
            output_field=CharField(),
        )

    def build() -> Any:
        if len(paths) == 1:
            return one(paths[0])
        return Coalesce(*(one(path) for path in paths), output_field=CharField())

    return build


def area_filter(*paths: str) -> Callable[[Iterable[str]], Q]:
    def build(pcodes: Iterable[str]) -> Q:
        codes = list(pcodes)
        condition = Q()
        first = True
        for path in paths:
            # A later path only counts when the earlier ones are empty (as in ``area_level1``).
            here = Q(**{f"{path}__in": codes}) | Q(**{f"{path}__parent__in": codes})
            if not first:
                for earlier in paths[: paths.index(path)]:
                    here &= Q(**{f"{earlier}__isnull": True})
            condition = here if first else condition | here
            first = False
        return condition

    return build


def field_of(path: str) -> ExpressionFactory:
    return lambda: F(path)


def lookup_in(path: str) -> Callable[[Iterable[str]], Q]:
    return lambda values: Q(**{f"{path}__in": list(values)})


# SQLite evaluates periods natively for date-times from here to there (UTC); outside, and
# whenever the zone or the connection is unusual, it calls Django's own function as before.
NATIVE_FROM = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
NATIVE_UNTIL = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)
SQLITE_MOMENT = "%Y-%m-%d %H:%M:%S"  # how Django stores a date-time in SQLite (UTC)


@functools.lru_cache(maxsize=32)
def utc_offsets(zone_name: str) -> tuple[tuple[str, int], ...]:
    """The offsets from UTC (seconds) of ``zone_name`` between NATIVE_FROM and NATIVE_UNTIL,
    as (first UTC moment in SQLite's text, offset), oldest first. zoneinfo keeps its
    transitions private, so the zone is sampled daily and each change found to the second
    (no zone changes its offset twice within a day)."""
    zone = zoneinfo.ZoneInfo(zone_name)

    def offset_at(moment: datetime.datetime) -> int:
        offset = moment.astimezone(zone).utcoffset()
        return int(offset.total_seconds()) if offset is not None else 0

    day = datetime.timedelta(days=1)
    moment = NATIVE_FROM
    current = offset_at(moment)
    offsets = [(moment.strftime(SQLITE_MOMENT), current)]
    while moment < NATIVE_UNTIL:
        following = moment + day
        if offset_at(following) != current:
            low, high = 0, 86400  # seconds after ``moment``: low keeps the old offset
            while high - low > 1:
                middle = (low + high) // 2
                if offset_at(moment + datetime.timedelta(seconds=middle)) == current:
                    low = middle
                else:
                    high = middle
            changed = moment + datetime.timedelta(seconds=high)
            current = offset_at(changed)
            offsets.append((changed.strftime(SQLITE_MOMENT), current))
        moment = following
    return tuple(offsets)


class PeriodStart(Func):
    """The first day (a date) of the week (Monday), month or quarter of a date or a date-time,
    a date-time read in the active time zone: Django's Trunc, except on SQLite, where Trunc
    calls a Python function for every row. There the same keys come from SQLite's own
    ``date()``, shifted by the zone's offset from UTC at that moment (found by comparing the
    stored UTC text with the zone's transitions)."""

    output_field = DateField()

    def __init__(self, expression: Any, kind: str) -> None:
        if kind not in TIME_DIMENSIONS:
            raise ValueError(f"Not a period: {kind!r}")
        self.kind = kind
        super().__init__(Trunc(expression, kind, output_field=DateField()))

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> Any:
        return compiler.compile(self.get_source_expressions()[0])

    def get_db_converters(self, connection: Any) -> list[Any]:
        # PostgreSQL answers DATE_TRUNC with a timestamp; Trunc's own conversion to a date
        # belongs to Trunc's output, which this wraps.
        return [_to_date, *super().get_db_converters(connection)]

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        trunc = self.get_source_expressions()[0]
        column, params = compiler.compile(trunc.lhs)
        if params:
            # A column is written without parameters; anything else is left to Django.
            return compiler.compile(trunc)
        if not isinstance(trunc.lhs.output_field, DateTimeField):
            return _period_sql(self.kind, column), ()
        zone_name = _native_zone_name(connection)
        if zone_name is None:
            return compiler.compile(trunc)
        # Whole seconds: SQLite rounds fractions to the millisecond, and 23:59:59.9999 would
        # become the next day.
        shifted = f"substr({column}, 1, 19), {_offset_modifier(column, utc_offsets(zone_name))}"
        native = _period_sql(self.kind, shifted)
        # Outside the years whose offsets are known, Django's function, as before.
        django_sql, django_params = compiler.compile(trunc)
        low = NATIVE_FROM.strftime(SQLITE_MOMENT)
        high = NATIVE_UNTIL.strftime(SQLITE_MOMENT)
        sql = (
            f"CASE WHEN {column} < '{low}' OR {column} >= '{high}' THEN {django_sql}"
            f" ELSE {native} END"
        )
        return sql, tuple(django_params)


def _to_date(value: Any, expression: Any, connection: Any) -> Any:
    return value.date() if isinstance(value, datetime.datetime) else value


def _period_sql(kind: str, value: str) -> str:
    """SQLite: the first day of the period of ``value`` (``date()``'s arguments: a date or a
    date-time and its modifiers). No ``%`` anywhere: SQL without parameters keeps it as is."""
    if kind == "week":
        return f"date({value}, '-6 days', 'weekday 1')"
    if kind == "month":
        return f"date({value}, 'start of month')"
    month = f"CAST(substr(date({value}), 6, 2) AS INTEGER)"
    return f"date({value}, 'start of year', '+' || ((({month} - 1) / 3) * 3) || ' months')"


def _native_zone_name(connection: Any) -> str | None:
    """The active zone's name when SQLite can shift by it as Django's function would (dates
    stored in UTC, a plain zone name), else None."""
    if not settings.USE_TZ:
        return "UTC"
    if connection.timezone_name != "UTC":
        return None
    name = timezone.get_current_timezone_name()
    # Django reads "+05:00" or "Zone-03:00" as offsets of their own: left to Django.
    if re.search(r"[+-]\d", name):
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    return name


def _offset_modifier(column: str, offsets: tuple[tuple[str, int], ...]) -> str:
    """A ``date()`` modifier shifting ``column`` (UTC text) by the offset in force then: the
    latest offset first (most records are recent), then a binary search of the others."""

    def literal(seconds: int) -> str:
        return f"'{seconds:+d} seconds'"

    def search(items: tuple[tuple[str, int], ...]) -> str:
        if len(items) == 1:
            return literal(items[0][1])
        middle = len(items) // 2
        return (
            f"CASE WHEN {column} < '{items[middle][0]}' THEN {search(items[:middle])}"
            f" ELSE {search(items[middle:])} END"
        )

    if len(offsets) == 1:
        return literal(offsets[0][1])
    latest_moment, latest_offset = offsets[-1]
    return (
        f"CASE WHEN {column} >= '{latest_moment}' THEN {literal(latest_offset)}"
        f" ELSE {search(offsets[:-1])} END"
    )


def periods(date_field: str, is_datetime: bool) -> dict[str, Dimension]:
    """Week, month and quarter of ``date_field`` (a date, or a date-time in the active time
    zone), truncated by the database: ``PeriodStart``."""
    del is_datetime  # PeriodStart handles dates and date-times alike
    return {
        kind: Dimension(lambda kind=kind: PeriodStart(date_field, kind))  # type: ignore[misc]
        for kind in TIME_DIMENSIONS
    }


def person_country() -> Dimension:
    """The country of a record about a person: the person's area's, else (no area recorded)
    the organisation's."""
    return Dimension(
        lambda: Coalesce(F("person__area__country"), F("organisation__country")),
        filter_q=lambda codes: (
            Q(person__area__country__in=list(codes))
            | Q(person__area__isnull=True, organisation__country__in=list(codes))
        ),
    )


def person_dimensions(prefix: str) -> dict[str, Dimension]:
    """Sex, age group, nationality and community of the person behind a record."""
    return {
        name: Dimension(field_of(f"{prefix}{name}"), filter_q=lookup_in(f"{prefix}{name}"))
        for name in ("sex", "age_group", "nationality", "community")
    }


def person_filters(prefix: str) -> dict[str, FilterField]:
    return {
        "sex": FilterField(_("Sex"), _choices(Sex.choices), lookup=f"{prefix}sex"),
        "age_group": FilterField(
            _("Age group"), _choices(AgeGroup.choices), lookup=f"{prefix}age_group"
        ),
        "community": FilterField(
            _("Migrant or host"), _choices(Community.choices), lookup=f"{prefix}community"
        ),
        "nationality": FilterField(
            _("Nationality"), _country_choices, lookup=f"{prefix}nationality"
        ),
    }


# ---------------------------------------------------------------------------------------------
# The sources


def _people() -> Source:
    area = ("area",)
    return Source(
        key="people",
        label=_("People registered"),
        model=Person,
        date_field="registered_at",
        date_is_datetime=True,
        scope="organisation",
        organisation_field="organisation",
        contributor=PERSON,
        person_field="id",
        measures=("count", "people"),
        default_measure="people",
        # A merged duplicate is the same person as the record it was merged into: counted
        # once. Erased people were reached all the same (their aggregate fields stay).
        base=lambda: Person.objects.filter(merged_into__isnull=True),
        dimensions={
            "country": Dimension(
                lambda: Coalesce(F("area__country"), F("organisation__country")),
                filter_q=lambda codes: (
                    Q(area__country__in=list(codes))
                    | Q(area__isnull=True, organisation__country__in=list(codes))
                ),
            ),
            "area": Dimension(area_level1(*area), filter_q=area_filter(*area)),
            **periods("registered_at", True),
            "organisation": Dimension(field_of("organisation")),
            **person_dimensions(""),
        },
        filters=person_filters(""),
    )


def _outreach() -> Source:
    return Source(
        key="outreach",
        label=_("People reached by outreach (tallies)"),
        model=OutreachTally,
        date_field="activity__date",
        date_is_datetime=False,
        scope="organisation",
        organisation_field="activity__organisation",
        contributor=TALLY,
        tally_field="count",
        measures=("sum",),
        default_measure="sum",
        dimensions={
            "country": Dimension(
                field_of("activity__area__country"),
                filter_q=lookup_in("activity__area__country"),
            ),
            "area": Dimension(
                area_level1("activity__area"), filter_q=area_filter("activity__area")
            ),
            **periods("activity__date", False),
            "organisation": Dimension(field_of("activity__organisation")),
            "sex": Dimension(field_of("sex"), filter_q=lookup_in("sex")),
            "age_group": Dimension(field_of("age_group"), filter_q=lookup_in("age_group")),
            "community": Dimension(field_of("community"), filter_q=lookup_in("community")),
        },
        filters={
            "sex": FilterField(_("Sex"), _choices(Sex.choices), lookup="sex"),
            "age_group": FilterField(
                _("Age group"), _choices(AgeGroup.choices), lookup="age_group"
            ),
            "community": FilterField(
                _("Migrant or host"), _choices(Community.choices), lookup="community"
            ),
            "place_type": FilterField(
                _("Place"), _choices(PlaceType.choices), lookup="activity__place_type"
            ),
        },
    )


def _orientation_topic_exists(slugs: list[str]) -> Exists:
    through = Orientation.topics.through
    return Exists(through.objects.filter(orientation_id=OuterRef("pk"), topic__slug__in=slugs))


def _training_topic_exists(slugs: list[str]) -> Exists:
    through = TrainingEvent.topics.through
    return Exists(
        through.objects.filter(trainingevent_id=OuterRef("event_id"), topic__slug__in=slugs)
    )


def _orientations() -> Source:
    area = ("area", "person__area")
    return Source(
        key="orientations",
        label=_("Orientations"),
        model=Orientation,
        date_field="occurred_at",
        date_is_datetime=True,
        scope="organisation",
        organisation_field="organisation",
        contributor=PERSON,
        person_field="person",
        measures=("count", "people"),
        default_measure="count",
        dimensions={
            "country": Dimension(
                lambda: Coalesce(F("area__country"), F("person__area__country")),
                filter_q=lambda codes: (
                    Q(area__country__in=list(codes))
                    | Q(area__isnull=True, person__area__country__in=list(codes))
                ),
            ),
            "area": Dimension(area_level1(*area), filter_q=area_filter(*area)),
            **periods("occurred_at", True),
            "organisation": Dimension(field_of("organisation")),
            **person_dimensions("person__"),
            "topic": Dimension(field_of("topics__slug"), multi_valued=True),
            "channel": Dimension(field_of("channel")),
        },
        filters={
            **person_filters("person__"),
            "topic": FilterField(
                _("Topic"),
                _topic_choices(TopicUse.ORIENTATION),
                exists=_orientation_topic_exists,
            ),
            "channel": FilterField(
                _("Channel"), _choices(ContactChannel.choices), lookup="channel"
            ),
            "place_type": FilterField(_("Place"), _choices(PlaceType.choices), lookup="place_type"),
            "outcome": FilterField(
                _("Outcome"), _choices(OrientationOutcome.choices), lookup="outcome"
            ),
        },
    )


def _referrals() -> Source:
    area = ("person__area",)
    return Source(
        key="referrals",
        label=_("Referrals sent"),
        model=Referral,
        date_field="sent_at",
        date_is_datetime=True,
        scope="organisation",
        organisation_field="organisation",
        contributor=PERSON,
        person_field="person",
        measures=("count", "people", "share", "median_days"),
        default_measure="count",
        dimensions={
            "country": person_country(),
            "area": Dimension(area_level1(*area), filter_q=area_filter(*area)),
            **periods("sent_at", True),
            "organisation": Dimension(field_of("organisation")),
            **person_dimensions("person__"),
            "reason": Dimension(field_of("reason")),
            "status": Dimension(field_of("status")),
        },
        filters={
            **person_filters("person__"),
            "reason": FilterField(_("Reason"), _choices(ReferralReason.choices), lookup="reason"),
            "status": FilterField(_("Status"), _choices(ReferralStatus.choices), lookup="status"),
            "urgency": FilterField(_("Urgency"), _choices(Urgency.choices), lookup="urgency"),
            "attended": FilterField(
                _("Attended"), _yes_no, condition=lambda: Q(attended_at__isnull=False)
            ),
        },
        durations={
            "sent_to_attended": Duration(_("From sent to attended"), "sent_at", "attended_at"),
        },
    )


def _follow_ups() -> Source:
    area = ("person__area",)
    return Source(
        key="follow_ups",
        label=_("Follow-ups due"),
        model=FollowUp,
        date_field="due_on",
        date_is_datetime=False,
        scope="organisation",
        organisation_field="organisation",
        contributor=PERSON,
        person_field="person",
        measures=("count", "people", "share"),
        default_measure="count",
        base=lambda: FollowUp.objects.annotate(completed_day=TruncDate("completed_at")),
        dimensions={
            "country": person_country(),
            "area": Dimension(area_level1(*area), filter_q=area_filter(*area)),
            **periods("due_on", False),
            "organisation": Dimension(field_of("organisation")),
            **person_dimensions("person__"),
            "status": Dimension(field_of("status")),
        },
        filters={
            **person_filters("person__"),
            "status": FilterField(_("Status"), _choices(FollowUpStatus.choices), lookup="status"),
            # Done on time: completed on or before the day it was due.
            "done_on_time": FilterField(
                _("Done on time"),
                _yes_no,
                condition=lambda: Q(status=FollowUpStatus.DONE, completed_day__lte=F("due_on")),
            ),
        },
    )


def _inquiry_campaign() -> Any:
    from senda.campaigns.models import Placement

    return Subquery(Placement.objects.filter(code=OuterRef("via")).values("campaign")[:1])


def _inquiry_campaign_filter(campaign_ids: Iterable[str]) -> Q:
    from senda.campaigns.models import Placement

    codes = Placement.objects.filter(campaign__in=list(campaign_ids)).values("code")
    return Q(via__in=codes)


def _answered_in_time() -> Q:
    target = datetime.timedelta(hours=inquiry_target_hours())
    return Q(answered_at__isnull=False, answered_at__lte=F("created_at") + target)


def _inquiries() -> Source:
    return Source(
        key="inquiries",
        label=_("Requests for information"),
        model=Inquiry,
        date_field="created_at",
        date_is_datetime=True,
        scope="organisation",
        organisation_field="organisation",
        contributor=RECORD,
        measures=("count", "share", "median_days"),
        default_measure="count",
        dimensions={
            "country": Dimension(field_of("country"), filter_q=lookup_in("country")),
            "area": Dimension(area_level1("area"), filter_q=area_filter("area")),
            **periods("created_at", True),
            "organisation": Dimension(field_of("organisation")),
            "campaign": Dimension(
                _inquiry_campaign,
                filter_q=_inquiry_campaign_filter,
            ),
            "status": Dimension(field_of("status")),
        },
        filters={
            "status": FilterField(_("Status"), _choices(InquiryStatus.choices), lookup="status"),
            "outcome": FilterField(_("Outcome"), _choices(Outcome.choices), lookup="outcome"),
            "answered_in_time": FilterField(
                _("Answered within the target time"), _yes_no, condition=_answered_in_time
            ),
            "genuine": FilterField(
                _("Not a duplicate or spam"),
                _yes_no,
                condition=lambda: ~Q(outcome=Outcome.DUPLICATE_OR_SPAM),
            ),
        },
        durations={
            "created_to_answered": Duration(
                _("From received to answered"), "created_at", "answered_at"
            ),
        },
    )


def _placement_counts() -> Source:
    return Source(
        key="placement_counts",
        label=_("Campaign reach (visits, checklists, information requests)"),
        model=PlacementDailyCount,
        date_field="day",
        date_is_datetime=False,
        scope="campaign",
        organisation_field="placement__campaign__owner",
        campaign_field="placement__campaign",
        contributor=TALLY,
        tally_field="count",
        measures=("sum",),
        default_measure="sum",
        dimensions={
            "country": Dimension(
                field_of("placement__campaign__country"),
                filter_q=lookup_in("placement__campaign__country"),
            ),
            **periods("day", False),
            "organisation": Dimension(field_of("placement__campaign__owner")),
            "campaign": Dimension(
                field_of("placement__campaign"), filter_q=lookup_in("placement__campaign")
            ),
            "placement": Dimension(field_of("placement")),
            "event": Dimension(field_of("event")),
        },
        filters={
            "event": FilterField(_("Event"), _choices(PlacementEvent.choices), lookup="event"),
            "placement_kind": FilterField(
                _("Kind of placement"), _choices(PlacementKind.choices), lookup="placement__kind"
            ),
        },
    )


def _services() -> Source:
    return Source(
        key="services_verified",
        label=_("Services verified in the last 180 days"),
        model=Service,
        date_field="assured_date",
        date_is_datetime=False,
        scope="organisation",
        organisation_field="owner",
        contributor=RECORD,
        measures=("count",),
        default_measure="count",
        window_days=service_verified_days,
        base=lambda: Service.objects.filter(publication_status=PublicationStatus.PUBLISHED),
        dimensions={
            "country": Dimension(field_of("owner__country"), filter_q=lookup_in("owner__country")),
            **periods("assured_date", False),
            "organisation": Dimension(field_of("owner")),
        },
        filters={},
    )


def _training() -> Source:
    return Source(
        key="training",
        label=_("People trained"),
        model=TrainingParticipant,
        date_field="event__ends_on",
        date_is_datetime=False,
        scope="organisation",
        organisation_field="event__organisation",
        contributor=RECORD,
        measures=("count",),
        default_measure="count",
        dimensions={
            "country": Dimension(
                field_of("event__area__country"), filter_q=lookup_in("event__area__country")
            ),
            "area": Dimension(area_level1("event__area"), filter_q=area_filter("event__area")),
            **periods("event__ends_on", False),
            "organisation": Dimension(field_of("event__organisation")),
            "topic": Dimension(field_of("event__topics__slug"), multi_valued=True),
            "role": Dimension(field_of("role")),
            "status": Dimension(field_of("status")),
        },
        filters={
            "status": FilterField(
                _("Status"), _choices(ParticipationStatus.choices), lookup="status"
            ),
            "role": FilterField(_("Role"), _choices(ParticipantRole.choices), lookup="role"),
            "topic": FilterField(
                _("Topic"),
                _topic_choices(TopicUse.TRAINING),
                exists=_training_topic_exists,
            ),
        },
    )


SOURCES: dict[str, Source] = {
    source.key: source
    for source in (
        _people(),
        _outreach(),
        _orientations(),
        _referrals(),
        _follow_ups(),
        _inquiries(),
        _placement_counts(),
        _services(),
        _training(),
    )
}


def source_get(key: str) -> Source | None:
    return SOURCES.get(key)


def source_choices() -> list[tuple[str, str]]:
    return [(source.key, str(source.label)) for source in SOURCES.values()]


# ---------------------------------------------------------------------------------------------
# Labels of dimension values


def period_label(dimension: str, key: str) -> str:
    try:
        day = datetime.date.fromisoformat(key)
    except ValueError:
        return key
    if dimension == "month":
        return date_format(day, "F Y")
    if dimension == "quarter":
        return str(
            _("Q%(quarter)d %(year)d") % {"quarter": (day.month - 1) // 3 + 1, "year": day.year}
        )
    return str(_("Week of %(day)s") % {"day": date_format(day, "SHORT_DATE_FORMAT")})


def dimension_labels(dimension: str, keys: Iterable[str]) -> dict[str, str]:
    """Display labels (active language) of ``keys`` of ``dimension``: one query at most."""
    wanted = sorted({key for key in keys if key and key != UNKNOWN})
    labels: dict[str, str] = {}
    if dimension in TIME_DIMENSIONS:
        labels = {key: period_label(dimension, key) for key in wanted}
    elif dimension in ("country", "nationality"):
        from senda.geo.models import Country

        labels = {c.code: str(c) for c in Country.objects.filter(code__in=wanted)}
    elif dimension == "area":
        from senda.geo.models import AdminArea

        labels = {a.pcode: a.name for a in AdminArea.objects.filter(pcode__in=wanted)}
    elif dimension == "organisation":
        from senda.accounts.models import Organisation

        labels = {str(o.pk): o.name for o in Organisation.objects.filter(pk__in=wanted)}
    elif dimension == "campaign":
        from senda.campaigns.models import Campaign

        ids = [int(key) for key in wanted if key.isdigit()]
        labels = {str(c.pk): str(c) for c in Campaign.objects.filter(pk__in=ids).defer("logo")}
    elif dimension == "placement":
        from senda.campaigns.models import Placement

        ids = [int(key) for key in wanted if key.isdigit()]
        labels = {str(p.pk): str(p) for p in Placement.objects.filter(pk__in=ids)}
    elif dimension == "topic":
        labels = {t.slug: str(t) for t in Topic.objects.filter(slug__in=wanted)}
    else:
        labels = {str(value): str(label) for value, label in STATIC_LABELS.get(dimension, [])}
    result = {key: labels.get(key, key) for key in wanted}
    if UNKNOWN in set(keys):
        result[UNKNOWN] = str(_("Not recorded"))
    return result


STATIC_LABELS: dict[str, list[tuple[Any, Any]]] = {
    "sex": list(Sex.choices),
    "age_group": list(AgeGroup.choices),
    "community": list(Community.choices),
    "reason": list(ReferralReason.choices),
    "status": [
        *ReferralStatus.choices,
        *FollowUpStatus.choices,
        *InquiryStatus.choices,
        *ParticipationStatus.choices,
    ],
    "event": list(PlacementEvent.choices),
    "role": list(ParticipantRole.choices),
    "channel": list(ContactChannel.choices),
}
