"""Writes to organisations, users and memberships."""

from __future__ import annotations

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from senda.accounts import two_factor
from senda.accounts.models import Membership, Organisation, User
from senda.accounts.roles import Capability, Role
from senda.core.audit import audit
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.geo.models import Country


def _require_manager(actor: User | None, organisation: Organisation) -> None:
    if actor is None:
        return  # system (management commands, demo loader)
    if not (actor.is_superuser or actor.can(Capability.ORG_MANAGE, organisation)):
        raise PermissionDeniedError(_("You cannot manage this organisation's members."))


@transaction.atomic
def organisation_create(
    *,
    actor: User | None,
    name: str,
    country: Country | None = None,
    is_network_editor: bool = False,
    slug: str = "",
) -> Organisation:
    """Create a tenant organisation (superusers and system only)."""
    if actor is not None and not actor.is_superuser:
        raise PermissionDeniedError(_("Only a system administrator can add organisations."))
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("Give the organisation a name.")]})
    slug = slug or slugify(name)[:60]
    if (
        Organisation.objects.filter(name=name).exists()
        or Organisation.objects.filter(slug=slug).exists()
    ):
        raise ValidationError({"name": [_("An organisation with this name already exists.")]})
    organisation = Organisation.objects.create(
        name=name, slug=slug, country=country, is_network_editor=is_network_editor
    )
    audit(
        actor=actor,
        action="accounts.organisation_create",
        obj=organisation,
        organisation=organisation,
    )
    return organisation


@transaction.atomic
def member_add(
    *,
    actor: User | None,
    organisation: Organisation,
    username: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    password: str | None = None,
    can_log_in: bool = True,
) -> tuple[Membership, str | None]:
    """Add a person to an organisation with a role; creates the user when new.

    Returns the membership and, for a new user without a given password, the temporary
    password to hand over (they must change it at first login). ``can_log_in=False`` creates
    a new user with an unusable password (no hashing: the demo's many field workers).
    """
    _require_manager(actor, organisation)
    if role not in Role.values:
        raise ValidationError({"role": [_("Choose a valid role.")]})
    username = username.strip()
    if not username:
        raise ValidationError({"username": [_("Give a user name.")]})
    temporary_password = None
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, first_name=first_name, last_name=last_name, email=email)
        if not can_log_in:
            if password is not None:
                raise ValidationError(
                    {"password": [_("A member who cannot log in has no password.")]}
                )
            user.set_unusable_password()
        elif password is None:
            temporary_password = secrets.token_urlsafe(9)
            user.set_password(temporary_password)
            user.must_change_password = True
        else:
            try:
                validate_password(password, user)
            except DjangoValidationError as exc:
                raise ValidationError({"password": list(exc.messages)}) from exc
            user.set_password(password)
        user.save()
    elif Membership.objects.filter(user=user, organisation=organisation).exists():
        raise ValidationError({"username": [_("This person is already a member.")]})
    membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    audit(
        actor=actor,
        action="accounts.member_add",
        obj=membership,
        organisation=organisation,
        details={"user": user.username, "role": role},
    )
    return membership, temporary_password


def _membership_for_manager(actor: User, membership_id: int) -> Membership:
    membership = (
        Membership.objects.select_related("user", "organisation").filter(pk=membership_id).first()
    )
    if membership is None or not (
        actor.is_superuser or actor.can(Capability.ORG_MANAGE, membership.organisation)
    ):
        raise NotFoundError(str(membership_id))
    return membership


@transaction.atomic
def member_change_role(*, actor: User, membership_id: int, role: str) -> Membership:
    """Give a member another role in the same organisation."""
    membership = _membership_for_manager(actor, membership_id)
    if role not in Role.values:
        raise ValidationError({"role": [_("Choose a valid role.")]})
    if membership.user_id == actor.pk and role != Role.ORG_ADMIN:
        raise ValidationError({"role": [_("You cannot remove your own admin role.")]})
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit(
        actor=actor,
        action="accounts.member_change_role",
        obj=membership,
        organisation=membership.organisation,
        details={"from": previous, "to": role},
    )
    return membership


@transaction.atomic
def member_deactivate(*, actor: User, membership_id: int) -> Membership:
    """End a member's access to the organisation (the user and the history stay)."""
    membership = _membership_for_manager(actor, membership_id)
    if membership.user_id == actor.pk:
        raise ValidationError({"__all__": [_("You cannot remove yourself.")]})
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    audit(
        actor=actor,
        action="accounts.member_deactivate",
        obj=membership,
        organisation=membership.organisation,
    )
    return membership


@transaction.atomic
def member_reset_password(*, actor: User, membership_id: int) -> str:
    """Give a member a new temporary password, to be changed at their next login."""
    membership = _membership_for_manager(actor, membership_id)
    user = membership.user
    if user.is_superuser and not actor.is_superuser:
        raise PermissionDeniedError(_("Only a system administrator can reset this password."))
    temporary_password = secrets.token_urlsafe(9)
    user.set_password(temporary_password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    audit(
        actor=actor,
        action="accounts.member_reset_password",
        obj=user,
        organisation=membership.organisation,
    )
    return temporary_password


@transaction.atomic
def member_reset_second_factor(*, actor: User, membership_id: int) -> None:
    """Remove a member's authenticator app and recovery codes (a lost phone): they set it up
    again at their next login."""
    membership = _membership_for_manager(actor, membership_id)
    user = membership.user
    if user.is_superuser and not actor.is_superuser:
        raise PermissionDeniedError(_("Only a system administrator can reset this second factor."))
    two_factor.second_factor_remove(user=user, actor=actor, organisation=membership.organisation)


@transaction.atomic
def user_change_own_password(*, user: User, new_password: str) -> None:
    """The user sets their own password (after an admin reset, or any time)."""
    try:
        validate_password(new_password, user)
    except DjangoValidationError as exc:
        raise ValidationError({"new_password1": list(exc.messages)}) from exc
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit(actor=user, action="accounts.password_change", obj=user)
