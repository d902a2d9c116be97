"""Who sees which person, referral and task: decided here once for every query and action.

A user may belong to several organisations; each active membership adds what its role sees
there (``senda.accounts.roles.people_scope``). Nothing here is granted to superusers for being
superusers: platform administrators see people only through a membership, like anyone else.

What a user is (memberships, teams supervised, centres assigned) is read once per user object
and kept on it: a request loads its user afresh (its memberships in the same query), so each is
read once per request however many queries ask. Code that changes one of them and reads again
in the same breath reloads the user.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet

from senda.accounts.models import Membership, Organisation, User
from senda.accounts.roles import CAPABILITIES, Capability, PeopleScope, people_scope
from senda.casework.models import CentreAssignment, FollowUp, Person, Referral, Team
from senda.casework.queries import plain

NOTHING = Q(pk__in=[])


def active_memberships(user: User) -> list[Membership]:
    if not user.is_authenticated or not user.is_active:
        return []
    # Read once per user object, with the user itself for the request's user.
    return user.active_memberships()


def organisations_where(user: User, capability: Capability) -> list[Organisation]:
    """The organisations in which the user's role holds ``capability``."""
    return [
        membership.organisation
        for membership in active_memberships(user)
        if capability in CAPABILITIES.get(membership.role, frozenset())
    ]


def team_member_ids(user: User, organisation: Organisation) -> set[int]:
    """The user and everyone in the teams they supervise in ``organisation``."""
    cached: dict[object, set[int]] | None = getattr(user, "_casework_teams", None)
    if cached is None:
        cached = {}
        user._casework_teams = cached  # type: ignore[attr-defined]
    ids = cached.get(organisation.pk)
    if ids is None:
        ids = set(
            Team.members.through.objects.filter(
                team__supervisor=user, team__organisation=organisation
            ).values_list("user_id", flat=True)
        )
        ids.add(user.pk)
        cached[organisation.pk] = ids
    return set(ids)  # a copy: callers may add to theirs


def people_scopes(
    user: User, *, writable: bool = False
) -> list[tuple[Organisation, set[int] | None]]:
    """Where the user sees people (``writable``: may work with them): each organisation, with
    whose registrations they see there (user ids), or None for every person of it."""
    scopes: list[tuple[Organisation, set[int] | None]] = []
    for membership in active_memberships(user):
        capabilities = CAPABILITIES.get(membership.role, frozenset())
        if writable and Capability.CASE_WORK not in capabilities:
            continue
        scope = people_scope(membership.role)
        organisation = membership.organisation
        if scope is PeopleScope.ORGANISATION:
            scopes.append((organisation, None))
        elif scope is PeopleScope.TEAM:
            scopes.append((organisation, team_member_ids(user, organisation)))
        elif scope is PeopleScope.OWN:
            scopes.append((organisation, {user.pk}))
    return scopes


def _people_q(user: User, *, writable: bool) -> Q:
    condition = NOTHING
    for organisation, registered_by in people_scopes(user, writable=writable):
        if registered_by is None:
            condition |= Q(organisation=organisation)
        elif registered_by == {user.pk}:
            condition |= Q(organisation=organisation, registered_by=user)
        else:
            condition |= Q(organisation=organisation, registered_by__in=registered_by)
    return condition


def people_scope_q(user: User, *, writable: bool = False) -> Q:
    """A filter on Person for the people ``user`` may see (``writable``: may work with)."""
    return _people_q(user, writable=writable)


def people_visible_sql(user: User, organisation_id: Any) -> tuple[list[str], list[Any]] | None:
    """The active people ``user`` sees in one organisation as plain SQL: conditions on the
    people table under the alias ``p`` (joined with AND) and their parameters, or None when
    they see nobody there. The same reading of ``people_scopes`` as ``people_scope_q``, for the
    hot reads where compiling the ORM's query cost more than the database spent answering it
    (the duplicate check, the field app's first sync)."""
    registrants: set[int] | None = set()
    found = False
    for organisation, registered_by in people_scopes(user):
        if organisation.pk != organisation_id:
            continue
        found = True
        if registered_by is None:
            registrants = None
        elif registrants is not None:
            registrants |= registered_by
    if not found or (registrants is not None and not registrants):
        return None
    conditions = [
        f"{plain.column(Person, 'organisation', 'p')} = %s",
        f"{plain.column(Person, 'erased_at', 'p')} IS NULL",
        f"{plain.column(Person, 'merged_into', 'p')} IS NULL",
    ]
    parameters: list[Any] = [plain.param(Person, "organisation", organisation_id)]
    if registrants is not None:
        ids = sorted(registrants)
        conditions.append(
            f"{plain.column(Person, 'registered_by', 'p')} IN ({plain.placeholders(len(ids))})"
        )
        parameters.extend(plain.params(Person, "registered_by", ids))
    return conditions, parameters


def people_visible_to(*, user: User, include_inactive: bool = False) -> QuerySet[Person]:
    """People the user may see. Merged and erased records are left out unless asked."""
    people = Person.objects.filter(people_scope_q(user))
    if not include_inactive:
        people = people.filter(erased_at__isnull=True, merged_into__isnull=True)
    return people


def people_workable_by(*, user: User) -> QuerySet[Person]:
    """People the user may orient, refer, follow up and edit (read-only roles excluded)."""
    return Person.objects.filter(
        people_scope_q(user, writable=True), erased_at__isnull=True, merged_into__isnull=True
    )


def referrals_sent_visible_to(*, user: User) -> QuerySet[Referral]:
    """Referrals of people the user sees, as the referring side sees them (everything)."""
    return Referral.objects.filter(person__in=Person.objects.filter(people_scope_q(user)))


def received_scopes(user: User) -> list[tuple[Organisation, list[uuid.UUID]]]:
    """Where the user receives referrals: each organisation in which their role receives them,
    with the centres (location ids) they are assigned to there; an empty list means every
    centre of that organisation. Read once per user object."""
    cached: list[tuple[Organisation, list[uuid.UUID]]] | None = getattr(
        user, "_casework_received", None
    )
    if cached is None:
        organisations = organisations_where(user, Capability.REFERRAL_RECEIVE)
        centres: dict[object, list[uuid.UUID]] = {}
        if organisations:
            # Plain SQL: read on every inbox page, where compiling it cost more than running it.
            organisation_column = plain.column(CentreAssignment, "organisation")
            for organisation_id, location_id in plain.fetch(
                f"SELECT {organisation_column}, {plain.column(CentreAssignment, 'location')}"  # noqa: S608
                f" FROM {plain.table(CentreAssignment)}"
                f" WHERE {plain.column(CentreAssignment, 'user')} = %s"
                f" AND {organisation_column} IN ({plain.placeholders(len(organisations))})",
                [
                    plain.param(CentreAssignment, "user", user.pk),
                    *plain.params(CentreAssignment, "organisation", [o.pk for o in organisations]),
                ],
                [(CentreAssignment, "organisation"), (CentreAssignment, "location")],
            ):
                centres.setdefault(organisation_id, []).append(location_id)
        cached = [
            (organisation, centres.get(organisation.pk, [])) for organisation in organisations
        ]
        user._casework_received = cached  # type: ignore[attr-defined]
    return cached


def referrals_received_q(user: User) -> Q:
    """Referrals sent to the user's organisations, narrowed to their centres when they have
    centre assignments there. The receiving side sees only the shared fields."""
    condition = NOTHING
    for organisation, centres in received_scopes(user):
        if centres:
            condition |= Q(receiving_organisation=organisation, location_id__in=centres)
        else:
            condition |= Q(receiving_organisation=organisation)
    return condition


def referrals_received_by(*, user: User) -> QuerySet[Referral]:
    return Referral.objects.filter(referrals_received_q(user))


def follow_ups_visible_to(*, user: User) -> QuerySet[FollowUp]:
    """A worker's own tasks; a supervisor also their team's; the organisation's for roles that
    see every person there."""
    workable = organisations_where(user, Capability.CASE_WORK)
    condition = Q(assigned_to=user, organisation__in=workable)
    for membership in active_memberships(user):
        capabilities = CAPABILITIES.get(membership.role, frozenset())
        organisation = membership.organisation
        if Capability.CASE_SUPERVISE in capabilities:
            condition |= Q(
                organisation=organisation, assigned_to__in=team_member_ids(user, organisation)
            )
        if people_scope(membership.role) is PeopleScope.ORGANISATION:
            condition |= Q(organisation=organisation)
    return FollowUp.objects.filter(condition)
