from __future__ import annotations

import subprocess
import sys

import pytest
from django.test import Client

from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.accounts.tests.factories import UserFactory


def test_every_page_forbids_outside_resources(client: Client, db: None) -> None:
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/", "/en/accounts/login/", "/api/docs", "/staff/directory/"])
def test_every_page_sends_the_strict_policy(client: Client, users_a, path: str) -> None:
    login_verified(client, users_a[Role.INFO_POINT_STAFF])
    policy = client.get(path)["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ):
        assert directive in policy
    assert "unsafe" not in policy


@pytest.mark.parametrize("role", Role.values)
def test_admin_site_refuses_every_role(client: Client, users_a, role) -> None:
    login_verified(client, users_a[role])
    assert client.get("/admin/").status_code == 302


def test_admin_site_for_superusers(client: Client, db: None) -> None:
    superuser = UserFactory.create(is_superuser=True, is_staff=True)
    login_verified(client, superuser)
    assert client.get("/admin/").status_code == 200


def test_production_refuses_to_start_without_secret_key() -> None:
    # given the production defaults (no debug, no testing flag, no key)
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    # then it fails with a message that says what to set
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_defaults_are_safe() -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "x" * 50,
    }
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.ALLOWED_HOSTS, s.SESSION_COOKIE_HTTPONLY, s.LANGUAGE_CODE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["False", "['127.0.0.1',", "'localhost']", "True", "es"]
