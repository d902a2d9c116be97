"""Writes of teams and centre assignments (organisation admins only).

A team's supervisor sees the people its members registered and their tasks; a focal point
with centre assignments sees only the referrals sent to those centres.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability
from senda.casework.models import CentreAssignment, Team
from senda.casework.queries.activities import holds
from senda.casework.queries.teams import (
    centre_candidates,
    centre_locations,
    member_candidates,
    supervisor_candidates,
)
from senda.core.audit import audit
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.directory.models import Location

MAX_NAME = 120


def _require_admin(actor: User, organisation: Organisation | object) -> None:
    if not holds(actor, Capability.ORG_MANAGE, organisation):
        raise PermissionDeniedError(_("Only organisation admins set up teams and centres."))


def _clean_name(organisation: Organisation, name: str, team: Team | None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("Give the team a name.")]})
    if len(name) > MAX_NAME or "\x00" in name:
        raise ValidationError(
            {"name": [_("Use at most %(count)d characters.") % {"count": MAX_NAME}]}
        )
    taken = Team.objects.filter(organisation=organisation, name__iexact=name)
    if team is not None:
        taken = taken.exclude(pk=team.pk)
    if taken.exists():
        raise ValidationError({"name": [_("The organisation already has a team of this name.")]})
    return name


def _check_supervisor(organisation: Organisation, supervisor: User | None) -> None:
    if supervisor is not None and not (
        supervisor_candidates(organisation=organisation).filter(pk=supervisor.pk).exists()
    ):
        raise ValidationError(
            {"supervisor": [_("Choose a member of the organisation whose role is supervisor.")]}
        )


def _check_members(organisation: Organisation, members: Sequence[User]) -> None:
    allowed = set(
        member_candidates(organisation=organisation)
        .filter(pk__in=[m.pk for m in members])
        .values_list("pk", flat=True)
    )
    if any(member.pk not in allowed for member in members):
        raise ValidationError(
            {"members": [_("Choose case workers of the organisation (promoters, volunteers…).")]}
        )


@transaction.atomic
def team_create(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    supervisor: User | None = None,
    members: Sequence[User] = (),
) -> Team:
    """Create a team of ``organisation`` with its supervisor and members."""
    _require_admin(actor, organisation)
    name = _clean_name(organisation, name, None)
    _check_supervisor(organisation, supervisor)
    _check_members(organisation, members)
    team = Team.objects.create(organisation=organisation, name=name, supervisor=supervisor)
    team.members.set(members)
    audit(
        actor=actor,
        action="casework.team_create",
        obj=team,
        organisation=organisation,
        details={
            "supervisor": supervisor.pk if supervisor else None,
            "members": sorted(m.pk for m in members),
        },
    )
    return team


@transaction.atomic
def team_update(*, actor: User, team: Team, name: str, supervisor: User | None) -> Team:
    """Rename a team or change its supervisor (none: the team has no supervisor for now)."""
    _require_admin(actor, team.organisation_id)
    organisation = team.organisation
    team.name = _clean_name(organisation, name, team)
    _check_supervisor(organisation, supervisor)
    previous = team.supervisor_id
    team.supervisor = supervisor
    team.save(update_fields=["name", "supervisor"])
    audit(
        actor=actor,
        action="casework.team_update",
        obj=team,
        organisation=organisation,
        details={"supervisor": supervisor.pk if supervisor else None, "previous": previous},
    )
    return team


@transaction.atomic
def team_delete(*, actor: User, team: Team) -> None:
    """Delete a team: its supervisor no longer sees its members' work."""
    _require_admin(actor, team.organisation_id)
    audit(
        actor=actor,
        action="casework.team_delete",
        obj=team,
        organisation=team.organisation,
        details={"members": sorted(team.members.values_list("pk", flat=True))},
    )
    team.delete()


@transaction.atomic
def team_member_add(*, actor: User, team: Team, member: User) -> Team:
    """Add a case worker of the organisation to a team."""
    _require_admin(actor, team.organisation_id)
    _check_members(team.organisation, [member])
    if team.members.filter(pk=member.pk).exists():
        raise ValidationError({"members": [_("This person is already in the team.")]})
    team.members.add(member)
    audit(
        actor=actor,
        action="casework.team_member_add",
        obj=team,
        organisation=team.organisation,
        details={"member": member.pk},
    )
    return team


@transaction.atomic
def team_member_remove(*, actor: User, team: Team, member: User) -> Team:
    """Take a member out of a team."""
    _require_admin(actor, team.organisation_id)
    if not team.members.filter(pk=member.pk).exists():
        raise ValidationError({"members": [_("This person is not in the team.")]})
    team.members.remove(member)
    audit(
        actor=actor,
        action="casework.team_member_remove",
        obj=team,
        organisation=team.organisation,
        details={"member": member.pk},
    )
    return team


@transaction.atomic
def centre_assign(
    *, actor: User, organisation: Organisation, user: User, location: Location
) -> CentreAssignment:
    """Assign a focal point to a centre the organisation keeps in the directory."""
    _require_admin(actor, organisation)
    errors: dict[str, list[str]] = {}
    if not centre_candidates(organisation=organisation).filter(pk=user.pk).exists():
        errors["user"] = [_("Choose a member of the organisation who receives referrals.")]
    if not centre_locations(organisation=organisation).filter(pk=location.pk).exists():
        errors["location"] = [_("Choose a place that the organisation keeps in the directory.")]
    if not errors and CentreAssignment.objects.filter(user=user, location=location).exists():
        errors["location"] = [_("This person is already assigned to this centre.")]
    if errors:
        raise ValidationError(errors)
    assignment = CentreAssignment.objects.create(
        organisation=organisation, user=user, location=location
    )
    audit(
        actor=actor,
        action="casework.centre_assign",
        obj=assignment,
        organisation=organisation,
        details={"user": user.pk, "location": str(location.pk)},
    )
    return assignment


@transaction.atomic
def centre_unassign(*, actor: User, assignment: CentreAssignment) -> None:
    """End a focal point's assignment to a centre."""
    _require_admin(actor, assignment.organisation_id)
    audit(
        actor=actor,
        action="casework.centre_unassign",
        obj=assignment,
        organisation=assignment.organisation,
        details={"user": assignment.user_id, "location": str(assignment.location_id)},
    )
    assignment.delete()
