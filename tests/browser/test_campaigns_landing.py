"""A campaign landing page in a real headless Chromium, reached the way a poster reader does:
by the short link under a QR code, on a 320 px phone without JavaScript.

Same checks as the portal's pages: no horizontal scroll, no request to another host, at most
30 KB transferred on a first visit, no axe-core WCAG 2.2 AA violation, and no cookie.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe

from senda.accounts.tests.factories import OrganisationFactory
from senda.campaigns.models import Placement, PlacementDailyCount
from senda.campaigns.tests.factories import CampaignFactory, PlacementFactory
from senda.geo.models import AdminArea, Country
from senda.geo.reference import load_reference

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FIRST_VISIT_BUDGET = 30 * 1024
PHONE_WIDTH = 320
MEASURED_TYPES = ("document", "stylesheet", "script", "image")
LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">'
    b'<circle cx="48" cy="48" r="40" fill="#4a148c"/></svg>'
)


@pytest.fixture
def placement(transactional_db: None) -> Placement:
    if not AdminArea.objects.exists():
        load_reference(Country, AdminArea)
    campaign = CampaignFactory.create(
        slug="ponele-plan",
        owner=OrganisationFactory.create(),
        name="Ponele Plan a Tu Vida",
        tagline="Un plan bien informado vale más que un viaje a ciegas.",
        key_messages=["Conoce los canales regulares.", "Prepara tus documentos con tiempo."],
        translations={
            "en": {
                "name": "Make a Plan for Your Life",
                "tagline": "A well-informed plan is worth more than a journey in the dark.",
                "key_messages": ["Learn the regular channels.", "Get your documents ready."],
            }
        },
        partners=["Fundación Ejemplo Ponele Plan (ficticia)"],
        primary_colour="#4a148c",
        accent_colour="#00695c",
        logo=LOGO,
        logo_content_type="image/svg+xml",
    )
    return PlacementFactory.create(campaign=campaign, description="Cartel en el parque central")


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A 320 px wide tab with JavaScript off: the smallest phone a page must work on."""
    context = browser.new_context(
        viewport={"width": PHONE_WIDTH, "height": 640}, locale="es-MX", java_script_enabled=False
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def assert_accessible(browser: Any, url: str) -> None:
    """axe-core needs JavaScript: check the same URL at the same width in a tab with it on."""
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 640})
    try:
        tab = context.new_page()
        tab.goto(url)
        results = Axe().run(
            tab,
            options={
                "runOnly": {"type": "tag", "values": WCAG_TAGS},
                "resultTypes": ["violations"],
            },
        )
        assert results.violations_count == 0, results.generate_report()
    finally:
        context.close()


def visit(tab: Any, url: str) -> tuple[list[str], list[tuple[str, int]]]:
    """Go to ``url``; the URLs asked for and the gzip size of what was measured."""
    requests: list[str] = []
    responses: list[Any] = []
    tab.on("request", lambda request: requests.append(request.url))
    tab.on("response", lambda response: responses.append(response))
    response = tab.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    weighed = [
        (r.url, len(gzip.compress(r.body(), 6)))
        for r in responses
        if r.request.resource_type in MEASURED_TYPES and r.status < 300
    ]
    return requests, weighed


def assert_phone_ready(tab: Any, server: str, requests: list[str], weighed: list) -> None:
    foreign = [url for url in requests if urlparse(url).netloc not in ("", server)]
    assert foreign == []
    assert sum(size for _, size in weighed) <= FIRST_VISIT_BUDGET, weighed
    assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    assert tab.locator("h1").count() == 1
    assert tab.context.cookies() == []


def test_a_poster_short_link_opens_the_landing_page_on_a_small_phone(
    live_server: Any, phone: Any, browser: Any, placement: Placement
) -> None:
    server = urlparse(live_server.url).netloc
    requests, weighed = visit(phone, f"{live_server.url}/q/{placement.code}")

    assert urlparse(phone.url).path == "/c/ponele-plan/"
    assert parse_qs(urlparse(phone.url).query) == {"via": [placement.code]}
    assert_phone_ready(phone, server, requests, weighed)
    assert any(urlparse(url).path == "/c/ponele-plan/theme.css" for url, _ in weighed)
    assert phone.locator("h1").inner_text() == "Ponele Plan a Tu Vida"
    assert phone.locator("img.campaign-logo").evaluate("img => img.naturalWidth") == 96
    # The campaign's own colour is applied (through the stylesheet, no inline style).
    hero = phone.locator(".campaign-hero")
    assert hero.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(74, 20, 140)"
    # Every entry point to the shared pieces carries the placement on.
    checklist = phone.locator(".campaign-links a").first.get_attribute("href")
    assert f"via={placement.code}" in checklist
    assert f"via={placement.code}" in phone.locator("a.button").get_attribute("href")
    assert_accessible(browser, phone.url)
    counted = PlacementDailyCount.objects.get(placement=placement, event="visit")
    assert counted.count == 1


def test_the_english_landing_page_on_a_small_phone(
    live_server: Any, phone: Any, browser: Any, placement: Placement
) -> None:
    server = urlparse(live_server.url).netloc
    requests, weighed = visit(phone, f"{live_server.url}/en/c/ponele-plan/")

    assert_phone_ready(phone, server, requests, weighed)
    assert phone.locator("html").get_attribute("lang") == "en"
    assert phone.locator("h1").inner_text() == "Make a Plan for Your Life"
    assert phone.get_by_text("Get your documents ready.").count() == 1
    assert_accessible(browser, phone.url)
