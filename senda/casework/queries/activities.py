"""Reads of outreach activities and vaccination sessions: tallies, never people.

An organisation sees its own activities: the roles that record them, and the roles that follow
the programme (supervisors, programme officers, admins and viewers of aggregates).
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from senda.accounts.models import Membership, Organisation, User
from senda.accounts.roles import CAPABILITIES, Capability
from senda.casework.access import active_memberships, organisations_where
from senda.casework.models import (
    AgeGroup,
    Community,
    DoseTally,
    OutreachActivity,
    OutreachTally,
    Sex,
    Team,
    VaccinationSession,
    Vaccine,
)
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.queries import get_or_not_found
from senda.directory.models import Location
from senda.geo.models import AdminArea

# Who may read an organisation's tallies (recording them needs OUTREACH_RECORD).
READ_CAPABILITIES = frozenset(
    {
        Capability.OUTREACH_RECORD,
        Capability.CASE_SUPERVISE,
        Capability.CASE_VIEW_ALL,
        Capability.AGGREGATES_VIEW,
    }
)
# A record may be corrected or deleted this long after it was entered, not later: the figures
# have been reported by then.
EDIT_WINDOW_DAYS = 30


def organisations_with_any(user: User, capabilities: frozenset[Capability]) -> list[Organisation]:
    """The organisations in which the user's role holds at least one of ``capabilities``."""
    return [
        membership.organisation
        for membership in active_memberships(user)
        if CAPABILITIES.get(membership.role, frozenset()) & capabilities
    ]


def acting_organisation(
    *,
    user: User,
    capability: Capability,
    organisation_id: object = None,
    refusal: str,
) -> Organisation:
    """The organisation a new record is made for: the one asked for, or the user's only one
    where they hold ``capability``. Refused (``refusal``) when they hold it nowhere."""
    organisations = organisations_where(user, capability)
    if not organisations:
        raise PermissionDeniedError(refusal)
    if organisation_id in (None, ""):
        if len(organisations) > 1:
            # Several organisations: the caller must say which (the form shows a choice).
            raise ValidationError({"organisation": [_("Choose the organisation.")]})
        return organisations[0]
    for organisation in organisations:
        if str(organisation.pk) == str(organisation_id):
            return organisation
    raise NotFoundError(str(organisation_id))


def holds(user: User, capability: Capability, organisation: Organisation | Any) -> bool:
    """Whether the user's role in ``organisation`` (an object or an id) holds ``capability``."""
    organisation_id = getattr(organisation, "pk", organisation)
    return any(
        membership.organisation_id == organisation_id
        for membership in active_memberships(user)
        if capability in CAPABILITIES.get(membership.role, frozenset())
    )


def _readable_organisations(user: User) -> list[Organisation]:
    return organisations_with_any(user, READ_CAPABILITIES)


def may_read_activities(user: User) -> bool:
    return bool(_readable_organisations(user))


def may_record_activities(user: User) -> bool:
    return bool(organisations_where(user, Capability.OUTREACH_RECORD))


def _require_readable(user: User) -> list[Organisation]:
    organisations = _readable_organisations(user)
    if not organisations:
        raise PermissionDeniedError(
            _("Your role does not include outreach activities or vaccination sessions.")
        )
    return organisations


def teams_for_activities(*, user: User, organisations: list[Organisation]) -> QuerySet[Team]:
    """The teams an activity can be credited to: those of the given organisations."""
    return Team.objects.filter(organisation__in=organisations).select_related("organisation")


def areas_for(organisations: list[Organisation]) -> QuerySet[AdminArea]:
    """The areas offered in the forms: those of the organisations' countries (all if unset)."""
    countries = {o.country_id for o in organisations if o.country_id}
    areas = AdminArea.objects.select_related("parent")
    if countries:
        areas = areas.filter(country_id__in=countries)
    return areas.order_by("country_id", "level", "name")


# ---------------------------------------------------------------------------------------------
# Outreach


@dataclass(frozen=True)
class OutreachFilters:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    area: str | None = None
    team_id: uuid.UUID | None = None
    place_type: str | None = None


def outreach_visible_to(*, user: User) -> QuerySet[OutreachActivity]:
    """The outreach activities of the organisations whose tallies the user may read."""
    return OutreachActivity.objects.filter(organisation__in=_readable_organisations(user))


def outreach_list(*, user: User, filters: OutreachFilters) -> QuerySet[OutreachActivity]:
    """The user's organisations' outreach activities, newest first, each with its total
    (``people_reached``) and its tallies prefetched. Refused to roles without tallies."""
    _require_readable(user)
    activities = outreach_visible_to(user=user)
    activities = _filter_outreach(activities, filters)
    return (
        activities.select_related("area", "team", "recorded_by", "organisation")
        .annotate(people_reached=Sum("tallies__count"))
        .order_by("-date", "-created_at")
    )


def _filter_outreach(
    activities: QuerySet[OutreachActivity], filters: OutreachFilters
) -> QuerySet[OutreachActivity]:
    if filters.date_from:
        activities = activities.filter(date__gte=filters.date_from)
    if filters.date_to:
        activities = activities.filter(date__lte=filters.date_to)
    if filters.area:
        # An area and the areas inside it (districts of a province).
        activities = activities.filter(Q(area_id=filters.area) | Q(area__parent_id=filters.area))
    if filters.team_id:
        activities = activities.filter(team_id=filters.team_id)
    if filters.place_type:
        activities = activities.filter(place_type=filters.place_type)
    return activities


@dataclass
class TallyTotals:
    """People reached, disaggregated: by sex, by age group, by community, and in all."""

    total: int = 0
    by_sex: dict[str, int] = field(default_factory=dict)
    by_age_group: dict[str, int] = field(default_factory=dict)
    by_community: dict[str, int] = field(default_factory=dict)
    activities: int = 0

    def rows(self) -> list[tuple[str, list[tuple[str, int]]]]:
        """For a page: (heading, [(label, count)]) in the vocabularies' order."""
        return [
            (
                _("By sex"),
                [(str(label), self.by_sex.get(value, 0)) for value, label in Sex.choices],
            ),
            (
                _("By age group"),
                [
                    (str(label), self.by_age_group.get(value, 0))
                    for value, label in AgeGroup.choices
                ],
            ),
            (
                _("By community"),
                [
                    (str(label), self.by_community.get(value, 0))
                    for value, label in Community.choices
                ],
            ),
        ]


def outreach_totals(*, user: User, filters: OutreachFilters) -> TallyTotals:
    """Totals of people reached over the activities the user sees that match ``filters``."""
    _require_readable(user)
    activities = _filter_outreach(outreach_visible_to(user=user), filters)
    totals = TallyTotals(activities=activities.count())
    cells = (
        OutreachTally.objects.filter(activity__in=activities)
        .values("sex", "age_group", "community")
        .annotate(people=Sum("count"))
    )
    for cell in cells:
        people = int(cell["people"] or 0)
        totals.total += people
        totals.by_sex[cell["sex"]] = totals.by_sex.get(cell["sex"], 0) + people
        totals.by_age_group[cell["age_group"]] = totals.by_age_group.get(cell["age_group"], 0) + (
            people
        )
        totals.by_community[cell["community"]] = (
            totals.by_community.get(cell["community"], 0) + people
        )
    return totals


def outreach_get(*, user: User, activity_id: object) -> OutreachActivity:
    """One outreach activity the user may read, with its tallies; NotFoundError otherwise."""
    _require_readable(user)
    activities = outreach_visible_to(user=user).select_related(
        "area", "team", "recorded_by", "organisation"
    )
    activities = activities.prefetch_related(
        Prefetch("tallies", queryset=OutreachTally.objects.order_by("id"))
    )
    return get_or_not_found(activities, activity_id)


def outreach_may_edit(*, user: User, activity: OutreachActivity, now: datetime.datetime) -> bool:
    """The recorder (still recording there) or a supervisor, within the edit window."""
    return _may_edit(user, activity.organisation_id, activity.recorded_by_id, activity, now)


def _may_edit(
    user: User,
    organisation_id: object,
    recorded_by_id: object,
    record: OutreachActivity | VaccinationSession,
    now: datetime.datetime,
) -> bool:
    if record.created_at < now - datetime.timedelta(days=EDIT_WINDOW_DAYS):
        return False
    if holds(user, Capability.CASE_SUPERVISE, organisation_id):
        return True
    return recorded_by_id == user.pk and holds(user, Capability.OUTREACH_RECORD, organisation_id)


def tally_grid(activity: OutreachActivity) -> dict[tuple[str, str, str], int]:
    """The activity's cells as {(sex, age group, community): count} (prefetched tallies)."""
    return {(t.sex, t.age_group, t.community): t.count for t in activity.tallies.all()}


# ---------------------------------------------------------------------------------------------
# Vaccination sessions


@dataclass(frozen=True)
class SessionFilters:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    area: str | None = None
    location_id: uuid.UUID | None = None


def sessions_visible_to(*, user: User) -> QuerySet[VaccinationSession]:
    """The vaccination sessions of the organisations whose tallies the user may read."""
    return VaccinationSession.objects.filter(organisation__in=_readable_organisations(user))


def _filter_sessions(
    sessions: QuerySet[VaccinationSession], filters: SessionFilters
) -> QuerySet[VaccinationSession]:
    if filters.date_from:
        sessions = sessions.filter(date__gte=filters.date_from)
    if filters.date_to:
        sessions = sessions.filter(date__lte=filters.date_to)
    if filters.area:
        sessions = sessions.filter(Q(area_id=filters.area) | Q(area__parent_id=filters.area))
    if filters.location_id:
        sessions = sessions.filter(location_id=filters.location_id)
    return sessions


def session_list(*, user: User, filters: SessionFilters) -> QuerySet[VaccinationSession]:
    """Vaccination sessions the user may read, newest first, each with ``doses_given``."""
    _require_readable(user)
    sessions = _filter_sessions(sessions_visible_to(user=user), filters)
    return (
        sessions.select_related("area", "location", "recorded_by", "organisation")
        .annotate(doses_given=Sum("doses__count"))
        .order_by("-date", "-created_at")
    )


@dataclass
class DoseTotals:
    sessions: int = 0
    doses: int = 0
    people_referred: int = 0
    by_vaccine: dict[str, int] = field(default_factory=dict)
    by_age_group: dict[str, int] = field(default_factory=dict)

    def vaccine_rows(self) -> list[tuple[str, int]]:
        return [
            (str(label), self.by_vaccine[value])
            for value, label in Vaccine.choices
            if self.by_vaccine.get(value)
        ]

    def age_rows(self) -> list[tuple[str, int]]:
        return [(str(label), self.by_age_group.get(value, 0)) for value, label in AgeGroup.choices]


def session_totals(*, user: User, filters: SessionFilters) -> DoseTotals:
    """Doses by vaccine and by age group, and people referred, over the matching sessions."""
    _require_readable(user)
    sessions = _filter_sessions(sessions_visible_to(user=user), filters)
    summary = sessions.aggregate(sessions=Count("id"), referred=Sum("people_referred"))
    totals = DoseTotals(
        sessions=int(summary["sessions"] or 0), people_referred=int(summary["referred"] or 0)
    )
    cells = (
        DoseTally.objects.filter(session__in=sessions)
        .values("vaccine", "age_group")
        .annotate(doses=Sum("count"))
    )
    for cell in cells:
        doses = int(cell["doses"] or 0)
        totals.doses += doses
        totals.by_vaccine[cell["vaccine"]] = totals.by_vaccine.get(cell["vaccine"], 0) + doses
        totals.by_age_group[cell["age_group"]] = (
            totals.by_age_group.get(cell["age_group"], 0) + doses
        )
    return totals


def session_get(*, user: User, session_id: object) -> VaccinationSession:
    """One vaccination session the user may read, with its doses; NotFoundError otherwise."""
    _require_readable(user)
    sessions = sessions_visible_to(user=user).select_related(
        "area", "location", "recorded_by", "organisation"
    )
    sessions = sessions.prefetch_related(
        Prefetch("doses", queryset=DoseTally.objects.order_by("id"))
    )
    return get_or_not_found(sessions, session_id)


def session_may_edit(*, user: User, session: VaccinationSession, now: datetime.datetime) -> bool:
    """The recorder (still recording there) or a supervisor, within the edit window."""
    return _may_edit(user, session.organisation_id, session.recorded_by_id, session, now)


def dose_grid(session: VaccinationSession) -> dict[tuple[str, str], int]:
    return {(d.vaccine, d.age_group): d.count for d in session.doses.all()}


def session_locations(*, organisations: list[Organisation]) -> QuerySet[Location]:
    """The directory locations a session can be held at: those the organisations maintain."""
    return Location.objects.filter(owner__in=organisations).order_by("name")


def recording_memberships(user: User) -> list[Membership]:
    return [
        m
        for m in active_memberships(user)
        if Capability.OUTREACH_RECORD in CAPABILITIES.get(m.role, frozenset())
    ]
