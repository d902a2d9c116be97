"""Reads of teams and centre assignments, for the organisation admins who set them up.

Teams decide what a supervisor sees, centre assignments what a focal point's inbox holds
(``senda.casework.access``); both are managed by roles holding ORG_MANAGE.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from senda.accounts.models import Organisation, User
from senda.accounts.roles import CAPABILITIES, Capability, Role
from senda.casework.access import organisations_where
from senda.casework.models import CentreAssignment, Team
from senda.core.errors import PermissionDeniedError
from senda.core.queries import get_or_not_found
from senda.directory.models import Location


def managed_organisations(user: User) -> list[Organisation]:
    """The organisations whose teams and centres the user sets up."""
    return organisations_where(user, Capability.ORG_MANAGE)


def _require_manager(user: User) -> list[Organisation]:
    organisations = managed_organisations(user)
    if not organisations:
        raise PermissionDeniedError(_("Only organisation admins set up teams and centres."))
    return organisations


def may_manage_teams(user: User) -> bool:
    return bool(managed_organisations(user))


def _roles_with(capability: Capability) -> list[str]:
    return [str(role) for role, caps in CAPABILITIES.items() if capability in caps]


def _members_with_roles(organisation: Organisation, roles: list[str]) -> QuerySet[User]:
    return (
        User.objects.filter(
            is_active=True,
            memberships__organisation=organisation,
            memberships__is_active=True,
            memberships__role__in=roles,
        )
        .order_by("last_name", "first_name", "username")
        .distinct()
    )


def supervisor_candidates(*, organisation: Organisation) -> QuerySet[User]:
    """Who can lead a team: active members whose role is supervisor."""
    return _members_with_roles(organisation, [str(Role.SUPERVISOR)])


def member_candidates(*, organisation: Organisation) -> QuerySet[User]:
    """Who can be in a team: the organisation's case workers."""
    return _members_with_roles(organisation, _roles_with(Capability.CASE_WORK))


def centre_candidates(*, organisation: Organisation) -> QuerySet[User]:
    """Who can be assigned to centres: members who receive referrals (focal points)."""
    return _members_with_roles(organisation, _roles_with(Capability.REFERRAL_RECEIVE))


def centre_locations(*, organisation: Organisation) -> QuerySet[Location]:
    """The directory locations the organisation maintains: the centres it can assign."""
    return Location.objects.filter(owner=organisation).order_by("name")


def teams_managed_by(*, user: User) -> QuerySet[Team]:
    """The teams of the organisations the user manages, with supervisor and members."""
    organisations = _require_manager(user)
    return (
        Team.objects.filter(organisation__in=organisations)
        .select_related("organisation", "supervisor")
        .prefetch_related(
            Prefetch("members", queryset=User.objects.order_by("last_name", "first_name"))
        )
        .order_by("organisation__name", "name")
    )


def team_get(*, user: User, team_id: object) -> Team:
    """One team the user manages; NotFoundError for any other."""
    return get_or_not_found(teams_managed_by(user=user), team_id)


def centre_assignments_managed_by(*, user: User) -> QuerySet[CentreAssignment]:
    """The centre assignments of the organisations the user manages."""
    organisations = _require_manager(user)
    return (
        CentreAssignment.objects.filter(organisation__in=organisations)
        .select_related("organisation", "user", "location")
        .order_by("user__last_name", "user__first_name", "user__username", "location__name")
    )


def centre_assignment_get(*, user: User, assignment_id: object) -> CentreAssignment:
    """One centre assignment the user manages; NotFoundError for any other."""
    return get_or_not_found(centre_assignments_managed_by(user=user), assignment_id)
