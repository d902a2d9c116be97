"""A programme officer, in a real headless Chromium at a phone's width, creates a survey from
its XLSForm, imports Kobo's export, sees a wrong file refused with its row and column, and
names the design; axe-core finds no WCAG 2.2 AA violation on the survey's page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from senda.accounts.models import User
from senda.accounts.roles import Role
from senda.accounts.testing import browser_login
from senda.accounts.tests.factories import TEST_PASSWORD, OrganisationFactory, member
from senda.insights.models import Programme
from senda.surveys.tests.builders import (
    FIXTURES,
    csv_bytes,
    csv_rows,
    fixture_bytes,
    programme_led_by,
)

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def officer_and_programme(transactional_db: None) -> tuple[User, Programme]:
    lead = OrganisationFactory.create(name="Coordinación", slug="coordinacion")
    officer = member(lead, Role.PROGRAMME_OFFICER, username="oficial")
    return officer, programme_led_by(lead, name="Rutas seguras")


def test_an_officer_creates_a_survey_and_imports_its_submissions(
    live_server: Any, page: Any, officer_and_programme: tuple[User, Programme], tmp_path: Path
) -> None:
    officer, _programme = officer_and_programme
    base = live_server.url
    browser_login(page, base, officer, TEST_PASSWORD, prefix="/en")

    page.goto(f"{base}/en/staff/surveys/")
    page.click("text=New survey")
    page.fill("#id_name", "Diagnostic 2025")
    page.set_input_files("#id_xlsform", str(FIXTURES / "diagnostic.xlsx"))
    page.click("main form button[type=submit]")
    page.wait_for_selector("#submission-count")
    assert page.locator("#submission-count").inner_text() == "0"

    wrong = csv_rows(fixture_bytes("kobo_xml_values.csv"), ";")
    wrong[2][wrong[0].index("profile/sex")] = "other"
    wrong_file = tmp_path / "wrong.csv"
    wrong_file.write_bytes(csv_bytes(wrong, ";"))
    page.set_input_files("#id_file", str(wrong_file))
    page.click("main form[action$='/import/'] button[type=submit]")
    page.wait_for_selector(".errorlist")
    assert "Row 3, column F (profile/sex)" in page.locator(".errorlist").inner_text()
    assert page.locator("#submission-count").inner_text() == "0"

    page.set_input_files("#id_file", str(FIXTURES / "kobo_xml_values.csv"))
    page.click("main form[action$='/import/'] button[type=submit]")
    page.wait_for_selector(".messages")
    assert "4 interviews added" in page.locator(".messages").inner_text()
    assert page.locator("#submission-count").inner_text() == "4"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    found = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    assert found.violations_count == 0, found.generate_report()

    page.click("main a[href$='/design/']")
    page.select_option("#id_weight_question", "weight")
    page.select_option("#id_dimension_country", "country")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".messages")
    assert "Design saved." in page.locator(".messages").inner_text()
