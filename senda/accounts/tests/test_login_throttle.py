"""Failed logins are throttled per user name and per address, on both steps, and audited."""

from __future__ import annotations

import pyotp
import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from senda.accounts import two_factor
from senda.accounts.models import User
from senda.accounts.roles import Role
from senda.accounts.tests.factories import TEST_PASSWORD
from senda.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def attempt(client: Client, username: str, password: str, address: str = "10.0.0.1") -> int:
    response = client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )
    return response.status_code


def test_five_failures_lock_the_user_name_even_for_the_right_password(
    client: Client, users_a: dict[str, User]
) -> None:
    user = users_a[Role.CONTENT_EDITOR]
    assert [attempt(client, user.username, "wrong") for _ in range(4)] == [200] * 4
    assert attempt(client, user.username, "wrong") == 429
    # the right password is refused while locked, with a clear message
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 429
    assert "Demasiados intentos" in response.content.decode() or "Too many" in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session
    # audited: failures (with the address) and the lockout, visible to the organisation
    failures = AuditEntry.objects.filter(action="accounts.login_failure")
    assert failures.count() == 6
    assert failures.filter(ip_address="10.0.0.1", channel="web").count() == 5
    lockout = AuditEntry.objects.get(action="accounts.login_lockout")
    assert lockout.organisation == user.active_membership().organisation  # type: ignore[union-attr]
    assert lockout.details["user_name_locked"] is True


def test_another_user_name_is_not_locked(client: Client, users_a: dict[str, User]) -> None:
    for _ in range(5):
        attempt(client, users_a[Role.CONTENT_EDITOR].username, "wrong")
    assert attempt(client, users_a[Role.VIEWER].username, TEST_PASSWORD, "10.0.0.2") == 302


@override_settings(SENDA_LOGIN_FAILURES_PER_ADDRESS=3, SENDA_LOGIN_FAILURES_PER_USERNAME=50)
def test_failures_from_one_address_lock_that_address(
    client: Client, users_a: dict[str, User]
) -> None:
    names = ["x1", "x2", "x3"]
    assert [attempt(client, name, "wrong") for name in names] == [200, 200, 429]
    assert attempt(client, users_a[Role.VIEWER].username, TEST_PASSWORD) == 429
    assert attempt(client, users_a[Role.VIEWER].username, TEST_PASSWORD, "10.9.9.9") == 302


@override_settings(SENDA_INQUIRY_CLIENT_IP_HEADER="HTTP_X_FORWARDED_FOR")
def test_address_behind_a_proxy_comes_from_the_configured_header(
    client: Client, users_a: dict[str, User]
) -> None:
    client.post(
        reverse("accounts:login"),
        {"username": "nobody", "password": "x"},
        HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7",
    )
    entry = AuditEntry.objects.get(action="accounts.login_failure")
    assert entry.ip_address == "198.51.100.7"


def test_wrong_codes_at_the_second_step_count_and_lock(users_a: dict[str, User]) -> None:
    user = users_a[Role.HEALTH_PROMOTER]
    device = two_factor.totp_preenrol(user=user)
    totp = pyotp.TOTP(two_factor.device_secret(device))
    wrong = "000000" if totp.now() != "000000" else "111111"
    client = Client()
    attempt(client, user.username, TEST_PASSWORD)
    verify = reverse("accounts:two_factor_verify")
    statuses = [client.post(verify, {"code": wrong}).status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 302]
    # locked out: the session is gone and the right password is refused for now
    assert "_auth_user_id" not in client.session
    assert attempt(client, user.username, TEST_PASSWORD) == 429
    steps = set(
        AuditEntry.objects.filter(action="accounts.login_failure").values_list(
            "details__step", flat=True
        )
    )
    assert "second_factor" in steps


def test_a_successful_login_forgets_earlier_failures(
    client: Client, users_a: dict[str, User]
) -> None:
    user = users_a[Role.CONTENT_EDITOR]
    for _ in range(4):
        attempt(client, user.username, "wrong")
    assert attempt(client, user.username, TEST_PASSWORD) == 302
    assert AuditEntry.objects.filter(action="accounts.login", actor=user).exists()
    client.logout()
    for _ in range(4):
        assert attempt(client, user.username, "wrong") == 200
