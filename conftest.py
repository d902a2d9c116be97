"""Fixtures shared by every app's tests: two organisations, a user per role, a browser."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.tests.factories import OrganisationFactory, member

CHROMIUM = os.environ.get("SENDA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def _ensure_reference_data() -> None:
    from senda.core.testing import ensure_reference_data

    ensure_reference_data()


@pytest.fixture(autouse=True)
def _no_audit_context_leaks() -> Iterator[None]:
    """Each test starts outside any request, whatever a previous test's request left."""
    from senda.core.audit import _request_context

    token = _request_context.set(None)
    yield
    _request_context.reset(token)


@pytest.fixture(autouse=True)
def _reference_data_survives_flush(
    request: pytest.FixtureRequest, django_db_blocker: Any
) -> Iterator[None]:
    """Migrations load countries, areas and the taxonomy; a transactional test (the browser
    tests) flushes every table when it ends, so put the reference data back right away and
    later tests never depend on the order they run in."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or bool(marker is not None and marker.kwargs.get("transaction"))
    )
    if transactional:
        with django_db_blocker.unblock():
            _ensure_reference_data()
    yield
    if transactional:
        with django_db_blocker.unblock():
            _ensure_reference_data()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in Senda's default language (Spanish), whatever ran before it."""
    from django.utils import translation

    with translation.override("es"):
        yield


@pytest.fixture
def org_a(db: None) -> Organisation:
    return OrganisationFactory.create(name="Organisation A", slug="org-a")


@pytest.fixture
def org_b(db: None) -> Organisation:
    return OrganisationFactory.create(name="Organisation B", slug="org-b")


@pytest.fixture
def users_a(org_a: Organisation) -> dict[str, User]:
    """One user per role in organisation A."""
    return {role: member(org_a, role, username=f"a-{role}") for role in Role.values}


@pytest.fixture
def users_b(org_b: Organisation) -> dict[str, User]:
    """One user per role in organisation B."""
    return {role: member(org_b, role, username=f"b-{role}") for role in Role.values}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser tab (own cookies) at a phone-like size, Spanish by default."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="es-MX", java_script_enabled=True
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()
