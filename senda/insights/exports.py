"""Exports built as HXL tables: pseudonymised record-level data of the user's organisation, and
"who does what where" (3W) of a programme's partners.

Record-level exports never read a personal field: names, phones, card codes and notes are not
even selected (so never decrypted). Ids are replaced by keyed pseudonyms, dates are coarsened to
the month or ISO week, years of birth become age groups and areas are kept at level 1.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability, PeopleScope, people_scope, role_can
from senda.casework.access import people_visible_to
from senda.casework.models import (
    AgeGroup,
    Community,
    DoseTally,
    FollowUp,
    FollowUpStatus,
    Orientation,
    OutreachActivity,
    OutreachTally,
    ParticipationStatus,
    Person,
    Referral,
    Sex,
    TrainingEvent,
    TrainingParticipant,
    VaccinationSession,
    age_group_for,
)
from senda.core.audit import audit
from senda.core.crypto import keyed_hash
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.directory.models import (
    Location,
    PublicationStatus,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from senda.geo.models import AdminArea
from senda.insights.engine import Cell, Filters, Table, indicator_table
from senda.insights.hxl import Column, HxlTable, Value
from senda.insights.models import Indicator, Programme
from senda.insights.sources import DIMENSION_LABELS
from senda.insights.suppression import Figure, suppress_counts, threshold

# ---------------------------------------------------------------------------------------------
# Pseudonyms


def _pseudonym_key() -> bytes:
    # Derived from the first search key (itself from the environment, never the database), for
    # this purpose only: knowing a pseudonym says nothing about a search hash, and the reverse.
    # Not cached here: the search keys are (and a rotation resets them), and one HMAC is cheap.
    return bytes.fromhex(keyed_hash("insights.export-pseudonyms", "v1"))


def pseudonym(kind: str, record_id: object) -> str:
    """A stable pseudonymous id for a record: the same in every export (files can be joined),
    different for each kind of record, and not reversible without the key. 64 bits: no
    collision is expected below billions of records. A rotation of the first search key
    (``SENDA_SEARCH_KEYS``) gives new pseudonyms: files exported before and after it do not
    join."""
    digest = hmac.new(_pseudonym_key(), f"{kind}:{record_id}".encode(), hashlib.sha256)
    return f"{kind[0]}-{digest.hexdigest()[:16]}"


# ---------------------------------------------------------------------------------------------
# Coarsening


class DatePrecision(StrEnum):
    MONTH = "month"
    WEEK = "week"


def coarse_date(value: datetime.date | datetime.datetime | None, precision: str) -> str | None:
    """ "2026-03" (month) or "2026-W09" (ISO week) for a date or a moment (in local time)."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    if precision == DatePrecision.WEEK:
        year, week, _weekday = value.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{value.year}-{value.month:02d}"


@dataclass(frozen=True)
class AreaInfo:
    """Where an area sits: its own p-code and level, and the level-1 area containing it."""

    pcode: str
    name: str
    level: int
    country: str
    adm1_pcode: str
    adm1_name: str


@lru_cache(maxsize=1)
def _areas_by_pcode() -> dict[str, AreaInfo]:
    # Reference data loaded by a migration: a few hundred rows, read once per process.
    areas = {area.pcode: area for area in AdminArea.objects.all()}
    result: dict[str, AreaInfo] = {}
    for pcode, area in areas.items():
        top = area
        while top.level > 1 and top.parent_id and top.parent_id in areas:
            top = areas[top.parent_id]
        result[pcode] = AreaInfo(pcode, area.name, area.level, area.country_id, top.pcode, top.name)
    return result


def area_info(pcode: str | None) -> AreaInfo | None:
    """What is known of the area ``pcode`` (None for no area)."""
    if not pcode:
        return None
    found = _areas_by_pcode().get(pcode)
    if found is None:
        _areas_by_pcode.cache_clear()  # an area added since: read again once
        found = _areas_by_pcode().get(pcode)
    return found


# ---------------------------------------------------------------------------------------------
# Record-level exports


class RecordKind(StrEnum):
    PEOPLE = "people"
    ORIENTATIONS = "orientations"
    REFERRALS = "referrals"
    FOLLOW_UPS = "follow_ups"


def record_kind_labels() -> dict[str, str]:
    return {
        RecordKind.PEOPLE: _("People reached"),
        RecordKind.ORIENTATIONS: _("Orientations"),
        RecordKind.REFERRALS: _("Referrals"),
        RecordKind.FOLLOW_UPS: _("Follow-ups"),
    }


def record_export_organisation(*, user: User) -> Organisation:
    """The organisation whose records ``user`` may export: that of their active membership,
    when its role both manages insights and sees every person there. Refused otherwise."""
    membership = user.active_membership() if user.is_authenticated and user.is_active else None
    if membership is None:
        raise PermissionDeniedError(_("You are not a member of an organisation."))
    if not role_can(membership.role, Capability.INSIGHTS_MANAGE) or (
        people_scope(membership.role) is not PeopleScope.ORGANISATION
    ):
        raise PermissionDeniedError(
            _(
                "Exporting record-level data needs a role that manages insights and sees "
                "every person of the organisation."
            )
        )
    return membership.organisation


def may_export_records(user: User) -> bool:
    try:
        record_export_organisation(user=user)
    except PermissionDeniedError:
        return False
    return True


def _people(user: User, organisation: Organisation) -> QuerySet[Person]:
    # Erased and merged records are left out: what remains of them is not a person any more.
    return people_visible_to(user=user).filter(organisation=organisation)


def _removed_note(precision: str) -> list[str]:
    coarse = _("the month") if precision == DatePrecision.MONTH else _("the ISO week")
    return [
        _(
            "Pseudonymised export: names, phone numbers, card codes, free-text notes and who "
            "recorded each record were removed."
        ),
        _(
            "Ids are pseudonyms: the same record has the same id in every export, so files "
            "can be joined, but an id cannot be turned back into the record."
        ),
        _(
            "Dates are reduced to %(precision)s; years of birth to age groups; areas to the "
            "first administrative level."
        )
        % {"precision": coarse},
    ]


def _area_values(pcode: str | None) -> list[Value]:
    area = area_info(pcode)
    if area is None:
        return [None, None, None]
    return [area.country, area.adm1_pcode, area.adm1_name]


def _area_columns() -> list[Column]:
    return [
        Column(_("Country"), "#country+code"),
        Column(_("Area (p-code)"), "#adm1+code"),
        Column(_("Area"), "#adm1+name"),
    ]


def _age_group(year_of_birth: int | None, registered_at: datetime.datetime, stored: str) -> str:
    if year_of_birth:
        return age_group_for(timezone.localtime(registered_at).year - year_of_birth)
    return stored


# A record table and how many rows it will have (for the audit: its rows are read while the
# file is written, never held in memory whole).
RecordTable = tuple[HxlTable, int]
CHUNK = 2000


def _people_table(user: User, organisation: Organisation, precision: str) -> RecordTable:
    table = HxlTable(
        title=_("People reached"),
        columns=[
            Column(_("Person id"), "#meta+person+id"),
            Column(_("Organisation"), "#org+name"),
            Column(_("Registered"), f"#date+registered+{precision}"),
            Column(_("Sex"), "#meta+sex"),
            Column(_("Age group"), "#meta+age_group"),
            Column(_("Nationality"), "#meta+nationality+code"),
            Column(_("Migrant or host community"), "#meta+community"),
            *_area_columns(),
        ],
    )
    people = _people(user, organisation)
    rows = people.order_by("registered_at", "id").values_list(
        "id",
        "registered_at",
        "sex",
        "year_of_birth",
        "age_group",
        "nationality_id",
        "community",
        "area_id",
    )

    def lines() -> Iterator[list[Value]]:
        for (
            person_id,
            registered_at,
            sex,
            year,
            group,
            nationality,
            community,
            area,
        ) in rows.iterator(chunk_size=CHUNK):
            yield [
                pseudonym("person", person_id),
                organisation.name,
                coarse_date(registered_at, precision),
                sex,
                _age_group(year, registered_at, group),
                nationality,
                community,
                *_area_values(area),
            ]

    table.stream = lines()
    return table, people.count()


def _chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _orientations_table(user: User, organisation: Organisation, precision: str) -> RecordTable:
    table = HxlTable(
        title=_("Orientations"),
        columns=[
            Column(_("Orientation id"), "#meta+id"),
            Column(_("Person id"), "#meta+person+id"),
            Column(_("Organisation"), "#org+name"),
            Column(_("When"), f"#date+{precision}"),
            Column(_("Topics"), "#meta+topic"),
            Column(_("Channel"), "#meta+channel"),
            Column(_("Place"), "#meta+place"),
            Column(_("Outcome"), "#meta+outcome"),
            *_area_columns(),
        ],
    )
    orientations = Orientation.objects.filter(
        organisation=organisation, person__in=_people(user, organisation)
    )
    rows = orientations.order_by("occurred_at", "id").values_list(
        "id", "person_id", "occurred_at", "channel", "place_type", "outcome", "area_id"
    )

    def lines() -> Iterator[list[Value]]:
        for chunk in _chunks(rows.iterator(chunk_size=CHUNK), CHUNK):
            # The topics of this chunk's orientations: one query per chunk.
            topics: dict[Any, list[str]] = defaultdict(list)
            for orientation_id, slug in (
                Orientation.topics.through.objects.filter(
                    orientation_id__in=[row[0] for row in chunk]
                )
                .order_by("topic__position", "topic__slug")
                .values_list("orientation_id", "topic__slug")
            ):
                topics[orientation_id].append(slug)
            for orientation_id, person_id, occurred_at, channel, place, outcome, area in chunk:
                yield [
                    pseudonym("orientation", orientation_id),
                    pseudonym("person", person_id),
                    organisation.name,
                    coarse_date(occurred_at, precision),
                    ";".join(topics.get(orientation_id, [])),
                    channel,
                    place,
                    outcome,
                    *_area_values(area),
                ]

    table.stream = lines()
    return table, orientations.count()


def _referrals_table(user: User, organisation: Organisation, precision: str) -> RecordTable:
    table = HxlTable(
        title=_("Referrals"),
        columns=[
            Column(_("Referral id"), "#meta+id"),
            Column(_("Person id"), "#meta+person+id"),
            Column(_("Referring organisation"), "#org+referring+name"),
            Column(_("Receiving organisation"), "#org+receiving+name"),
            Column(_("Reason"), "#meta+reason"),
            Column(_("Urgency"), "#meta+urgency"),
            Column(_("Status"), "#status"),
            Column(_("Outcome"), "#meta+outcome"),
            Column(_("Sent"), f"#date+sent+{precision}"),
            Column(_("Attended"), f"#date+attended+{precision}"),
            Column(_("Days from referral to attendance"), "#meta+days_to_attendance+num"),
            *_area_columns(),
        ],
    )
    referrals = Referral.objects.filter(
        organisation=organisation, person__in=_people(user, organisation)
    )
    rows = referrals.order_by("sent_at", "id").values_list(
        "id",
        "person_id",
        "receiving_organisation__name",
        "reason",
        "urgency",
        "status",
        "outcome",
        "sent_at",
        "attended_at",
        "location__admin_area_id",
    )

    def lines() -> Iterator[list[Value]]:
        for (
            referral_id,
            person_id,
            receiving,
            reason,
            urgency,
            status,
            outcome,
            sent_at,
            attended_at,
            area,
        ) in rows.iterator(chunk_size=CHUNK):
            days = (attended_at - sent_at).days if attended_at is not None else None
            yield [
                pseudonym("referral", referral_id),
                pseudonym("person", person_id),
                organisation.name,
                receiving,
                reason,
                urgency,
                status,
                outcome or None,
                coarse_date(sent_at, precision),
                coarse_date(attended_at, precision),
                days,
                *_area_values(area),
            ]

    table.stream = lines()
    return table, referrals.count()


def _follow_ups_table(user: User, organisation: Organisation, precision: str) -> RecordTable:
    table = HxlTable(
        title=_("Follow-ups"),
        columns=[
            Column(_("Follow-up id"), "#meta+id"),
            Column(_("Person id"), "#meta+person+id"),
            Column(_("Referral id"), "#meta+referral+id"),
            Column(_("Organisation"), "#org+name"),
            Column(_("Due"), f"#date+due+{precision}"),
            Column(_("Status"), "#status"),
            Column(_("Done"), f"#date+completed+{precision}"),
            Column(_("Done on time"), "#meta+on_time"),
        ],
    )
    follow_ups = FollowUp.objects.filter(
        organisation=organisation, person__in=_people(user, organisation)
    )
    rows = follow_ups.order_by("due_on", "id").values_list(
        "id", "person_id", "referral_id", "due_on", "status", "completed_at"
    )

    def lines() -> Iterator[list[Value]]:
        for follow_up_id, person_id, referral_id, due_on, status, completed_at in rows.iterator(
            chunk_size=CHUNK
        ):
            on_time: bool | None = None
            if status == FollowUpStatus.DONE and completed_at is not None:
                on_time = timezone.localtime(completed_at).date() <= due_on
            yield [
                pseudonym("follow_up", follow_up_id),
                pseudonym("person", person_id),
                pseudonym("referral", referral_id) if referral_id else None,
                organisation.name,
                coarse_date(due_on, precision),
                status,
                coarse_date(completed_at, precision),
                on_time,
            ]

    table.stream = lines()
    return table, follow_ups.count()


RECORD_TABLES = {
    RecordKind.PEOPLE: _people_table,
    RecordKind.ORIENTATIONS: _orientations_table,
    RecordKind.REFERRALS: _referrals_table,
    RecordKind.FOLLOW_UPS: _follow_ups_table,
}


def _choice(value: str, choices: Iterable[str], field: str, message: str) -> str:
    if value not in set(choices):
        raise ValidationError({field: [message]})
    return value


@transaction.atomic
def records_export(
    *, actor: User, kind: str, precision: str = DatePrecision.MONTH, file_format: str = "csv"
) -> HxlTable:
    """The pseudonymised export of one kind of record of the actor's organisation (its rows
    are read as the file is written), audited ("insights.records_export": which kind, how
    many rows, which format)."""
    organisation = record_export_organisation(user=actor)
    kind = _choice(kind, RecordKind, "kind", _("Choose what to export."))
    precision = _choice(
        precision, DatePrecision, "precision", _("Choose the month or the ISO week for dates.")
    )
    table, rows = RECORD_TABLES[RecordKind(kind)](actor, organisation, precision)
    table.notes = [
        _("%(what)s of %(organisation)s, exported on %(date)s.")
        % {
            "what": record_kind_labels()[kind],
            "organisation": organisation.name,
            "date": timezone.localdate().isoformat(),
        },
        *_removed_note(precision),
    ]
    audit(
        actor=actor,
        action="insights.records_export",
        organisation=organisation,
        details={
            "kind": kind,
            "rows": rows,
            "format": file_format,
            "dates": precision,
            "removed": ["names", "phones", "card codes", "notes", "workers"],
        },
    )
    return table


# ---------------------------------------------------------------------------------------------
# Who does what where (3W): a programme's partners, their services and their activities


class ActivityKind(StrEnum):
    ORIENTATION = "orientation"
    REFERRAL = "referral"
    OUTREACH = "outreach"
    VACCINATION = "vaccination"
    TRAINING = "training"


def activity_kind_labels() -> dict[str, str]:
    return {
        ActivityKind.ORIENTATION: _("Orientations"),
        ActivityKind.REFERRAL: _("Referrals"),
        ActivityKind.OUTREACH: _("Outreach activities"),
        ActivityKind.VACCINATION: _("Vaccination sessions"),
        ActivityKind.TRAINING: _("Trainings"),
    }


CHILD_AGE_GROUPS = frozenset({AgeGroup.UNDER_5, AgeGroup.CHILD, AgeGroup.ADOLESCENT})
CHILDREN, ADULTS = "children", "adults"
SEXES = (Sex.FEMALE, Sex.MALE, Sex.OTHER)
BANDS = (CHILDREN, ADULTS)
COMMUNITIES = (Community.MIGRANT, Community.HOST)

# What each kind of activity records about the people it reaches (tallies of vaccination
# doses have an age group but no sex; trainings count their participants only).
KNOWN_BREAKDOWNS: dict[str, frozenset[str]] = {
    ActivityKind.ORIENTATION: frozenset({"sex", "age", "community"}),
    ActivityKind.REFERRAL: frozenset({"sex", "age", "community"}),
    ActivityKind.OUTREACH: frozenset({"sex", "age", "community"}),
    ActivityKind.VACCINATION: frozenset({"age"}),
    ActivityKind.TRAINING: frozenset(),
}
# Kinds whose number of activities is a number of people too (one orientation, one person).
PERSON_ACTIVITIES = frozenset({ActivityKind.ORIENTATION, ActivityKind.REFERRAL})

Group = tuple[str, str, str]  # sex, age band, community ("" when not recorded)


def _band(age_group: str | None) -> str:
    if not age_group:
        return ""
    return CHILDREN if age_group in CHILD_AGE_GROUPS else ADULTS


def _month(value: datetime.date | datetime.datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.year}-{value.month:02d}"


@dataclass
class ActivityRow:
    organisation_id: Any
    area: str | None
    kind: str
    month: str
    activities: int = 0
    groups: dict[Group, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def people(self) -> int:
        return sum(self.groups.values())


def _sum(groups: dict[Group, int], sex: str = "", band: str = "", community: str = "") -> int:
    return sum(
        count
        for (group_sex, group_band, group_community), count in groups.items()
        if (not sex or group_sex == sex)
        and (not band or group_band == band)
        and (not community or group_community == community)
    )


PEOPLE_COLUMNS = (
    "total",
    "f",
    "m",
    "children",
    "adults",
    "f_children",
    "f_adults",
    "m_children",
    "m_adults",
    "migrants",
    "host",
)


# The short names of the exported columns for the values of the suppression tables.
COLUMN_PARTS: dict[str, str] = {
    Sex.FEMALE: "f",
    Sex.MALE: "m",
    Sex.OTHER: "other",
    Community.MIGRANT: "migrants",
    Community.HOST: "host",
}


def _people_column(key: tuple[str, ...]) -> str:
    """The exported column of a figure of the suppression tables ("" parts are totals);
    figures that are not exported ("other" sex) still take part in the equations."""
    parts = [COLUMN_PARTS.get(part, part) for part in key if part]
    return "_".join(parts) if parts else "total"


def _figure(value: int, *, force_hidden: bool = False) -> Figure:
    # A figure hidden in another table of the row is hidden here too: one contributor is small.
    return Figure(value, 1 if force_hidden and value else value)


def _row_tables(
    row: ActivityRow, *, total_hidden: bool
) -> list[tuple[dict[tuple[str, ...], Figure], int]]:
    """The row's figures as the tables whose members add up to its total: sex by age group
    (with margins), or sex or age alone, and migrant or host; with their dimensions."""
    known = KNOWN_BREAKDOWNS[row.kind]
    groups = row.groups
    total = _figure(row.people, force_hidden=total_hidden)
    tables: list[tuple[dict[tuple[str, ...], Figure], int]] = []
    if "sex" in known and "age" in known:
        grid: dict[tuple[str, ...], Figure] = {("", ""): total}
        for sex in SEXES:
            grid[(sex, "")] = _figure(_sum(groups, sex=sex))
            for band in BANDS:
                grid[(sex, band)] = _figure(_sum(groups, sex=sex, band=band))
        for band in BANDS:
            grid[("", band)] = _figure(_sum(groups, band=band))
        tables.append((grid, 2))
    elif "sex" in known or "age" in known:
        values = SEXES if "sex" in known else BANDS
        line: dict[tuple[str, ...], Figure] = {("",): total}
        for value in values:
            count = _sum(groups, sex=value) if "sex" in known else _sum(groups, band=value)
            line[(value,)] = _figure(count)
        tables.append((line, 1))
    else:
        tables.append(({("",): total}, 0))
    if "community" in known:
        communities: dict[tuple[str, ...], Figure] = {("",): total}
        for community in COMMUNITIES:
            communities[(community,)] = _figure(_sum(groups, community=community))
        tables.append((communities, 1))
    return tables


def _suppressed_people(row: ActivityRow, limit: int) -> tuple[dict[str, int | None], bool]:
    """The row's people columns (None where not recorded or hidden) and whether any was
    hidden: primary suppression, then secondary within each table of ``_row_tables``, so
    that no hidden figure can be worked out from the row's other figures."""
    total_hidden = False
    while True:
        hidden: set[str] = set()
        for figures, dimensions in _row_tables(row, total_hidden=total_hidden):
            keys = suppress_counts(figures, dimensions=dimensions, limit=limit)
            hidden |= {_people_column(key) for key in keys}
        if "total" in hidden and not total_hidden:
            total_hidden = True  # hidden in one table: hidden in all, and look again
            continue
        break
    published: dict[str, int | None] = dict.fromkeys(PEOPLE_COLUMNS)
    for figures, _dimensions in _row_tables(row, total_hidden=False):
        for key, figure in figures.items():
            column = _people_column(key)
            if column in published:
                published[column] = int(figure.value)
    for column in hidden & set(PEOPLE_COLUMNS):
        published[column] = None
    return published, bool(hidden & set(PEOPLE_COLUMNS))


def _programme_organisation_ids(programme: Programme) -> list[Any]:
    """The partners: the organisations whose records count towards the programme (as in the
    engine; a lead that works in the field is one of them too)."""
    return list(programme.organisations.values_list("id", flat=True))


def _activity_rows(
    organisation_ids: list[Any], start: datetime.date, end: datetime.date
) -> list[ActivityRow]:
    rows: dict[tuple[Any, str | None, str, str], ActivityRow] = {}

    def row(organisation_id: Any, area: str | None, kind: str, month: Any) -> ActivityRow:
        key = (organisation_id, area, kind, _month(month))
        if key not in rows:
            rows[key] = ActivityRow(organisation_id, area, kind, _month(month))
        return rows[key]

    person_sources: list[tuple[str, QuerySet[Any], str, str]] = [
        (
            ActivityKind.ORIENTATION,
            Orientation.objects.filter(
                organisation_id__in=organisation_ids,
                occurred_at__date__gte=start,
                occurred_at__date__lte=end,
            ),
            "occurred_at",
            "area_id",
        ),
        (
            ActivityKind.REFERRAL,
            Referral.objects.filter(
                organisation_id__in=organisation_ids,
                sent_at__date__gte=start,
                sent_at__date__lte=end,
            ),
            "sent_at",
            "location__admin_area_id",
        ),
    ]
    for kind, records, moment, area_field in person_sources:
        grouped = (
            records.annotate(month=TruncMonth(moment))
            .values(
                "organisation_id",
                area_field,
                "month",
                "person__sex",
                "person__age_group",
                "person__community",
            )
            .annotate(records=Count("id"), people=Count("person_id", distinct=True))
            .order_by()
        )
        for item in grouped:
            target = row(item["organisation_id"], item[area_field], kind, item["month"])
            target.activities += item["records"]
            group = (
                item["person__sex"] or Sex.OTHER,
                _band(item["person__age_group"]),
                item["person__community"] or "",
            )
            target.groups[group] += item["people"]

    outreach = OutreachActivity.objects.filter(
        organisation_id__in=organisation_ids, date__gte=start, date__lte=end
    )
    for item in (
        outreach.annotate(month=TruncMonth("date"))
        .values("organisation_id", "area_id", "month")
        .annotate(activities=Count("id"))
        .order_by()
    ):
        row(
            item["organisation_id"], item["area_id"], ActivityKind.OUTREACH, item["month"]
        ).activities += item["activities"]
    for item in (
        OutreachTally.objects.filter(activity__in=outreach)
        .annotate(month=TruncMonth("activity__date"))
        .values(
            "activity__organisation_id",
            "activity__area_id",
            "month",
            "sex",
            "age_group",
            "community",
        )
        .annotate(people=Sum("count"))
        .order_by()
    ):
        target = row(
            item["activity__organisation_id"],
            item["activity__area_id"],
            ActivityKind.OUTREACH,
            item["month"],
        )
        target.groups[(item["sex"], _band(item["age_group"]), item["community"])] += (
            item["people"] or 0
        )

    sessions = VaccinationSession.objects.filter(
        organisation_id__in=organisation_ids, date__gte=start, date__lte=end
    )
    for item in (
        sessions.annotate(month=TruncMonth("date"))
        .values("organisation_id", "area_id", "month")
        .annotate(activities=Count("id"))
        .order_by()
    ):
        row(
            item["organisation_id"], item["area_id"], ActivityKind.VACCINATION, item["month"]
        ).activities += item["activities"]
    for item in (
        DoseTally.objects.filter(session__in=sessions)
        .annotate(month=TruncMonth("session__date"))
        .values("session__organisation_id", "session__area_id", "month", "age_group")
        .annotate(people=Sum("count"))
        .order_by()
    ):
        target = row(
            item["session__organisation_id"],
            item["session__area_id"],
            ActivityKind.VACCINATION,
            item["month"],
        )
        target.groups[("", _band(item["age_group"]), "")] += item["people"] or 0

    trainings = TrainingEvent.objects.filter(
        organisation_id__in=organisation_ids, starts_on__gte=start, starts_on__lte=end
    )
    for item in (
        trainings.annotate(month=TruncMonth("starts_on"))
        .values("organisation_id", "area_id", "month")
        .annotate(activities=Count("id"))
        .order_by()
    ):
        row(
            item["organisation_id"], item["area_id"], ActivityKind.TRAINING, item["month"]
        ).activities += item["activities"]
    for item in (
        TrainingParticipant.objects.filter(
            event__in=trainings, status=ParticipationStatus.COMPLETED
        )
        .annotate(month=TruncMonth("event__starts_on"))
        .values("event__organisation_id", "event__area_id", "month")
        .annotate(people=Count("id"))
        .order_by()
    ):
        target = row(
            item["event__organisation_id"],
            item["event__area_id"],
            ActivityKind.TRAINING,
            item["month"],
        )
        target.groups[("", "", "")] += item["people"]
    return list(rows.values())


def _where_columns() -> list[Column]:
    return [
        Column(_("Country"), "#country+code"),
        Column(_("Province or department (p-code)"), "#adm1+code"),
        Column(_("Province or department"), "#adm1+name"),
        Column(_("District or municipality (p-code)"), "#adm2+code"),
        Column(_("District or municipality"), "#adm2+name"),
    ]


def _where_values(pcode: str | None, country: str | None = None) -> list[Value]:
    area = area_info(pcode)
    if area is None:
        return [country, None, None, None, None]
    if area.level >= 2:
        return [area.country, area.adm1_pcode, area.adm1_name, area.pcode, area.name]
    return [area.country, area.pcode, area.name, None, None]


def _activities_table(
    programme: Programme, start: datetime.date, end: datetime.date, limit: int
) -> HxlTable:
    organisation_ids = _programme_organisation_ids(programme)
    organisations = {
        organisation.pk: organisation
        for organisation in Organisation.objects.filter(pk__in=organisation_ids)
    }
    labels = activity_kind_labels()
    table = HxlTable(
        title=_("Activities"),
        columns=[
            Column(_("Organisation"), "#org+name"),
            Column(_("Organisation (short name)"), "#org+code"),
            *_where_columns(),
            Column(_("Activity (code)"), "#activity+code"),
            Column(_("Activity"), "#activity+name"),
            Column(_("Month"), "#date+month"),
            Column(_("Number of activities"), "#output+num"),
            Column(_("People reached"), "#reached+total"),
            Column(_("Women and girls"), "#reached+f"),
            Column(_("Men and boys"), "#reached+m"),
            Column(_("Children (under 18)"), "#reached+children"),
            Column(_("Adults"), "#reached+adults"),
            Column(_("Girls"), "#reached+f+children"),
            Column(_("Women"), "#reached+f+adults"),
            Column(_("Boys"), "#reached+m+children"),
            Column(_("Men"), "#reached+m+adults"),
            Column(_("Migrants"), "#reached+migrants"),
            Column(_("Host community"), "#reached+host"),
            Column(_("Figures hidden"), "#meta+suppressed"),
        ],
    )
    rows = _activity_rows(organisation_ids, start, end)
    rows.sort(
        key=lambda item: (
            organisations[item.organisation_id].name,
            item.area or "",
            item.kind,
            item.month,
        )
    )
    for item in rows:
        people, hidden = _suppressed_people(item, limit)
        activities: int | None = item.activities
        if item.kind in PERSON_ACTIVITIES and people["total"] is None:
            activities = None  # one orientation or referral is one person: as small
            hidden = True
        organisation = organisations[item.organisation_id]
        table.add_row(
            [
                organisation.name,
                organisation.slug,
                *_where_values(item.area),
                item.kind,
                labels[item.kind],
                item.month,
                activities,
                *(people[column] for column in PEOPLE_COLUMNS),
                hidden,
            ]
        )
    return table


def _services_table(programme: Programme) -> HxlTable:
    organisation_ids = _programme_organisation_ids(programme)
    table = HxlTable(
        title=_("Services"),
        columns=[
            Column(_("Organisation"), "#org+name"),
            Column(_("Organisation (short name)"), "#org+code"),
            *_where_columns(),
            Column(_("Location"), "#loc+name"),
            Column(_("Sector (code)"), "#sector+code"),
            Column(_("Sector"), "#sector+name"),
            Column(_("Subsector (code)"), "#subsector+code"),
            Column(_("Subsector"), "#subsector+name"),
            Column(_("Service"), "#activity+service+name"),
            Column(_("Operating status"), "#status"),
            Column(_("Last verified"), "#date+verified"),
        ],
    )
    terms = {term.pk: term for term in TaxonomyTerm.objects.all()}
    services = list(
        Service.objects.filter(
            owner_id__in=organisation_ids, publication_status=PublicationStatus.PUBLISHED
        )
        .select_related("owner")
        .prefetch_related("categories")
    )
    locations: dict[Any, list[Location]] = defaultdict(list)
    for at_location in ServiceAtLocation.objects.filter(service__in=services).select_related(
        "location"
    ):
        locations[at_location.service_id].append(at_location.location)
    result: list[tuple[tuple[str, ...], list[Value]]] = []
    for service in services:
        sectors: list[tuple[TaxonomyTerm | None, TaxonomyTerm | None]] = []
        for term in service.categories.all():
            parent = terms.get(term.parent_id) if term.parent_id else None
            sectors.append((parent, term) if parent is not None else (term, None))
        for sector, subsector in sectors or [(None, None)]:
            places: list[Location | None] = [*locations.get(service.pk, [])] or [None]
            for location in places:
                values: list[Value] = [
                    service.owner.name,
                    service.owner.slug,
                    *_where_values(
                        location.admin_area_id if location else None,
                        location.country_id if location else None,
                    ),
                    str(location.tr("name")) if location else None,
                    sector.code if sector else None,
                    str(sector.tr("name")) if sector else None,
                    subsector.code if subsector else None,
                    str(subsector.tr("name")) if subsector else None,
                    str(service.tr("name")),
                    service.status,
                    service.assured_date,
                ]
                sort_key = tuple(str(value or "") for value in values[:11])
                result.append((sort_key, values))
    for _key, values in sorted(result, key=lambda item: item[0]):
        table.add_row(values)
    return table


@transaction.atomic
def who_does_what_where(
    *,
    actor: User,
    programme: Programme,
    start: datetime.date,
    end: datetime.date,
    file_format: str = "csv",
) -> list[HxlTable]:
    """The programme's "who does what where": its organisations' published services by sector
    and place, and their activities by organisation, area and month with the people reached
    (small numbers suppressed: it is an export). ``programme`` comes from ``programme_get``
    (the actor may see it). Audited ("insights.who_what_where_export")."""
    if start > end:
        raise ValidationError({"end": [_("The end of the period is before its start.")]})
    limit = threshold()
    membership = actor.active_membership()
    services = _services_table(programme)
    activities = _activities_table(programme, start, end, limit)
    notes = [
        _("Who does what where: %(programme)s, %(start)s to %(end)s.")
        % {"programme": programme, "start": start.isoformat(), "end": end.isoformat()},
        _(
            "Counts of people under %(limit)s are hidden (empty, with the row's "
            "#meta+suppressed set to true), and so are the figures that would let them be "
            "worked out. An empty figure with #meta+suppressed false was not recorded for that "
            "activity (vaccination sessions record age groups only, trainings the number of "
            "people who completed them)."
        )
        % {"limit": limit},
    ]
    services.notes = notes
    activities.notes = notes
    audit(
        actor=actor,
        action="insights.who_what_where_export",
        obj=programme,
        organisation=membership.organisation if membership is not None else None,
        details={
            "start": start.isoformat(),
            "end": end.isoformat(),
            "format": file_format,
            "rows": {"services": len(services.rows), "activities": len(activities.rows)},
        },
    )
    return [services, activities]


# ---------------------------------------------------------------------------------------------
# Indicator data: the engine's tables, always suppressed

# Each dimension's hashtags: (the code column, the name column). Periods have one column, in
# the form HXL tools read ("2026-03"): a second tagged #date+month would match the same
# hashtag query as the first.
DIMENSION_TAGS: dict[str, tuple[str, str | None]] = {
    "country": ("#country+code", "#country+name"),
    "area": ("#adm1+code", "#adm1+name"),
    "week": ("#date+week", None),
    "month": ("#date+month", None),
    "quarter": ("#date+quarter", None),
    "organisation": ("#org+code", "#org+name"),
    "campaign": ("#activity+campaign+code", "#activity+campaign+name"),
    "status": ("#status+code", "#status+name"),
}


def dimension_tags(dimension: str) -> tuple[str, str | None]:
    return DIMENSION_TAGS.get(dimension, (f"#meta+{dimension}+code", f"#meta+{dimension}+name"))


def _period_code(dimension: str, key: str) -> str:
    """A period's start day as HXL writes periods: "2026-03", "2026-Q1", "2026-W09"."""
    try:
        day = datetime.date.fromisoformat(key)
    except ValueError:
        return key
    if dimension == "month":
        return f"{day.year}-{day.month:02d}"
    if dimension == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if dimension == "week":
        year, week, _weekday = day.isocalendar()
        return f"{year}-W{week:02d}"
    return key


def _indicator_rows(table: Table) -> list[list[Value]]:
    indicator = table.indicator

    def row(cell: Cell, row_type: str) -> list[Value]:
        values: list[Value] = [indicator.code, str(indicator.tr("name")), indicator.unit]
        for position, dimension in enumerate(table.dimensions):
            key = cell.key[position] if position < len(cell.key) else ""
            has_name = dimension_tags(dimension)[1] is not None
            if key == "":
                values += [None, _("Total")] if has_name else [None]
            elif not has_name:
                values.append(_period_code(dimension, key))
            else:
                values += [key, table.labels.get(dimension, {}).get(key, key)]
        values += [row_type, None if cell.suppressed else cell.value, cell.suppressed]
        return values

    rows = [row(cell, "cell") for cell in table.cells]
    for dimension in table.dimensions:
        rows += [row(cell, "subtotal") for cell in table.margins.get(dimension, [])]
    rows.append(row(table.total, "total"))
    return rows


def _indicator_columns(by: list[str]) -> list[Column]:
    columns = [
        Column(_("Indicator (code)"), "#indicator+code"),
        Column(_("Indicator"), "#indicator+name"),
        Column(_("Unit (count, percent, days)"), "#indicator+unit"),
    ]
    for dimension in by:
        code_tag, name_tag = dimension_tags(dimension)
        label = str(DIMENSION_LABELS.get(dimension, dimension))
        if name_tag is None:
            columns.append(Column(label, code_tag))
        else:
            columns += [
                Column(_("%(dimension)s (code)") % {"dimension": label}, code_tag),
                Column(label, name_tag),
            ]
    return [
        *columns,
        Column(_("Row"), "#meta+row_type"),
        Column(_("Value"), "#indicator+value+num"),
        Column(_("Hidden (small number)"), "#meta+suppressed"),
    ]


def _suppression_note(limit: int) -> str:
    return _(
        "Figures from fewer than %(limit)s people (or records) are hidden: the value is empty "
        "and #meta+suppressed is true. Figures that would let a hidden one be worked out from "
        "the totals are hidden too."
    ) % {"limit": limit}


@transaction.atomic
def indicator_export(
    *,
    actor: User,
    programme: Programme,
    indicators: list[Indicator],
    filters: Filters,
    by: list[str],
    file_format: str = "csv",
) -> list[HxlTable]:
    """One table per indicator by the dimensions ``by`` for ``filters``, always suppressed
    (an export), each row with its cell, margin or total. Raises the engine's errors
    (ValidationError for a dimension the indicator does not allow). Audited
    ("insights.indicator_export")."""
    if not indicators:
        raise ValidationError({"indicator": [_("Choose an indicator.")]})
    tables: list[HxlTable] = []
    for indicator in indicators:
        table = indicator_table(
            user=actor, indicator=indicator, filters=filters, by=by, for_export=True
        )
        hxl_table = HxlTable(title=str(indicator.tr("name")), columns=_indicator_columns(by))
        for values in _indicator_rows(table):
            hxl_table.add_row(values)
        hxl_table.notes = [
            _("%(indicator)s: %(definition)s")
            % {"indicator": indicator.tr("name"), "definition": indicator.tr("definition")},
        ]
        if table.unsupported_filters:
            hxl_table.notes.append(
                _(
                    "Filters not applied to %(indicator)s (its records do not have them): "
                    "%(filters)s."
                )
                % {
                    "indicator": indicator.tr("name"),
                    "filters": ", ".join(
                        str(DIMENSION_LABELS.get(name, name)) for name in table.unsupported_filters
                    ),
                }
            )
        tables.append(hxl_table)
    heading = _("%(programme)s, %(start)s to %(end)s.") % {
        "programme": programme,
        "start": filters.start.isoformat(),
        "end": filters.end.isoformat(),
    }
    for hxl_table in tables:
        hxl_table.notes = [heading, *hxl_table.notes, _suppression_note(threshold())]
    membership = actor.active_membership()
    audit(
        actor=actor,
        action="insights.indicator_export",
        obj=programme,
        organisation=membership.organisation if membership is not None else None,
        details={
            "indicators": [indicator.code for indicator in indicators],
            "by": by,
            "filters": filters.to_query(),
            "format": file_format,
            "rows": sum(len(table.rows) for table in tables),
        },
    )
    return tables


def combined(tables: list[HxlTable], title: str) -> HxlTable:
    """Tables with the same columns as one (a CSV holds one table)."""
    result = HxlTable(title=title, columns=tables[0].columns)
    for table in tables:
        result.rows += table.rows
        result.notes += [note for note in table.notes if note not in result.notes]
    return result
