"""``member_add(can_log_in=False)``: members who work in the system without logging in (the
demo's many field workers) get an unusable password, hashed by nobody."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import is_password_usable
from django.test import Client

from senda.accounts import actions
from senda.accounts.models import Membership, User
from senda.accounts.roles import Role
from senda.core.errors import ValidationError
from senda.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_member_without_login_gets_an_unusable_password(users_a, org_a) -> None:
    # when an admin adds a member who cannot log in
    membership, temporary = actions.member_add(
        actor=users_a[Role.ORG_ADMIN],
        organisation=org_a,
        username="sin.acceso",
        role=Role.COMMUNITY_VOLUNTEER,
        can_log_in=False,
    )
    # then there is no password to hand over, none works, and the addition is audited
    user = User.objects.get(username="sin.acceso")
    assert temporary is None
    assert not is_password_usable(user.password)
    assert not user.must_change_password
    assert not Client().login(username="sin.acceso", password="")
    assert membership.role == Role.COMMUNITY_VOLUNTEER
    assert AuditEntry.objects.filter(action="accounts.member_add", object_id=str(membership.pk))


def test_member_without_login_refuses_a_password(users_a, org_a) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.member_add(
            actor=users_a[Role.ORG_ADMIN],
            organisation=org_a,
            username="sin.acceso",
            role=Role.COMMUNITY_VOLUNTEER,
            password="una-clave-larga-2025",
            can_log_in=False,
        )
    assert "password" in refused.value.errors
    assert not User.objects.filter(username="sin.acceso").exists()
    assert not Membership.objects.filter(organisation=org_a, user__username="sin.acceso").exists()


def test_members_log_in_by_default(users_a, org_a) -> None:
    actions.member_add(
        actor=users_a[Role.ORG_ADMIN],
        organisation=org_a,
        username="con.acceso",
        role=Role.HEALTH_PROMOTER,
        password="una-clave-larga-2025",
    )
    user = User.objects.get(username="con.acceso")
    assert is_password_usable(user.password)
    assert user.check_password("una-clave-larga-2025")
