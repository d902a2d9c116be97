"""Campaign management in a real headless Chromium: a programme officer creates a campaign,
adds a poster placement, downloads its QR code and publishes the landing page."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from senda.accounts.models import User
from senda.accounts.roles import Role
from senda.accounts.testing import browser_login
from senda.accounts.tests.factories import TEST_PASSWORD, OrganisationFactory, member
from senda.campaigns.models import Campaign, CampaignStatus
from senda.geo.models import AdminArea, Country
from senda.geo.reference import load_reference

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def officer(transactional_db: None) -> User:
    if not AdminArea.objects.exists():
        load_reference(Country, AdminArea)
    organisation = OrganisationFactory.create(name="Red Juvenil", slug="red-juvenil")
    return member(organisation, Role.PROGRAMME_OFFICER, username="oficial")


def assert_accessible(tab: Any) -> None:
    results = Axe().run(
        tab,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    assert results.violations_count == 0, results.generate_report()


def test_create_a_campaign_with_a_placement_and_its_qr_code(
    live_server: Any, page: Any, officer: User
) -> None:
    base = live_server.url
    browser_login(page, base, officer, TEST_PASSWORD)

    page.goto(f"{base}/en/staff/campaigns/")
    page.click("text=New campaign")
    assert_accessible(page)
    page.fill("#id_slug", "yocamino")
    page.select_option("#id_country", "NI")
    page.fill("#id_name", "#YoCamino")
    page.fill("#id_name_en", "#IWalk")
    page.fill("#id_key_messages", "Viajar de forma regular te protege.")
    page.fill("#id_key_messages_en", "Travelling regularly protects you.")
    # Too light for white text first: refused with the reason, nothing saved.
    page.fill("#id_primary_colour", "#ffd700")
    page.click("main button[type=submit]")
    assert "has a contrast of 1.40:1" in page.inner_text("main")
    assert not Campaign.objects.exists()
    page.fill("#id_primary_colour", "#7b1f3a")
    page.click("main button[type=submit]")
    page.wait_for_selector("h1:has-text('#YoCamino')")
    assert_accessible(page)

    page.select_option("#id_kind", "poster")
    page.fill("#id_description", "Cartel en el mercado de Estelí")
    page.click("text=Add placement")
    page.wait_for_selector("text=Cartel en el mercado de Estelí")
    campaign = Campaign.objects.get(slug="yocamino")
    code = campaign.placements.get().code
    assert f"{base}/q/{code}" in page.inner_text("table")
    with page.expect_download() as download_info:
        page.click("text=QR (PNG)")
    path = download_info.value.path()
    with open(path, "rb") as downloaded:
        assert downloaded.read(8) == PNG_SIGNATURE
    assert_accessible(page)

    page.click("button:has-text('Publish')")
    page.wait_for_selector("text=Campaign published.")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLISHED
    page.goto(f"{base}/q/{code}")
    assert page.locator("h1").inner_text() in ("#YoCamino", "#IWalk")
