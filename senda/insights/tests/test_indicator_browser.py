"""Indicator management in a real headless Chromium at phone size: a programme officer adds
an indicator, gets a mistake pointed out with what they typed kept, fixes it, and sees the
preview of its figures."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from senda.accounts.models import User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.accounts.tests.factories import OrganisationFactory, member
from senda.casework.tests.factories import PersonFactory
from senda.insights.models import Indicator
from senda.insights.tests.indicator_factories import ProgrammeFactory

pytestmark = pytest.mark.browser


def _signed_in(page: Any, base: str, user: User) -> None:
    client = login_verified(Client(), user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base}]
    )


def test_an_officer_adds_an_indicator_fixes_a_mistake_and_previews_it(
    live_server: Any, page: Any, transactional_db: None
) -> None:
    organisation = OrganisationFactory.create(name="Salud Panamá", slug="salud-pa")
    officer = member(organisation, Role.PROGRAMME_OFFICER, username="oficial")
    ProgrammeFactory.create(lead=organisation, partners=[organisation], name="Salud")
    PersonFactory.create_batch(6, organisation=organisation)
    base = live_server.url
    _signed_in(page, base, officer)

    page.goto(f"{base}/en/staff/insights/indicators/new/")
    page.fill("#id_code", "women-registered")
    page.fill("#id_name", "Mujeres registradas")
    page.select_option("#id_programme", label="Salud")
    page.select_option("#id_source", "people")
    page.select_option("#id_measure", "people")
    page.fill("#id_filters", "sex: woman")  # not a value of "sex"
    page.check("input[name=allowed_dimensions][value=area]")
    page.click("main button[type=submit]")

    main = page.inner_text("main")
    assert "is not a value of" in main
    assert page.input_value("#id_filters") == "sex: woman"
    assert page.input_value("#id_name") == "Mujeres registradas"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert not Indicator.objects.filter(code="women-registered").exists()

    page.fill("#id_filters", "sex: female")
    page.click("main button[type=submit]")
    page.wait_for_selector("#preview-title")
    assert Indicator.objects.filter(code="women-registered").exists()
    assert "6" in page.inner_text("section[aria-labelledby=preview-title]")
