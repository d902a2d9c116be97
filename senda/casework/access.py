"""Who sees which person, referral and task: decided here once for every query and action.

A user may belong to several organisations; each active membership adds what its role sees
there (``senda.accounts.roles.people_scope``). Nothing here is granted to superusers for being
superusers: platform administrators see people only through a membership, like anyone else.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from senda.accounts.models import Membership, Organisation, User
from senda.accounts.roles import CAPABILITIES, Capability, PeopleScope, people_scope
from senda.casework.models import CentreAssignment, FollowUp, Person, Referral, Team

NOTHING = Q(pk__in=[])


def active_memberships(user: User) -> list[Membership]:
    if not user.is_authenticated or not user.is_active:
        return []
    cached: list[Membership] | None = getattr(user, "_casework_memberships", None)
    if cached is None:
        cached = list(
            Membership.objects.select_related("organisation").filter(
                user=user, is_active=True, organisation__is_active=True
            )
        )
        user._casework_memberships = cached  # type: ignore[attr-defined]
    return cached


def organisations_where(user: User, capability: Capability) -> list[Organisation]:
    """The organisations in which the user's role holds ``capability``."""
    return [
        membership.organisation
        for membership in active_memberships(user)
        if capability in CAPABILITIES.get(membership.role, frozenset())
    ]


def team_member_ids(user: User, organisation: Organisation) -> set[int]:
    """The user and everyone in the teams they supervise in ``organisation``."""
    ids = set(
        Team.members.through.objects.filter(
            team__supervisor=user, team__organisation=organisation
        ).values_list("user_id", flat=True)
    )
    ids.add(user.pk)
    return ids


def _people_q(user: User, *, writable: bool) -> Q:
    condition = NOTHING
    for membership in active_memberships(user):
        capabilities = CAPABILITIES.get(membership.role, frozenset())
        if writable and Capability.CASE_WORK not in capabilities:
            continue
        scope = people_scope(membership.role)
        organisation = membership.organisation
        if scope is PeopleScope.ORGANISATION:
            condition |= Q(organisation=organisation)
        elif scope is PeopleScope.TEAM:
            members = team_member_ids(user, organisation)
            condition |= Q(organisation=organisation, registered_by__in=members)
        elif scope is PeopleScope.OWN:
            condition |= Q(organisation=organisation, registered_by=user)
    return condition


def people_scope_q(user: User, *, writable: bool = False) -> Q:
    """A filter on Person for the people ``user`` may see (``writable``: may work with)."""
    return _people_q(user, writable=writable)


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


def referrals_received_q(user: User) -> Q:
    """Referrals sent to the user's organisations, narrowed to their centres when they have
    centre assignments there. The receiving side sees only the shared fields."""
    condition = NOTHING
    for organisation in organisations_where(user, Capability.REFERRAL_RECEIVE):
        centres = list(
            CentreAssignment.objects.filter(user=user, organisation=organisation).values_list(
                "location_id", flat=True
            )
        )
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
