from __future__ import annotations

import pytest
from django.urls import reverse

from senda.accounts import actions
from senda.accounts.models import Membership, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.accounts.tests.factories import TEST_PASSWORD
from senda.accounts.two_factor import mark_session_verified
from senda.core.errors import NotFoundError, PermissionDeniedError
from senda.core.models import AuditEntry


def test_admin_adds_member_with_temporary_password(users_a, org_a) -> None:
    # given an organisation admin
    admin = users_a[Role.ORG_ADMIN]
    # when they add a new person
    membership, password = actions.member_add(
        actor=admin, organisation=org_a, username="nuevo", role=Role.HEALTH_PROMOTER
    )
    # then the person exists, must change the password, and it was audited
    assert password
    user = User.objects.get(username="nuevo")
    assert user.check_password(password)
    assert user.must_change_password
    assert membership.role == Role.HEALTH_PROMOTER
    assert AuditEntry.objects.filter(action="accounts.member_add").count() == 1


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ORG_ADMIN])
def test_only_admins_add_members(users_a, org_a, role) -> None:
    with pytest.raises(PermissionDeniedError):
        actions.member_add(actor=users_a[role], organisation=org_a, username="x", role="viewer")
    assert not User.objects.filter(username="x").exists()


def test_admin_cannot_touch_other_organisation(users_a, users_b) -> None:
    admin_a = users_a[Role.ORG_ADMIN]
    membership_b = Membership.objects.get(user=users_b[Role.VIEWER])
    before = membership_b.user.password
    with pytest.raises(NotFoundError):
        actions.member_reset_password(actor=admin_a, membership_id=membership_b.pk)
    with pytest.raises(NotFoundError):
        actions.member_change_role(actor=admin_a, membership_id=membership_b.pk, role="org_admin")
    membership_b.refresh_from_db()
    assert membership_b.role == Role.VIEWER
    assert membership_b.user.password == before


def test_reset_password_forces_change_at_login(client, users_a) -> None:
    admin = users_a[Role.ORG_ADMIN]
    promoter = users_a[Role.HEALTH_PROMOTER]
    membership = Membership.objects.get(user=promoter)
    temporary = actions.member_reset_password(actor=admin, membership_id=membership.pk)

    assert client.login(username=promoter.username, password=temporary)
    session = client.session
    mark_session_verified(session, promoter)  # the second factor is tested in test_two_factor
    session.save()
    response = client.get(reverse("directory:staff_home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change")

    response = client.post(
        reverse("accounts:password_change"),
        {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
    )
    assert response.status_code == 302
    promoter.refresh_from_db()
    assert not promoter.must_change_password
    assert client.get(reverse("directory:staff_home")).status_code == 200


def test_login_page_logs_in(client, users_a) -> None:
    user = users_a[Role.INFO_POINT_STAFF]
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302


@pytest.mark.parametrize("role", Role.values)
def test_members_page_only_for_admins(client, users_a, role) -> None:
    login_verified(client, users_a[role])
    response = client.get(reverse("accounts:members"))
    assert response.status_code == (200 if role == Role.ORG_ADMIN else 404)


def test_admin_site_only_for_superusers(client, users_a) -> None:
    login_verified(client, users_a[Role.ORG_ADMIN])
    response = client.get("/admin/")
    assert response.status_code == 302
