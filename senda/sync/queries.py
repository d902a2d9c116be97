"""Reads of the sync app: devices (who may see and revoke which), open conflicts, and the
scope a device downloads (what its worker may see, in the device's organisation)."""

from __future__ import annotations

import datetime
import functools
import uuid
from typing import Any

from django.db import connections, router
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from senda.accounts import backends
from senda.accounts.models import ApiToken, Membership, Organisation, User
from senda.accounts.roles import CAPABILITIES, Capability
from senda.accounts.token_actions import TOKEN_MAX_LENGTH, hash_token
from senda.casework.access import (
    NOTHING,
    active_memberships,
    people_scope_q,
    people_visible_sql,
    people_visible_to,
    team_member_ids,
)
from senda.casework.models import (
    FollowUp,
    FollowUpStatus,
    Person,
    Referral,
    Topic,
    TopicUse,
)
from senda.casework.queries import plain
from senda.core.errors import PermissionDeniedError
from senda.core.queries import get_or_not_found
from senda.directory.models import (
    Location,
    PublicationStatus,
    Service,
    ServiceAtLocation,
    ServiceStatus,
)
from senda.geo.models import AdminArea
from senda.sync.models import Device, SyncConflict

FIELD_CAPABILITIES = frozenset({Capability.CASE_WORK, Capability.OUTREACH_RECORD})
# Done tasks stay on the phone this long (the worker sees what they did lately).
DONE_TASKS_DAYS = 30


# ---------------------------------------------------------------------------------------------
# Devices


def field_membership(user: User) -> Membership | None:
    """The acting membership if its role does field work (may register a phone), else None."""
    if not user.is_authenticated or not user.is_active:
        return None
    membership = user.active_membership()
    if membership is None:
        return None
    if not CAPABILITIES.get(membership.role, frozenset()) & FIELD_CAPABILITIES:
        return None
    return membership


# What a device's token reads with the worker's memberships: (model, table alias).
_DEVICE_PARTS: tuple[tuple[type[Model], str], ...] = (
    (Device, "d"),
    (ApiToken, "t"),
    (User, "u"),
    (Organisation, "o"),
)


@functools.lru_cache(maxsize=4)
def _device_statement(alias: str) -> tuple[str, list[int]]:
    """The statement of ``device_for_token`` on the database ``alias`` and where each part's
    columns start (then the memberships')."""
    database = connections[alias]
    selected: list[str] = []
    starts: list[int] = []
    for model, table_alias in _DEVICE_PARTS:
        starts.append(len(selected))
        selected.extend(backends.columns(database, model, table_alias))
    starts.append(len(selected))
    user_key = backends.column(database, User, "u", "id")
    membership_columns, memberships, order = backends.memberships_join(database, user_key)

    def key(model: type[Model], table_alias: str, name: str) -> str:
        return backends.column(database, model, table_alias, name)

    sql = (
        f"SELECT {', '.join([*selected, *membership_columns])}"  # noqa: S608
        f" FROM {plain.table(Device)} d"
        f" INNER JOIN {plain.table(ApiToken)} t"
        f" ON {key(ApiToken, 't', 'id')} = {key(Device, 'd', 'api_token')}"
        f" INNER JOIN {plain.table(User)} u ON {user_key} = {key(Device, 'd', 'user')}"
        f" INNER JOIN {plain.table(Organisation)} o"
        f" ON {key(Organisation, 'o', 'id')} = {key(Device, 'd', 'organisation')}"
        f"{memberships}"
        f" WHERE {key(ApiToken, 't', 'token_hash')} = %s ORDER BY {order}"
    )
    return sql, starts


def device_for_token(*, token: str) -> Device | None:
    """The device a clear token belongs to, revoked or not (a revoked one is told to wipe),
    with its token, worker and organisation, and the worker's ``active_memberships()``
    already read: one plain statement, run on every sync request, where compiling the ORM's
    two queries cost more than the database spent answering them."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    database = connections[router.db_for_read(Device)]
    sql, starts = _device_statement(database.alias)
    with database.cursor() as cursor:
        cursor.execute(sql, [*backends.MEMBERSHIP_JOIN_PARAMETERS, hash_token(token)])
        rows = cursor.fetchall()
    if not rows:
        return None
    first = rows[0]
    device, api_token, user, organisation = (
        backends.row_instance(database, model, first[start:end])
        for (model, _alias), start, end in zip(_DEVICE_PARTS, starts[:-1], starts[1:], strict=True)
    )
    # As select_related("user", "organisation", "api_token") leaves them.
    Device._meta.get_field("user").set_cached_value(device, user)
    Device._meta.get_field("organisation").set_cached_value(device, organisation)
    api_token_field = Device._meta.get_field("api_token")
    api_token_field.set_cached_value(device, api_token)
    api_token_field.remote_field.set_cached_value(api_token, device)
    backends.keep_memberships(database, user, rows, starts[-1])
    return device


def device_may_sync(*, device: Device) -> bool:
    """Not revoked, its token not revoked, and its worker still does field work in the
    device's organisation."""
    if device.revoked_at is not None or device.api_token.revoked_at is not None:
        return False
    user = device.user
    if not user.is_active:
        return False
    return any(
        membership.organisation_id == device.organisation_id
        and CAPABILITIES.get(membership.role, frozenset()) & FIELD_CAPABILITIES
        for membership in active_memberships(user)
    )


def _devices_q(user: User) -> Q:
    condition = Q(user_id=user.pk) if user.is_authenticated else NOTHING
    for membership in active_memberships(user):
        capabilities = CAPABILITIES.get(membership.role, frozenset())
        organisation = membership.organisation
        if Capability.ORG_MANAGE in capabilities:
            condition |= Q(organisation=organisation)
        elif Capability.CASE_SUPERVISE in capabilities:
            condition |= Q(
                organisation=organisation, user_id__in=team_member_ids(user, organisation)
            )
    return condition


def devices_visible_to(*, user: User) -> QuerySet[Device]:
    """Devices the user may see and revoke: their own; their team's (a supervisor); every
    device of the organisation (an organisation admin)."""
    if not user.is_authenticated or not user.is_active:
        return Device.objects.none()
    return (
        Device.objects.filter(_devices_q(user))
        .select_related("user", "organisation", "revoked_by", "api_token")
        .order_by("-created_at", "id")
    )


def device_get(*, user: User, device_id: uuid.UUID | str) -> Device:
    """One device the user may see and revoke (NotFoundError otherwise)."""
    return get_or_not_found(devices_visible_to(user=user), device_id)


def may_see_devices(*, user: User) -> bool:
    """Whether the devices page has anything for the user: they do field work, supervise or
    manage an organisation."""
    wanted = FIELD_CAPABILITIES | {Capability.CASE_SUPERVISE, Capability.ORG_MANAGE}
    return any(
        CAPABILITIES.get(membership.role, frozenset()) & wanted
        for membership in active_memberships(user)
    )


def require_devices_page(*, user: User) -> None:
    if not may_see_devices(user=user):
        raise PermissionDeniedError(
            _("Your role does not include field work, supervising or managing the organisation.")
        )


# ---------------------------------------------------------------------------------------------
# Conflicts


def conflicts_open(*, device: Device) -> QuerySet[SyncConflict]:
    """The open conflicts of the device's worker in the device's organisation."""
    return SyncConflict.objects.filter(
        user=device.user, organisation=device.organisation, resolved_at__isnull=True
    ).order_by("created_at", "id")


def conflict_get(*, device: Device, conflict_id: int) -> SyncConflict:
    return get_or_not_found(
        SyncConflict.objects.filter(user=device.user, organisation=device.organisation),
        conflict_id,
    )


# ---------------------------------------------------------------------------------------------
# What a device downloads


def scope_people(*, device: Device, include_inactive: bool = False) -> QuerySet[Person]:
    """People the worker sees in the device's organisation (``include_inactive``: also the
    erased and merged ones, whose removal the device must hear about)."""
    return people_visible_to(user=device.user, include_inactive=include_inactive).filter(
        organisation_id=device.organisation_id
    )


# Plain SQL conditions (joined with AND) and their parameters, in order.
Conditions = tuple[list[str], list[Any]]


def scope_people_sql(*, device: Device) -> Conditions | None:
    """``scope_people(device=device)`` as plain SQL conditions on the people table under the
    alias ``p`` and their parameters, or None when the worker sees nobody there: the first
    sync's pages of people are read with it, where compiling the ORM's query cost more than
    the database spent answering it. The same reading of ``people_scopes`` as
    ``people_scope_q``, narrowed to the device's organisation (``tests/test_sync_pull.py``
    checks both give the same people for every role)."""
    return people_visible_sql(device.user, device.organisation_id)


def _of_people(people: Conditions, column: str) -> Conditions:
    """``column`` (a person id) among the people meeting ``people`` (alias ``p``)."""
    return (
        [
            f"{column} IN (SELECT {plain.column(Person, 'id', 'p')}"  # noqa: S608
            f" FROM {plain.table(Person)} p WHERE {' AND '.join(people[0])})"
        ],
        list(people[1]),
    )


def scope_referrals_sql(*, device: Device) -> Conditions | None:
    """``scope_referrals(device=device)`` as plain SQL conditions on the referrals table under
    the alias ``r`` (see ``scope_people_sql``), or None when there can be none."""
    people = scope_people_sql(device=device)
    if people is None:
        return None
    of_people, people_parameters = _of_people(people, plain.column(Referral, "person", "r"))
    return (
        [
            f"{plain.column(Referral, 'organisation', 'r')} = %s",
            f"{plain.column(Referral, 'referred_by', 'r')} = %s",
            *of_people,
        ],
        [
            plain.param(Referral, "organisation", device.organisation_id),
            plain.param(Referral, "referred_by", device.user_id),
            *people_parameters,
        ],
    )


def scope_follow_ups_sql(*, device: Device, now: datetime.datetime) -> Conditions | None:
    """``scope_follow_ups(device=device, now=now)`` as plain SQL conditions on the tasks table
    under the alias ``t`` (see ``scope_people_sql``), or None when there can be none."""
    people = scope_people_sql(device=device)
    if people is None:
        return None
    recent = now - datetime.timedelta(days=DONE_TASKS_DAYS)
    status = plain.column(FollowUp, "status", "t")
    completed_at = plain.column(FollowUp, "completed_at", "t")
    of_people, people_parameters = _of_people(people, plain.column(FollowUp, "person", "t"))
    return (
        [
            f"({status} = %s OR ({status} = %s AND {completed_at} >= %s))",
            f"{plain.column(FollowUp, 'organisation', 't')} = %s",
            f"{plain.column(FollowUp, 'assigned_to', 't')} = %s",
            *of_people,
        ],
        [
            FollowUpStatus.OPEN.value,
            FollowUpStatus.DONE.value,
            plain.param(FollowUp, "completed_at", recent),
            plain.param(FollowUp, "organisation", device.organisation_id),
            plain.param(FollowUp, "assigned_to", device.user_id),
            *people_parameters,
        ],
    )


def scope_referrals(*, device: Device) -> QuerySet[Referral]:
    """The referrals the worker sent, of people they still see."""
    return Referral.objects.filter(
        organisation_id=device.organisation_id,
        referred_by_id=device.user_id,
        person__in=scope_people(device=device),
    )


def referrals_ever_in_scope(*, device: Device) -> QuerySet[Referral]:
    """The referrals the worker sent, whatever became of the person since."""
    return Referral.objects.filter(
        organisation_id=device.organisation_id, referred_by_id=device.user_id
    )


def scope_follow_ups(*, device: Device, now: datetime.datetime) -> QuerySet[FollowUp]:
    """The worker's tasks: open ones, and those done in the last ``DONE_TASKS_DAYS`` days."""
    recent = now - datetime.timedelta(days=DONE_TASKS_DAYS)
    return FollowUp.objects.filter(
        Q(status=FollowUpStatus.OPEN) | Q(status=FollowUpStatus.DONE, completed_at__gte=recent),
        organisation_id=device.organisation_id,
        assigned_to_id=device.user_id,
        person__in=scope_people(device=device),
    )


def follow_ups_ever_in_scope(*, device: Device) -> QuerySet[FollowUp]:
    """Tasks about people the worker sees or saw in the device's organisation."""
    return FollowUp.objects.filter(
        organisation_id=device.organisation_id,
        person__in=Person.objects.filter(people_scope_q(device.user)),
    )


def scope_topics() -> QuerySet[Topic]:
    """Orientation topics (inactive ones go to the device as removed)."""
    return Topic.objects.filter(use=TopicUse.ORIENTATION)


def scope_areas(*, organisation: Organisation) -> QuerySet[AdminArea]:
    """The admin areas of the organisation's country."""
    if not organisation.country_id:
        return AdminArea.objects.none()
    return AdminArea.objects.filter(country_id=organisation.country_id)


def scope_services(*, organisation: Organisation) -> QuerySet[ServiceAtLocation]:
    """Services at locations in the organisation's country (unpublished or closed ones go to
    the device as removed)."""
    if not organisation.country_id:
        return ServiceAtLocation.objects.none()
    return ServiceAtLocation.objects.filter(location__country_id=organisation.country_id)


TOPIC_STATE = ("id", "slug", "name", "translations", "is_active", "position")


def reference_state(
    *, organisation: Organisation
) -> tuple[list[tuple[Any, ...]], dict[str, Any], int]:
    """What the reference lists' fingerprint is made of, read on the first and last page of
    every sync: the orientation topics (``TOPIC_STATE`` by id), the count and latest change
    of the organisation's services at locations, and the count of its admin areas. Plain SQL,
    two statements, values as the ORM gives them (``tests/test_sync_pull.py`` checks)."""
    topic_id = plain.column(Topic, "id")
    topics = [
        tuple(row)
        for row in plain.fetch(
            f"SELECT {', '.join(plain.column(Topic, name) for name in TOPIC_STATE)}"  # noqa: S608
            f" FROM {plain.table(Topic)} WHERE {plain.column(Topic, 'use')} = %s"
            f" ORDER BY {topic_id}",
            [TopicUse.ORIENTATION.value],
            [(Topic, name) for name in TOPIC_STATE],
        )
    ]
    if not organisation.country_id:
        return topics, {"count": 0, "services": None, "locations": None}, 0
    sal_id = plain.column(ServiceAtLocation, "id", "sal")
    sal_location = plain.column(ServiceAtLocation, "location", "sal")
    sal_service = plain.column(ServiceAtLocation, "service", "sal")
    service_changed = plain.column(Service, "updated_at", "s")
    location_changed = plain.column(Location, "updated_at", "l")
    ((count, services, locations, areas),) = plain.fetch(
        f"SELECT COUNT({sal_id}), MAX({service_changed}), MAX({location_changed}),"  # noqa: S608
        f" (SELECT COUNT(*) FROM {plain.table(AdminArea)} a"
        f" WHERE {plain.column(AdminArea, 'country', 'a')} = %s)"
        f" FROM {plain.table(ServiceAtLocation)} sal"
        f" INNER JOIN {plain.table(Location)} l"
        f" ON {sal_location} = {plain.column(Location, 'id', 'l')}"
        f" INNER JOIN {plain.table(Service)} s"
        f" ON {sal_service} = {plain.column(Service, 'id', 's')}"
        f" WHERE {plain.column(Location, 'country', 'l')} = %s",
        [
            plain.param(AdminArea, "country", organisation.country_id),
            plain.param(Location, "country", organisation.country_id),
        ],
        [None, (Service, "updated_at"), (Location, "updated_at"), None],
    )
    return topics, {"count": count, "services": services, "locations": locations}, areas


def service_is_offered(sal: ServiceAtLocation) -> bool:
    service = sal.service
    return service.publication_status == PublicationStatus.PUBLISHED and service.status not in {
        ServiceStatus.DEFUNCT,
        ServiceStatus.INACTIVE,
    }


def offered_services_q() -> Q:
    """Published services that are not closed for good (what a referral may go to)."""
    return Q(service__publication_status=PublicationStatus.PUBLISHED) & ~Q(
        service__status__in=[ServiceStatus.DEFUNCT, ServiceStatus.INACTIVE]
    )
