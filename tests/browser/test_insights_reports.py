"""The donor report in a real headless Chromium: a programme officer opens the report, writes
the narrative, saves it, and the printable page shows it (laid out for paper)."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from senda.accounts.models import User
from senda.accounts.roles import Role
from senda.accounts.testing import browser_login
from senda.accounts.tests.factories import TEST_PASSWORD, OrganisationFactory, member
from senda.geo.models import AdminArea, Country
from senda.geo.reference import load_reference
from senda.insights.actions import indicators_install_defaults
from senda.insights.models import DonorReport, Programme
from senda.insights.tests.indicator_factories import ProgrammeFactory

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def officer(transactional_db: None) -> User:
    if not AdminArea.objects.exists():
        load_reference(Country, AdminArea)
    indicators_install_defaults()  # a flushed database has lost the migration's indicators
    organisation = OrganisationFactory.create(name="Salud Migrante", slug="salud-migrante")
    ProgrammeFactory.create(
        lead=organisation,
        partners=[organisation],
        name="Salud sin fronteras",
        slug="salud-sin-fronteras",
        donor="Fondo Ejemplo",
    )
    return member(organisation, Role.PROGRAMME_OFFICER, username="oficial")


def assert_accessible(tab: Any) -> None:
    results = Axe().run(
        tab,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    assert results.violations_count == 0, results.generate_report()


def test_officer_writes_the_narrative_and_prints_the_report(
    live_server: Any, page: Any, officer: User
) -> None:
    base = live_server.url
    browser_login(page, base, officer, TEST_PASSWORD)
    programme = Programme.objects.get(slug="salud-sin-fronteras")

    page.goto(f"{base}/en/staff/insights/reports/")
    page.click("text=Salud sin fronteras")
    page.wait_for_selector("h1:has-text('Donor report')")
    assert page.locator("#section-reach").is_visible()
    assert page.locator("#section-referrals table").count() >= 3
    assert_accessible(page)

    page.fill("#narrative-summary", "We reached more migrants at the metro stations.")
    page.fill("#narrative-challenges", "Heavy rain in March.\nTwo centres closed for a week.")
    page.click("text=Save the narrative")
    page.wait_for_selector("text=The report's narrative is saved.")
    assert page.input_value("#narrative-summary") == (
        "We reached more migrants at the metro stations."
    )
    report = DonorReport.objects.get(programme=programme)
    assert report.challenges == "Heavy rain in March.\nTwo centres closed for a week."

    page.click("text=Printable page")
    page.wait_for_selector("article.printed-report")
    text = page.inner_text("article.printed-report")
    assert "We reached more migrants at the metro stations." in text
    assert "Two centres closed for a week." in text
    assert "Fondo Ejemplo" in text
    assert_accessible(page)
    # On paper: no navigation and no forms, the report itself only.
    page.emulate_media(media="print")
    assert not page.locator("header.site").is_visible()
    assert page.locator("article.printed-report h1").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF"


def test_officer_downloads_an_hxl_export(live_server: Any, page: Any, officer: User) -> None:
    base = live_server.url
    browser_login(page, base, officer, TEST_PASSWORD)
    page.goto(f"{base}/en/staff/insights/exports/")
    page.wait_for_selector("h1:has-text('Data exports')")
    assert_accessible(page)
    page.select_option("#indicator", "people-reached")
    page.select_option("#by-1", "sex")
    with page.expect_download() as download_info:
        page.click("#indicator-export button:has-text('Download CSV')")
    with open(download_info.value.path(), encoding="utf-8-sig") as downloaded:
        lines = downloaded.read().splitlines()
    tags = next(line for line in lines if line.startswith("#indicator+code"))
    assert "#meta+sex+code" in tags and "#meta+suppressed" in tags
    with page.expect_download() as download_info:
        page.click("#records-export button:has-text('Download')")
    assert download_info.value.suggested_filename.startswith("salud-migrante-people-")
