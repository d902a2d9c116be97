"""Test helpers: sign a test client in the way a person ends up signed in."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyotp
from django.test import Client

from senda.accounts.models import User
from senda.accounts.two_factor import confirmed_device, current_code, mark_session_verified


def login_verified(client: Client, user: User) -> Client:
    """Log ``client`` in as ``user`` with the second factor already proven in the session
    (marked exactly as the real verification step marks it)."""
    client.force_login(user)
    session = client.session
    mark_session_verified(session, user)
    session.save()
    return client


def code_now(user: User, *, at: float | None = None) -> str:
    """The code the user's authenticator shows (read in a thread of its own: Playwright's
    event loop runs in the test's thread, where Django refuses database queries)."""

    def read() -> str:
        device = confirmed_device(User.objects.get(pk=user.pk))
        assert device is not None, f"{user} has no second factor"
        return current_code(device, at=at)

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(read).result()


def browser_login(page: Any, base_url: str, user: User, password: str, prefix: str = "/en") -> None:
    """Log in through the real pages in a Playwright ``page``: the password, then the second
    factor when the user needs one (a code from their authenticator, computed with pyotp; a
    user without one yet sets it up with the key shown on the page)."""
    page.goto(f"{base_url}{prefix}/accounts/login/")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    if "/two-factor/verify/" in page.url:
        page.fill("#id_code", code_now(user))
        page.press("#id_code", "Enter")
        page.wait_for_load_state()
    elif "/two-factor/" in page.url:
        secret = page.locator("[data-testid=totp-secret]").inner_text().replace(" ", "")
        page.fill("#id_code", pyotp.TOTP(secret).now())
        page.press("#id_code", "Enter")
        page.wait_for_load_state()
        page.click("main a.button")  # past the recovery codes, to where the login was going
        page.wait_for_load_state()
