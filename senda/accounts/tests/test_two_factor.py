"""The second factor: set-up, the login step, codes accepted once, recovery codes, the
middleware that keeps unverified sessions out, and the admin reset."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from senda.accounts import actions, two_factor
from senda.accounts.models import Membership, RecoveryCode, TotpDevice, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.accounts.tests.factories import TEST_PASSWORD, UserFactory
from senda.core.crypto import decrypt_text
from senda.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def enrolled(user: User) -> pyotp.TOTP:
    device = two_factor.totp_preenrol(user=user)
    return pyotp.TOTP(two_factor.device_secret(device))


def password_step(client: Client, user: User, next_url: str = "") -> str:
    data = {"username": user.username, "password": TEST_PASSWORD}
    if next_url:
        data["next"] = next_url
    response = client.post(reverse("accounts:login"), data)
    assert response.status_code == 302
    return str(response["Location"])


@pytest.mark.parametrize("role", Role.values)
def test_who_must_use_the_second_factor(users_a: dict[str, User], role: str) -> None:
    expected = role not in (Role.CONTENT_EDITOR, Role.VIEWER)
    assert two_factor.must_use_totp(users_a[role]) is expected
    assert two_factor.must_use_totp(UserFactory.create(is_superuser=True))


def test_enrolment_shows_a_qr_code_and_the_secret_and_needs_a_code(
    client: Client, users_a: dict[str, User]
) -> None:
    user = users_a[Role.HEALTH_PROMOTER]
    # given the password step passed, the user is sent to set up the second factor
    location = password_step(client, user, next_url="/staff/directory/")
    assert location.startswith(reverse("accounts:two_factor_setup"))
    # and nothing else opens yet
    assert client.get(reverse("directory:staff_home"))["Location"].startswith(
        reverse("accounts:two_factor_setup")
    )
    page = client.get(location)
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and "<script" not in html.split("<main")[-1]
    device = TotpDevice.objects.get(user=user)
    secret = two_factor.device_secret(device)
    assert secret not in device.secret_encrypted  # stored encrypted
    assert decrypt_text(device.secret_encrypted) == secret
    shown = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', html)
    assert shown and shown.group(1).replace(" ", "") == secret

    # when a wrong code is typed, nothing is confirmed
    response = client.post(
        location, {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"}
    )
    assert response.status_code == 400
    assert not TotpDevice.objects.get(user=user).is_confirmed

    # when the right code is typed, 10 recovery codes are shown once and only hashes kept
    response = client.post(
        location, {"code": pyotp.TOTP(secret).now(), "next": "/staff/directory/"}
    )
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not stored & set(codes)
    assert TotpDevice.objects.get(user=user).is_confirmed
    assert client.get(reverse("directory:staff_home")).status_code == 200
    assert AuditEntry.objects.filter(action="accounts.totp_enrol_confirm", actor=user).exists()


def test_login_with_a_code_and_each_code_only_once(users_a: dict[str, User]) -> None:
    user = users_a[Role.INFO_POINT_STAFF]
    totp = enrolled(user)
    client = Client()
    location = password_step(client, user, next_url="/staff/directory/")
    assert location.startswith(reverse("accounts:two_factor_verify"))
    code = totp.now()
    response = client.post(location, {"code": code, "next": "/staff/directory/"})
    assert response.status_code == 302 and response["Location"] == "/staff/directory/"
    assert client.get(reverse("directory:staff_home")).status_code == 200
    entry = AuditEntry.objects.filter(action="accounts.second_factor_verified").get()
    assert entry.actor == user and entry.details["method"] == "totp"

    # the same code again, in another session, is refused
    other = Client()
    location = password_step(other, user)
    response = other.post(location, {"code": code})
    assert response.status_code == 400
    assert other.get(reverse("directory:staff_home")).status_code == 302


def test_a_code_from_one_step_either_side_is_accepted_and_two_steps_not(
    users_a: dict[str, User],
) -> None:
    user = users_a[Role.SUPERVISOR]
    totp = enrolled(user)
    now = time.time()
    assert two_factor.second_factor_verify(user=user, code=totp.at(now - 30), now=now) == "totp"
    assert two_factor.second_factor_verify(user=user, code=totp.at(now + 30), now=now) == "totp"
    assert two_factor.second_factor_verify(user=user, code=totp.at(now - 30), now=now) is None
    later = now + 300
    assert two_factor.second_factor_verify(user=user, code=totp.at(later - 60), now=later) is None


def test_recovery_codes_work_once(users_a: dict[str, User]) -> None:
    user = users_a[Role.FOCAL_POINT]
    TotpDevice.objects.create(user=user, secret_encrypted="x")  # unconfirmed, replaced below
    TotpDevice.objects.filter(user=user).delete()
    device = two_factor.totp_enrol_start(user=user)
    codes = two_factor.totp_enrol_confirm(
        user=user, code=pyotp.TOTP(two_factor.device_secret(device)).now()
    )
    assert two_factor.second_factor_verify(user=user, code=codes[0].upper()) == "recovery_code"
    assert two_factor.second_factor_verify(user=user, code=codes[0]) is None
    assert two_factor.recovery_codes_left(user) == 9


def test_setup_is_refused_once_a_second_factor_exists(users_a: dict[str, User]) -> None:
    user = users_a[Role.HEALTH_PROMOTER]
    enrolled(user)
    client = Client()
    password_step(client, user)
    # someone with only the password cannot replace the authenticator
    response = client.get(reverse("accounts:two_factor_setup"))
    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))
    with translation.override("en"), pytest.raises(Exception, match="already"):
        two_factor.totp_enrol_start(user=user)


def test_users_who_need_no_second_factor_log_in_with_the_password(
    client: Client, users_a: dict[str, User]
) -> None:
    user = users_a[Role.CONTENT_EDITOR]
    assert password_step(client, user) == reverse("directory:staff_home")
    assert client.get(reverse("directory:staff_home")).status_code == 200


def test_opting_in_makes_the_second_factor_required_for_that_user(
    users_a: dict[str, User],
) -> None:
    user = users_a[Role.CONTENT_EDITOR]
    enrolled(user)
    client = Client()
    assert password_step(client, user).startswith(reverse("accounts:two_factor_verify"))


def test_unverified_session_reaches_public_pages_as_anonymous_and_api_is_refused(
    client: Client, users_a: dict[str, User]
) -> None:
    user = users_a[Role.INFO_POINT_STAFF]
    enrolled(user)
    password_step(client, user)
    assert client.get("/").status_code == 200
    response = client.get("/api/tokens")
    assert response.status_code == 403
    assert response.json()["detail"] == gettext(
        "Confirm your second factor (the code from your app) first."
    )
    assert client.get("/admin/").status_code == 302
    assert client.get(reverse("accounts:members")).status_code == 302
    # logout stays reachable
    assert client.post(reverse("accounts:logout")).status_code == 302


def test_api_tokens_are_not_affected(users_a: dict[str, User]) -> None:
    from senda.accounts.token_actions import api_token_create

    user = users_a[Role.INFO_POINT_STAFF]
    _token, clear = api_token_create(actor=user, name="Phone")
    response = Client().get("/api/tokens", HTTP_AUTHORIZATION=f"Bearer {clear}")
    assert response.status_code == 200


def test_admin_resets_a_members_second_factor(client: Client, users_a: dict[str, User]) -> None:
    admin = users_a[Role.ORG_ADMIN]
    promoter = users_a[Role.HEALTH_PROMOTER]
    enrolled(promoter)
    membership = Membership.objects.get(user=promoter)
    login_verified(client, admin)
    page = client.get(reverse("accounts:members"))
    assert "reset-second-factor" in page.content.decode()

    response = client.post(
        reverse("accounts:member_action", args=[membership.pk, "reset-second-factor"])
    )
    assert response.status_code == 302
    assert not TotpDevice.objects.filter(user=promoter).exists()
    entry = AuditEntry.objects.get(action="accounts.second_factor_reset")
    assert entry.actor == admin and entry.object_id == str(promoter.pk)
    # the member sets it up again at the next login
    assert password_step(Client(), promoter).startswith(reverse("accounts:two_factor_setup"))


def test_reset_of_second_factor_is_refused_outside_the_organisation(
    users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    promoter = users_a[Role.HEALTH_PROMOTER]
    enrolled(promoter)
    membership = Membership.objects.get(user=promoter)
    for actor in (users_b[Role.ORG_ADMIN], users_a[Role.SUPERVISOR]):
        with pytest.raises(Exception):  # noqa: B017 - not found for them
            actions.member_reset_second_factor(actor=actor, membership_id=membership.pk)
    assert TotpDevice.objects.filter(user=promoter).exists()


def test_totp_code_command_prints_the_current_code(users_a: dict[str, User], capsys) -> None:
    user = users_a[Role.HEALTH_PROMOTER]
    totp = enrolled(user)
    call_command("totp_code", user.username)
    assert capsys.readouterr().out.strip() in {totp.now(), totp.at(time.time() - 30)}
    with pytest.raises(CommandError):
        call_command("totp_code", users_a[Role.VIEWER].username)
    with pytest.raises(CommandError):
        call_command("totp_code", "nobody-here")
