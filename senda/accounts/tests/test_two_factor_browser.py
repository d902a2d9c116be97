"""Logging in with the second factor in a real browser, under the strict CSP."""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import code_now
from senda.accounts.tests.factories import TEST_PASSWORD, OrganisationFactory, member

pytestmark = pytest.mark.browser


@pytest.fixture
def promoter(transactional_db: None) -> User:
    organisation: Organisation = OrganisationFactory.create(name="Salud", slug="salud")
    return member(organisation, Role.HEALTH_PROMOTER, username="promotora")


def _keep_error(errors: list[str], message: Any) -> None:
    if message.type == "error":
        errors.append(message.text)


def test_set_up_then_log_in_with_a_code(live_server: Any, page: Any, promoter: User) -> None:
    base = live_server.url
    errors: list[str] = []
    page.on("console", lambda message: _keep_error(errors, message))
    page.on("pageerror", lambda error: errors.append(str(error)))

    # the password step sends a new promoter to set up the authenticator
    page.goto(f"{base}/en/accounts/login/")
    page.fill("#id_username", "promotora")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/two-factor/**")
    assert page.locator(".qr svg").is_visible()
    secret = page.locator("[data-testid=totp-secret]").inner_text().replace(" ", "")
    page.fill("#id_code", pyotp.TOTP(secret).now())
    page.press("#id_code", "Enter")
    page.wait_for_load_state()
    assert page.locator(".recovery-codes li").count() == 10
    page.click("main a.button")
    page.wait_for_url(f"{base}/en/staff/directory/")

    # log out, and in again: password, then a code from the app
    page.click("nav.main form button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{base}/en/accounts/login/?next=/en/staff/directory/")
    page.fill("#id_username", "promotora")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/two-factor/verify/**")
    # nothing else opens before the code
    page.goto(f"{base}/en/staff/directory/")
    assert "/two-factor/verify/" in page.url
    # the next step's code (the one used to set up may be the current one, and is spent)
    page.fill("#id_code", code_now(promoter, at=time.time() + 30))
    page.press("#id_code", "Enter")
    page.wait_for_url(f"{base}/en/staff/directory/")
    assert not errors, errors
