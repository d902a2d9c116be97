"""Reading referrals, from the side that sent them and from the side that receives them.

Every read returns a presenter (a frozen dataclass) built here, never a model: what the
receiving organisation sees is decided once, in ``_shared_person``, so that no template or API
schema can reach a field the referral does not need (family name, nationality, area, community,
the person's other referrals and orientations are never in it). Opening a referral with person
fields is an ``audit_read`` of the person.
"""

from __future__ import annotations

import datetime
import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Model, Prefetch, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability, PeopleScope, people_scope
from senda.casework import access
from senda.casework.actions.referrals import outcomes_for
from senda.casework.models import (
    REFERRAL_TRANSITIONS,
    AgeGroup,
    Person,
    Referral,
    ReferralEvent,
    ReferralOutcome,
    ReferralReason,
    ReferralStatus,
    Sex,
    Urgency,
)
from senda.casework.queries import plain
from senda.core.audit import audit_read
from senda.core.errors import NotFoundError, PermissionDeniedError
from senda.core.queries import get_or_not_found
from senda.directory.models import Location, Service, ServiceAtLocation
from senda.directory.search import ServiceFilters, search_services
from senda.geo.models import AdminArea

PAGE_SIZE = 25  # a phone screen or two

# The directory categories that answer each reason (a code also matches its sub-categories).
REASON_CATEGORIES: dict[str, tuple[str, ...]] = {
    ReferralReason.VACCINATION: ("health.vaccination",),
    ReferralReason.MEDICAL_CARE: ("health.primary", "health.srh"),
    ReferralReason.PRENATAL_CARE: ("health.prenatal",),
    ReferralReason.MENTAL_HEALTH: ("health.mental",),
    ReferralReason.SUSPECTED_COVID: ("health.covid19", "health.primary"),
    ReferralReason.LEGAL: ("legal", "migration"),
    ReferralReason.PROTECTION: ("protection",),
    ReferralReason.EDUCATION: ("education",),
    ReferralReason.WORK: ("employment", "entrepreneurship"),
}

# The receiving side's steps, by the status they lead to (cancelling and expiring are not theirs).
RECEIVING_STEPS: dict[str, str] = {
    ReferralStatus.RECEIVED: "receive",
    ReferralStatus.ACCEPTED: "accept",
    ReferralStatus.DECLINED: "decline",
    ReferralStatus.ATTENDED: "attend",
    ReferralStatus.CLOSED: "close",
}

FINISHED_STATUSES = (
    ReferralStatus.CLOSED,
    ReferralStatus.DECLINED,
    ReferralStatus.CANCELLED,
    ReferralStatus.EXPIRED,
)


def step_label(step: str) -> str:
    labels = {
        "receive": _("Mark received"),
        "accept": _("Accept"),
        "decline": _("Decline"),
        "attend": _("Mark attended"),
        "close": _("Close with outcome"),
    }
    return labels[step]


# ---------------------------------------------------------------------------------------------
# Overdue and the inbox filters


def overdue_q(now: datetime.datetime) -> Q:
    """Not received by ``receive_by``, or not attended by ``attend_by``."""
    return Q(status=ReferralStatus.SENT, receive_by__lt=now) | Q(
        status__in=[ReferralStatus.SENT, ReferralStatus.RECEIVED, ReferralStatus.ACCEPTED],
        attend_by__lt=now,
    )


def is_overdue(referral: Referral, now: datetime.datetime) -> bool:
    return _overdue(referral.status, referral.receive_by, referral.attend_by, now)


def _overdue(
    status: str, receive_by: datetime.datetime, attend_by: datetime.datetime, now: datetime.datetime
) -> bool:
    if status == ReferralStatus.SENT and receive_by < now:
        return True
    return (
        status in (ReferralStatus.SENT, ReferralStatus.RECEIVED, ReferralStatus.ACCEPTED)
        and attend_by < now
    )


INBOX_VIEWS = ("open", "new", "to_attend", "to_close", "overdue", "closed", "all")
# The filters whose size the inbox shows (the finished ones only grow).
OPEN_VIEWS = ("open", "new", "to_attend", "to_close", "overdue")


def inbox_view_q(view: str, now: datetime.datetime) -> Q:
    if view == "new":
        return Q(status=ReferralStatus.SENT)
    if view == "to_attend":
        return Q(status__in=[ReferralStatus.RECEIVED, ReferralStatus.ACCEPTED])
    if view == "to_close":
        return Q(status=ReferralStatus.ATTENDED)
    if view == "overdue":
        return overdue_q(now)
    if view == "closed":
        return Q(status__in=FINISHED_STATUSES)
    if view == "all":
        return Q()
    # "open": listed positively, so that the (organisation, status) index finds them.
    return Q(status__in=[status for status in ReferralStatus if status not in FINISHED_STATUSES])


@functools.lru_cache(maxsize=16)
def _inbox_view_labels(language: str) -> dict[str, str]:
    del language  # the cache key: the labels are made in the active language
    # Context: in Spanish the filters agree with "derivaciones" (feminine plural).
    return {
        "open": pgettext("referral filter", "Open"),
        "new": pgettext("referral filter", "New"),
        "to_attend": pgettext("referral filter", "To attend"),
        "to_close": pgettext("referral filter", "To close"),
        "overdue": pgettext("referral filter", "Overdue"),
        "closed": pgettext("referral filter", "Finished"),
        "all": pgettext("referral filter", "All"),
    }


def inbox_view_labels() -> dict[str, str]:
    """The inbox filters' labels in the active language (made once per language)."""
    return dict(_inbox_view_labels(translation.get_language() or ""))


def inbox_view_label(view: str) -> str:
    return inbox_view_labels()[view]


# ---------------------------------------------------------------------------------------------
# Presenters


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime.datetime
    from_status: str
    to_status: str
    to_status_label: str
    actor_name: str
    organisation_name: str
    note: str = ""


@dataclass(frozen=True)
class Step:
    slug: str
    label: str


@dataclass(frozen=True)
class SharedPerson:
    """The person as the receiving organisation sees them: only what the referral needs, and
    nothing but the card code once the person withdrew their consent to sharing."""

    code: str
    shares: bool
    given_name: str = ""
    sex_label: str = ""
    age_group_label: str = ""
    phone: str = ""
    phone_has_whatsapp: bool = False

    @property
    def field_names(self) -> list[str]:
        """The person fields shown (for the audit entry: names, never values)."""
        if not self.shares:
            return []
        names = ["given_name", "sex", "age_group"]
        if self.phone:
            names.append("phone")
        return names


@dataclass(frozen=True)
class ReferralSummary:
    """What both sides' lists show: the referral's own fields and the card code, no names."""

    id: uuid.UUID
    person_code: str
    reason: str
    reason_label: str
    urgency: str
    urgency_label: str
    status: str
    status_label: str
    sent_at: datetime.datetime
    receive_by: datetime.datetime
    attend_by: datetime.datetime
    status_changed_at: datetime.datetime
    is_overdue: bool
    service_name: str
    location_name: str
    referring_organisation_name: str
    receiving_organisation_name: str
    outcome: str
    outcome_label: str
    decline_reason: str
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class ReceivedReferral(ReferralSummary):
    """One referral as the receiving organisation sees it."""

    person: SharedPerson = field(default_factory=lambda: SharedPerson(code="", shares=False))
    note: str = ""
    outcome_note: str = ""
    history: tuple[HistoryEntry, ...] = ()
    outcomes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SentReferral(ReferralSummary):
    """One referral as the referring side sees it, with the feedback."""

    person_id: uuid.UUID | None = None
    person_given_name: str = ""
    note: str = ""
    outcome_note: str = ""
    history: tuple[HistoryEntry, ...] = ()
    can_cancel: bool = False


@dataclass(frozen=True)
class ReferralPage:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _actor_name(user: User | None) -> str:
    if user is None:
        return _("Senda (automatic)")
    return user.get_full_name() or user.get_username()


def _history(referral: Referral, *, notes_of: Any = None) -> tuple[HistoryEntry, ...]:
    """The referral's steps; with ``notes_of``, only that organisation's notes are shown (the
    receiving side does not read what the referring side wrote about the person)."""
    return tuple(
        HistoryEntry(
            at=event.at,
            from_status=event.from_status,
            to_status=event.to_status,
            to_status_label=str(ReferralStatus(event.to_status).label),
            actor_name=_actor_name(event.actor),
            organisation_name=event.organisation.name if event.organisation else "",
            note=event.note if notes_of is None or event.organisation_id == notes_of else "",
        )
        for event in referral.events.all()
    )


def _receiving_steps(referral: Referral) -> tuple[Step, ...]:
    following = REFERRAL_TRANSITIONS.get(referral.status, frozenset())
    return tuple(
        Step(slug=slug, label=step_label(slug))
        for status, slug in RECEIVING_STEPS.items()
        if status in following
    )


def _summary_fields(referral: Referral, now: datetime.datetime) -> dict[str, Any]:
    return {
        "id": referral.pk,
        "person_code": getattr(referral, "person_code", None) or referral.person.code,
        "reason": referral.reason,
        "reason_label": str(ReferralReason(referral.reason).label),
        "urgency": referral.urgency,
        "urgency_label": str(Urgency(referral.urgency).label),
        "status": referral.status,
        "status_label": str(ReferralStatus(referral.status).label),
        "sent_at": referral.sent_at,
        "receive_by": referral.receive_by,
        "attend_by": referral.attend_by,
        "status_changed_at": referral.status_changed_at,
        "is_overdue": is_overdue(referral, now),
        "service_name": str(referral.service.tr("name")),
        "location_name": str(referral.location),
        "referring_organisation_name": referral.organisation.name,
        "receiving_organisation_name": referral.receiving_organisation.name,
        "outcome": referral.outcome,
        "outcome_label": str(ReferralOutcome(referral.outcome).label) if referral.outcome else "",
        "decline_reason": referral.decline_reason,
    }


def _shared_person(person: Person) -> SharedPerson:
    if not person.consents_to_share or not person.is_active_record:
        return SharedPerson(code=person.code, shares=False)
    return SharedPerson(
        code=person.code,
        shares=True,
        given_name=person.given_name,
        sex_label=str(Sex(person.sex).label) if person.sex else "",
        age_group_label=str(AgeGroup(person.age_group).label) if person.age_group else "",
        phone=person.phone if person.consents_to_contact else "",
        phone_has_whatsapp=person.phone_has_whatsapp if person.consents_to_contact else False,
    )


def _list_rows(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """Lists load only what a summary shows: no note, no person (the card code comes along),
    and of the service and place only their names."""
    return (
        referrals.select_related("service", "location", "organisation", "receiving_organisation")
        .only(
            *LIST_COLUMNS,
            *(f"{related}__{column}" for related in ("service", "location") for column in NAMED),
            "organisation__id",
            "organisation__name",
            "receiving_organisation__id",
            "receiving_organisation__name",
        )
        .annotate(person_code=F("person__code"))
    )


LIST_COLUMNS = (
    "id",
    "person_id",
    "organisation_id",
    "receiving_organisation_id",
    "service_id",
    "location_id",
    "reason",
    "urgency",
    "status",
    "sent_at",
    "receive_by",
    "attend_by",
    "status_changed_at",
    "outcome",
    "decline_reason",
)
# What ``tr("name")`` reads of a translatable directory row.
NAMED = ("id", "name", "language", "translations")


def _with_history(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    return referrals.prefetch_related(
        Prefetch(
            "events",
            queryset=ReferralEvent.objects.select_related("actor", "organisation"),
        )
    )


# ---------------------------------------------------------------------------------------------
# Who may open which list


def user_may_receive(*, user: User) -> bool:
    return bool(access.organisations_where(user, Capability.REFERRAL_RECEIVE))


def user_sees_people(*, user: User) -> bool:
    return any(
        people_scope(membership.role) is not PeopleScope.NONE
        for membership in access.active_memberships(user)
    )


def _require_receiver(user: User) -> None:
    if not user_may_receive(user=user):
        raise PermissionDeniedError(
            _("Your role does not receive referrals in any of your organisations.")
        )


def _require_people(user: User) -> None:
    if not user_sees_people(user=user):
        raise PermissionDeniedError(_("Your role does not work with people."))


# ---------------------------------------------------------------------------------------------
# The receiving side


def _inbox(user: User, location_id: uuid.UUID | None) -> QuerySet[Referral]:
    referrals = access.referrals_received_by(user=user)
    if location_id is not None:
        referrals = referrals.filter(location_id=location_id)
    return referrals


# The inbox is read in plain SQL (``plain``): the same filters as ``access.referrals_received_q``
# and ``inbox_view_q``, written once more as SQL for the page's two queries.


def _inbox_where(
    user: User, location_id: uuid.UUID | None, view: str, now: datetime.datetime
) -> tuple[str, list[Any]]:
    """The WHERE of the inbox for ``view`` (columns of ``casework_referral`` unqualified)."""
    scopes: list[str] = []
    parameters: list[Any] = []
    for organisation, centres in access.received_scopes(user):
        scope = f"{plain.column(Referral, 'receiving_organisation')} = %s"
        parameters.append(plain.param(Referral, "receiving_organisation", organisation.pk))
        if centres:
            scope += (
                f" AND {plain.column(Referral, 'location')} IN ({plain.placeholders(len(centres))})"
            )
            parameters.extend(plain.params(Referral, "location", centres))
        scopes.append(f"({scope})")
    conditions = [" OR ".join(scopes) if len(scopes) == 1 else f"({' OR '.join(scopes)})"]
    if location_id is not None:
        conditions.append(f"{plain.column(Referral, 'location')} = %s")
        parameters.append(plain.param(Referral, "location", location_id))
    view_sql, view_parameters = _view_sql(view, now)
    if view_sql:
        conditions.append(view_sql)
        parameters.extend(view_parameters)
    return " AND ".join(conditions), parameters


def _statuses_sql(statuses: Sequence[str]) -> tuple[str, list[Any]]:
    status = plain.column(Referral, "status")
    if len(statuses) == 1:
        return f"{status} = %s", list(statuses)
    return f"{status} IN ({plain.placeholders(len(statuses))})", list(statuses)


OPEN_STATUSES = [status for status in ReferralStatus if status not in FINISHED_STATUSES]


def _view_sql(view: str, now: datetime.datetime) -> tuple[str, list[Any]]:
    """``inbox_view_q`` as SQL: (condition, parameters); "" for every referral."""
    if view == "new":
        return _statuses_sql([ReferralStatus.SENT])
    if view == "to_attend":
        return _statuses_sql([ReferralStatus.RECEIVED, ReferralStatus.ACCEPTED])
    if view == "to_close":
        return _statuses_sql([ReferralStatus.ATTENDED])
    if view == "overdue":
        moment = plain.param(Referral, "receive_by", now)
        not_received, first = _statuses_sql([ReferralStatus.SENT])
        not_attended, second = _statuses_sql(
            [ReferralStatus.SENT, ReferralStatus.RECEIVED, ReferralStatus.ACCEPTED]
        )
        return (
            f"(({plain.column(Referral, 'receive_by')} < %s AND {not_received})"
            f" OR ({plain.column(Referral, 'attend_by')} < %s AND {not_attended}))",
            [moment, *first, moment, *second],
        )
    if view == "closed":
        return _statuses_sql(list(FINISHED_STATUSES))
    if view == "all":
        return "", []
    # "open": listed positively, so that the (organisation, status) index finds them.
    return _statuses_sql(OPEN_STATUSES)


@functools.lru_cache(maxsize=64)
def _steps_for(language: str, status: str) -> tuple[Step, ...]:
    """The receiving side's next steps from ``status``, labelled in ``language``."""
    del language  # the cache key: the labels are made in the active language
    following = REFERRAL_TRANSITIONS.get(status, frozenset())
    return tuple(
        Step(slug=slug, label=step_label(slug))
        for next_status, slug in RECEIVING_STEPS.items()
        if next_status in following
    )


def _inbox_rows(
    where: str, parameters: list[Any], order: str, start: int, per_page: int
) -> list[list[Any]]:
    """One query: the page's ids from the inbox index alone (it holds the filter and the
    order: no table row is read to sort thousands of open referrals), then only their rows
    with the card code and the names shown (no personal field, no model instance)."""
    referral = plain.table(Referral)
    r = "r"
    columns: list[tuple[str, tuple[type[Model], str] | None]] = [
        (plain.column(Referral, "id", r), (Referral, "id")),
        (plain.column(Person, "code", "p"), None),
        *(
            (plain.column(Referral, name, r), (Referral, name))
            for name in (
                "reason",
                "urgency",
                "status",
                "sent_at",
                "receive_by",
                "attend_by",
                "status_changed_at",
                "outcome",
                "decline_reason",
            )
        ),
        (plain.column(Service, "name", "s"), None),
        (plain.column(Service, "language", "s"), None),
        # The translations as stored: decoded only when the page needs them (``Translations``).
        (plain.column(Service, "translations", "s"), None),
        (plain.column(Location, "id", "l"), (Location, "id")),
        (plain.column(Location, "name", "l"), None),
        (plain.column(Location, "language", "l"), None),
        (plain.column(Location, "translations", "l"), None),
        (plain.column(Organisation, "name", "o"), None),
        (plain.column(Organisation, "name", "ro"), None),
    ]

    def joined(alias: str, model: type[Model], foreign_key: str) -> str:
        return (
            f" INNER JOIN {plain.table(model)} {alias}"
            f" ON {plain.column(Referral, foreign_key, r)} = {plain.column(model, 'id', alias)}"
        )

    joins = "".join(
        joined(alias, model, foreign_key)
        for alias, model, foreign_key in (
            ("p", Person, "person"),
            ("o", Organisation, "organisation"),
            ("ro", Organisation, "receiving_organisation"),
            ("s", Service, "service"),
            ("l", Location, "location"),
        )
    )
    page_ids = (
        f"SELECT {plain.column(Referral, 'id')} FROM {referral} WHERE {where}"  # noqa: S608
        f" ORDER BY {order} LIMIT {int(per_page)} OFFSET {int(start)}"
    )
    sql = (
        f"SELECT {', '.join(sql for sql, _field in columns)} FROM {referral} {r}{joins}"  # noqa: S608
        f" WHERE {plain.column(Referral, 'id', r)} IN ({page_ids})"
        f" ORDER BY {', '.join(f'{r}.{part}' for part in order.split(', '))}"
    )
    return plain.fetch(sql, parameters, [field for _sql, field in columns])


def referral_inbox(
    *,
    user: User,
    view: str = "open",
    location_id: uuid.UUID | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    now: datetime.datetime | None = None,
    counts: Mapping[str, int] | None = None,
) -> ReferralPage:
    """A page of the referrals sent to the user's organisations (their centres, if assigned),
    most urgent and oldest first; card codes only, no personal fields. ``counts``: what
    ``referral_inbox_counts`` answered for the same user, centre and moment, if the caller
    read it already (an open filter's total is then one of them, not counted again)."""
    _require_receiver(user)
    now = now or timezone.now()
    view = view if view in INBOX_VIEWS else "open"
    where, parameters = _inbox_where(user, location_id, view, now)
    if counts is not None and view in counts:
        total = counts[view]
    else:
        counted = plain.fetch(
            f"SELECT COUNT(*) FROM {plain.table(Referral)} WHERE {where}",  # noqa: S608
            parameters,
            [None],
        )
        total = int(counted[0][0])
    sent_at, referral_id = plain.column(Referral, "sent_at"), plain.column(Referral, "id")
    order = f"{sent_at} DESC" if view in ("closed", "all") else f"{sent_at} ASC, {referral_id} ASC"
    start = (max(page, 1) - 1) * per_page
    rows = _inbox_rows(where, parameters, order, start, per_page) if total else []
    language = plain.page_language()
    translated = plain.Translations(language)
    reasons, urgencies = plain.labels(ReferralReason), plain.labels(Urgency)
    statuses, outcomes = plain.labels(ReferralStatus), plain.labels(ReferralOutcome)
    items = []
    for row in rows:
        (
            referral_pk, code, reason, urgency, status, sent, receive_by, attend_by,
            changed_at, outcome, decline_reason,
            service_name, service_language, service_translations,
            location_pk, location_name, location_language, location_translations,
            referring_name, receiving_name,
        ) = row  # fmt: skip
        location = translated(location_name, "name", location_language, location_translations)
        items.append(
            ReferralSummary(
                id=referral_pk,
                person_code=code,
                reason=reason,
                reason_label=reasons[reason],
                urgency=urgency,
                urgency_label=urgencies[urgency],
                status=status,
                status_label=statuses[status],
                sent_at=sent,
                receive_by=receive_by,
                attend_by=attend_by,
                status_changed_at=changed_at,
                is_overdue=_overdue(status, receive_by, attend_by, now),
                service_name=translated(
                    service_name, "name", service_language, service_translations
                ),
                location_name=location or str(location_pk),
                referring_organisation_name=referring_name,
                receiving_organisation_name=receiving_name,
                outcome=outcome,
                outcome_label=outcomes[outcome] if outcome else "",
                decline_reason=decline_reason,
                steps=_steps_for(language, status),
            )
        )
    return ReferralPage(items=items, page=max(page, 1), per_page=per_page, total=total)


def referral_inbox_counts(
    *, user: User, location_id: uuid.UUID | None = None, now: datetime.datetime | None = None
) -> dict[str, int]:
    """How many referrals each open filter holds (one query over the open referrals only:
    finished ones pile up for years, and counting them would cost a scan per page view). The
    inbox index holds every column it reads: counted without reading the table."""
    _require_receiver(user)
    now = now or timezone.now()
    where, parameters = _inbox_where(user, location_id, "open", now)
    referral_id = plain.column(Referral, "id")
    counted: list[str] = []
    count_parameters: list[Any] = []
    for view in OPEN_VIEWS:
        condition, view_parameters = _view_sql(view, now)
        counted.append(f"{plain.counted(referral_id, condition)} AS {plain.quote(view)}")
        count_parameters.extend(view_parameters)
    (row,) = plain.fetch(
        f"SELECT {', '.join(counted)} FROM {plain.table(Referral)} WHERE {where}",  # noqa: S608
        [*count_parameters, *parameters],
        [None] * len(OPEN_VIEWS),
    )
    return {view: int(value or 0) for view, value in zip(OPEN_VIEWS, row, strict=True)}


def referral_inbox_locations(*, user: User) -> list[tuple[uuid.UUID, str]]:
    """The centres the user's inbox covers: their assigned ones, else every place where their
    organisations' services are offered."""
    _require_receiver(user)
    scopes = access.received_scopes(user)
    assigned = list(
        dict.fromkeys(centre for _organisation, centres in scopes for centre in centres)
    )
    location = plain.table(Location)
    if assigned:
        where = f"{plain.quote('id')} IN ({plain.placeholders(len(assigned))})"
        parameters = plain.params(Location, "id", assigned)
    else:
        owners = [organisation.pk for organisation, _centres in scopes]
        offered_at = plain.column(ServiceAtLocation, "location", "sl")
        offered = plain.column(ServiceAtLocation, "service", "sl")
        service_id = plain.column(Service, "id", "s")
        where = (
            f"{plain.quote('id')} IN (SELECT {offered_at} FROM {plain.table(ServiceAtLocation)} sl"  # noqa: S608
            f" INNER JOIN {plain.table(Service)} s ON {offered} = {service_id}"
            f" WHERE {plain.column(Service, 'owner', 's')} IN ({plain.placeholders(len(owners))}))"
        )
        parameters = plain.params(Service, "owner", owners)
    rows = plain.fetch(
        f"SELECT {plain.quote('id')}, {plain.quote('name')}, {plain.quote('language')},"  # noqa: S608
        f" {plain.quote('translations')} FROM {location} WHERE {where}"
        f" ORDER BY {plain.quote('name')}",
        parameters,
        [(Location, "id"), None, None, (Location, "translations")],
    )
    language = plain.page_language()
    return [
        (pk, plain.translated(name, "name", own, translations, language) or str(pk))
        for pk, name, own, translations in rows
    ]


def referral_get_received(
    *, user: User, referral_id: Any, now: datetime.datetime | None = None
) -> ReceivedReferral:
    """One referral sent to the user's organisation, with only the shared person fields.
    Reading them is audited (field names only)."""
    _require_receiver(user)
    now = now or timezone.now()
    referral = get_or_not_found(
        _with_history(
            access.referrals_received_by(user=user).select_related(
                "person", "service", "location", "organisation", "receiving_organisation"
            )
        ),
        referral_id,
    )
    person = _shared_person(referral.person)
    if person.shares:
        audit_read(
            actor=user,
            obj=referral.person,
            organisation=referral.person.organisation,
            details={
                "referral": str(referral.pk),
                "side": "receiving",
                "fields": person.field_names,
            },
        )
    return ReceivedReferral(
        **_summary_fields(referral, now),
        steps=_receiving_steps(referral),
        person=person,
        note=referral.note if person.shares else "",
        outcome_note=referral.outcome_note,
        history=_history(referral, notes_of=referral.receiving_organisation_id),
        outcomes=tuple(
            (value, str(ReferralOutcome(value).label)) for value in outcomes_for(referral.reason)
        ),
    )


# ---------------------------------------------------------------------------------------------
# The referring side


SENT_SCOPES = ("mine", "organisation")


def _sent(user: User, scope: str) -> QuerySet[Referral]:
    referrals = access.referrals_sent_visible_to(user=user)
    if scope == "mine":
        referrals = referrals.filter(referred_by=user)
    return referrals


def _cancellable_ids(user: User, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    cancellable = [
        status
        for status, following in REFERRAL_TRANSITIONS.items()
        if ReferralStatus.CANCELLED in following
    ]
    return set(
        Referral.objects.filter(
            pk__in=ids,
            status__in=cancellable,
            person__in=access.people_workable_by(user=user),
        ).values_list("pk", flat=True)
    )


def referrals_sent(
    *,
    user: User,
    scope: str = "organisation",
    status: str = "",
    overdue: bool = False,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    now: datetime.datetime | None = None,
) -> ReferralPage:
    """A page of the referrals of the people the user sees ("mine": those they sent), newest
    first, with their status and feedback; card codes only."""
    _require_people(user)
    now = now or timezone.now()
    referrals = _sent(user, scope if scope in SENT_SCOPES else "organisation")
    if status in ReferralStatus.values:
        referrals = referrals.filter(status=status)
    elif status == "open":
        referrals = referrals.exclude(status__in=FINISHED_STATUSES)
    if overdue:
        referrals = referrals.filter(overdue_q(now))
    total = referrals.count()
    start = (max(page, 1) - 1) * per_page
    rows = list(_list_rows(referrals).order_by("-sent_at", "id")[start : start + per_page])
    items = [SentReferral(**_summary_fields(r, now)) for r in rows]
    return ReferralPage(items=items, page=max(page, 1), per_page=per_page, total=total)


def _sent_referral(
    referral: Referral, now: datetime.datetime, *, cancellable: set[uuid.UUID], name: bool
) -> SentReferral:
    return SentReferral(
        **_summary_fields(referral, now),
        person_id=referral.person_id,
        person_given_name=referral.person.given_name if name else "",
        note=referral.note,
        outcome_note=referral.outcome_note,
        history=_history(referral),
        can_cancel=referral.pk in cancellable,
    )


def referral_get_sent(
    *, user: User, referral_id: Any, now: datetime.datetime | None = None
) -> SentReferral:
    """One referral of a person the user sees, with its whole history and feedback. Shows
    the person's given name: audited."""
    now = now or timezone.now()
    referral = get_or_not_found(
        _with_history(
            access.referrals_sent_visible_to(user=user).select_related(
                "person", "service", "location", "organisation", "receiving_organisation"
            )
        ),
        referral_id,
    )
    audit_read(
        actor=user,
        obj=referral.person,
        organisation=referral.person.organisation,
        details={"referral": str(referral.pk), "side": "referring", "fields": ["given_name"]},
    )
    return _sent_referral(
        referral, now, cancellable=_cancellable_ids(user, [referral.pk]), name=True
    )


def referrals_for_person(
    *, user: User, person: Person, now: datetime.datetime | None = None
) -> list[SentReferral]:
    """The referrals of a person the user sees, newest first, with history and feedback (for
    the person page, which audits the read of the person itself)."""
    now = now or timezone.now()
    referrals = list(
        _with_history(
            access.referrals_sent_visible_to(user=user)
            .filter(person_id=person.pk)
            .select_related("service", "location", "organisation", "receiving_organisation")
            .annotate(person_code=F("person__code"))
        ).order_by("-sent_at")
    )
    cancellable = _cancellable_ids(user, [r.pk for r in referrals])
    return [_sent_referral(r, now, cancellable=cancellable, name=False) for r in referrals]


# ---------------------------------------------------------------------------------------------
# Choosing where to refer


def referral_person_get(*, user: User, person_id: Any) -> Person:
    """A person the user may refer (a read-only role is told so; anyone else gets not found)."""
    try:
        return get_or_not_found(access.people_workable_by(user=user), person_id)
    except NotFoundError:
        if access.people_visible_to(user=user).filter(pk=person_id).exists():
            raise PermissionDeniedError(
                _("You can see this person but not refer them: your role only reads.")
            ) from None
        raise


@dataclass(frozen=True)
class ServiceOption:
    """A published service at one place, to refer to."""

    id: uuid.UUID  # the ServiceAtLocation
    service_name: str
    provider_name: str
    location_name: str
    area_name: str


def near_area_pcode(person: Person) -> str:
    """ "Near the person": the district around their area (its parent below country level)."""
    area = person.area
    if area is None:
        return ""
    if area.parent_id and area.level > 1:
        return str(area.parent_id)
    return str(area.pk)


def _area_and_below(pcode: str) -> list[str]:
    pcodes = [pcode]
    frontier = [pcode]
    while frontier:
        frontier = list(
            AdminArea.objects.filter(parent_id__in=frontier).values_list("pcode", flat=True)
        )
        pcodes.extend(frontier)
    return pcodes


def referral_service_options(
    *,
    user: User,
    person: Person,
    reason: str,
    query: str = "",
    anywhere: bool = False,
    limit: int = 30,
) -> list[ServiceOption]:
    """Published services answering ``reason`` (by category), matching ``query``, near the
    person's area unless ``anywhere``; one option per place where each is offered."""
    del user  # published services are public; the person was checked by the caller
    categories = REASON_CATEGORIES.get(reason, ())
    area = "" if anywhere else near_area_pcode(person)
    filters = ServiceFilters(category_codes=categories, area_pcode=area)
    hits = search_services(query, filters, per_page=limit).hits
    order = {hit.service.pk: position for position, hit in enumerate(hits)}
    places = ServiceAtLocation.objects.filter(service_id__in=order).select_related(
        "service__organization", "location__admin_area"
    )
    if area:
        places = places.filter(location__admin_area_id__in=_area_and_below(area))
    options = [
        ServiceOption(
            id=place.pk,
            service_name=str(place.service.tr("name")),
            provider_name=place.service.organization.name if place.service.organization else "",
            location_name=str(place.location),
            area_name=str(place.location.admin_area.name) if place.location.admin_area else "",
        )
        for place in sorted(places, key=lambda p: (order[p.service_id], str(p.location)))
    ]
    return options[:limit]


def service_at_location_get(*, option_id: Any) -> ServiceAtLocation:
    """A place where a service is offered (the referral action checks it is published)."""
    return get_or_not_found(
        ServiceAtLocation.objects.select_related("service", "location"), option_id
    )


__all__ = [
    "INBOX_VIEWS",
    "ReceivedReferral",
    "ReferralPage",
    "ReferralSummary",
    "SentReferral",
    "ServiceOption",
    "SharedPerson",
    "is_overdue",
    "overdue_q",
    "referral_get_received",
    "referral_get_sent",
    "referral_inbox",
    "referral_inbox_counts",
    "referral_inbox_locations",
    "referral_person_get",
    "referral_service_options",
    "referrals_for_person",
    "referrals_sent",
]


def service_at_location_find(
    *, service_id: uuid.UUID, location_id: uuid.UUID
) -> ServiceAtLocation | None:
    """The place where ``service_id`` is offered at ``location_id``, if it is."""
    return (
        ServiceAtLocation.objects.select_related("service", "location")
        .filter(service_id=service_id, location_id=location_id)
        .first()
    )


def referral_client_uuid_used(*, client_uuid: uuid.UUID) -> bool:
    """Whether an offline device already sent this referral (the create action then returns
    the first one, or refuses if it is not the caller's to see)."""
    return Referral.objects.filter(client_uuid=client_uuid).exists()
