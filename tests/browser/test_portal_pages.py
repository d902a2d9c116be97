"""The public portal in a real headless Chromium, the way a person on a cheap phone sees it.

Every page type is checked without JavaScript at 320 px: no horizontal scroll, no request to
another host, at most 30 KB transferred on a first visit, and no axe-core WCAG 2.2 AA
violation. "Near me" is also driven with JavaScript and a shared location.
"""

from __future__ import annotations

import datetime
import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe

from senda.directory.models import Service, Taxonomy, TaxonomyTerm
from senda.directory.reference import load_taxonomy
from senda.directory.tests.factories import (
    AddressFactory,
    CostOptionFactory,
    LanguageFactory,
    LocationFactory,
    PhoneFactory,
    RequiredDocumentFactory,
    ScheduleFactory,
    ServiceFactory,
)
from senda.geo.models import AdminArea, Country
from senda.geo.reference import load_reference

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FIRST_VISIT_BUDGET = 30 * 1024
PHONE_WIDTH = 320
MEASURED_TYPES = ("document", "stylesheet", "script")


@pytest.fixture
def portal_world(transactional_db: None) -> dict[str, Service]:
    """Reference data (flushed by earlier transactional tests) and a few published services."""
    if not AdminArea.objects.exists():
        load_reference(Country, AdminArea)
    if not TaxonomyTerm.objects.exists():
        load_taxonomy(Taxonomy, TaxonomyTerm)
    clinic_place = LocationFactory.create(
        name="Centro de Salud de San Miguelito",
        latitude=9.0412,
        longitude=-79.4931,
        admin_area_id="PA0805",
    )
    AddressFactory.create(location=clinic_place, address_1="Vía Domingo Díaz")
    PhoneFactory.create(location=clinic_place, number="+507 523-6000", whatsapp=True)
    clinic = ServiceFactory.create(
        published=True,
        name="Vacunación para toda la familia",
        translations={"en": {"name": "Vaccination for the whole family"}},
        description="Vacunas del esquema nacional para niñas, niños y personas adultas.",
        eligibility_description="Cualquier persona, con o sin documentos.",
        minimum_age=0,
        categories=["health.vaccination"],
        locations=[clinic_place],
        source="https://salud.example/vacunas",
    )
    CostOptionFactory.create(service=clinic, option="Vacunas", amount=Decimal(0))
    RequiredDocumentFactory.create(service=clinic, document="Tarjeta de vacunación, si la tienes")
    LanguageFactory.create(service=clinic, code="es")
    ScheduleFactory.create(service=clinic)
    stale = ServiceFactory.create(
        published=True,
        name="Asesoría legal migratoria",
        categories=["legal"],
        locations=[LocationFactory.create(latitude=8.88, longitude=-79.78, admin_area_id="PA1304")],
        assured_date=datetime.date(2020, 1, 1),
    )
    CostOptionFactory.create(service=stale, option="Consulta", amount=Decimal("5.00"))
    for number in range(24):
        ServiceFactory.create(
            published=True,
            name=f"Control de salud {number:02d}",
            categories=["health.primary"],
            locations=[LocationFactory.create(latitude=9.0 + number / 100, longitude=-79.5)],
        )
    return {"clinic": clinic, "stale": stale}


@dataclass
class Visit:
    """What one first visit of a page asked for and received."""

    server: str
    requests: list[str] = field(default_factory=list)
    responses: list[Any] = field(default_factory=list)
    weighed: list[tuple[str, int]] = field(default_factory=list)

    def weigh(self) -> None:
        """(url, gzip size) of the page, its stylesheet and any script, read before leaving."""
        for response in self.responses:
            if response.request.resource_type not in MEASURED_TYPES or response.status >= 300:
                continue
            # The live server sends static files uncompressed: weigh all as gzip would.
            self.weighed.append((response.url, len(gzip.compress(response.body(), 6))))
        self.responses.clear()

    @property
    def transferred(self) -> int:
        return sum(size for _, size in self.weighed)


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A 320 px wide tab with JavaScript off: the smallest phone a page must work on."""
    context = browser.new_context(
        viewport={"width": PHONE_WIDTH, "height": 640},
        locale="es-MX",
        java_script_enabled=False,
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def first_visit(tab: Any, server_url: str, path: str) -> Visit:
    visit = Visit(server=urlparse(server_url).netloc)
    tab.on("request", lambda request: visit.requests.append(request.url))
    tab.on("response", lambda response: visit.responses.append(response))
    response = tab.goto(server_url + path, wait_until="load")
    assert response is not None and response.status == 200, path
    visit.weigh()
    return visit


def assert_phone_ready(tab: Any, visit: Visit, *, javascript: bool = False) -> None:
    """Same origin only, within the weight budget, no horizontal scroll, axe-clean.

    axe-core needs JavaScript (its checks run on timers), so a page visited without it is
    checked again, same URL and width, in a tab with JavaScript on.
    """
    assert_same_origin(visit)
    assert any(url.endswith(".css") for url, _ in visit.weighed)
    assert visit.transferred <= FIRST_VISIT_BUDGET, visit.weighed
    assert_fits(tab)
    assert tab.locator("h1").count() == 1
    assert tab.locator("html").get_attribute("lang") in ("es", "en")
    if javascript:
        assert_accessible(tab)
        return
    context = tab.context.browser.new_context(
        viewport={"width": PHONE_WIDTH, "height": 640}, locale="es-MX"
    )
    try:
        checked = context.new_page()
        checked.goto(tab.url)
        assert_accessible(checked)
    finally:
        context.close()


def assert_same_origin(visit: Visit) -> None:
    foreign = [
        url
        for url in visit.requests
        if urlparse(url).scheme in ("http", "https", "ws", "wss")
        and urlparse(url).netloc != visit.server
    ]
    assert foreign == []


def assert_fits(tab: Any) -> None:
    assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def assert_accessible(tab: Any) -> None:
    # Axe bundles axe.min.js and injects it with page.evaluate: nothing is downloaded.
    results = Axe().run(
        tab,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    assert results.violations_count == 0, results.generate_report()


def test_home_page_on_a_small_phone(live_server: Any, phone: Any, portal_world: dict) -> None:
    visit = first_visit(phone, live_server.url, "/")

    assert_phone_ready(phone, visit)
    assert phone.get_by_role("search").count() == 1
    assert phone.get_by_role("link", name="Salud").count() >= 1
    assert phone.locator("a[href='/en/']").count() == 1


def test_search_without_javascript(live_server: Any, phone: Any, portal_world: dict) -> None:
    visit = first_visit(phone, live_server.url, "/en/search/?q=vacunacion")

    assert_phone_ready(phone, visit)
    assert phone.get_by_role("link", name="Vaccination for the whole family").count() == 1
    # Narrow by country with the form (no JavaScript): the area list follows the country.
    phone.locator("summary").click()
    phone.get_by_label("Country").select_option("PA")
    phone.get_by_role("button", name="Search").click()
    phone.wait_for_url(re.compile(r"country=PA"))
    assert phone.locator("summary").inner_text() == "Filters (1 active)"
    phone.locator("summary").click()
    assert phone.locator("#id_area option[value='GT0101']").count() == 0
    phone.get_by_label("Area").select_option("PA1304")
    phone.get_by_role("button", name="Search").click()
    phone.wait_for_url(re.compile(r"area=PA1304"))
    assert "q=vacunacion" in phone.url
    assert phone.get_by_text("No services match").count() == 1


def test_search_errors_are_accessible(live_server: Any, phone: Any, portal_world: dict) -> None:
    visit = first_visit(phone, live_server.url, "/en/search/?country=GT&area=PA0805")

    assert_phone_ready(phone, visit)
    assert phone.get_by_role("alert").inner_text().startswith("That area is not in the country")


def test_search_pages_keep_their_filters(live_server: Any, phone: Any, portal_world: dict) -> None:
    visit = first_visit(phone, live_server.url, "/search/?category=health")

    assert_phone_ready(phone, visit)
    phone.locator("a[rel=next]").click()
    phone.wait_for_url(re.compile(r"page=2"))
    assert "category=health" in phone.url
    assert phone.locator("li.card").count() >= 1


def test_near_an_area_without_javascript(live_server: Any, phone: Any, portal_world: dict) -> None:
    visit = first_visit(phone, live_server.url, "/en/near/")
    assert_phone_ready(phone, visit)
    # Without JavaScript the location button stays hidden; the area picker does the job.
    assert phone.locator("#use-location").is_hidden()

    phone.get_by_label("Area").select_option("PA0805")
    phone.get_by_role("button", name="Find services").click()
    phone.wait_for_url(re.compile(r"area=PA0805"))

    cards = phone.locator("li.card")
    assert cards.count() == 20
    assert re.search(r"\d+\.\d km away", cards.first.inner_text())
    visit = first_visit(phone, live_server.url, "/en/near/?area=PA0805")
    assert_phone_ready(phone, visit)


def test_near_me_with_the_phone_location(
    live_server: Any, browser: Any, portal_world: dict
) -> None:
    context = browser.new_context(
        viewport={"width": PHONE_WIDTH, "height": 640},
        locale="en-US",
        geolocation={"latitude": 9.041234, "longitude": -79.493187},
        permissions=["geolocation"],
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    try:
        visit = first_visit(tab, live_server.url, "/en/near/")
        button = tab.get_by_role("button", name="Use my location")
        assert button.is_visible()
        assert_phone_ready(tab, visit, javascript=True)

        button.click()
        tab.wait_for_url(re.compile(r"lat="))

        params = parse_qs(urlparse(tab.url).query)
        assert params["lat"] == ["9.04"] and params["lon"] == ["-79.49"]
        # Every request that carried the location carried only the rounded one.
        sent = [url for url in visit.requests if "lat=" in url]
        assert sent
        for url in sent:
            query = parse_qs(urlparse(url).query)
            for name in ("lat", "lon"):
                assert re.fullmatch(r"-?\d+\.\d{2}", query[name][0]), url
        assert tab.get_by_text("Nearest services to your location").count() == 1
        assert tab.locator("li.card").count() == 20
        assert "km away" in tab.locator("li.card").first.inner_text()
        assert_same_origin(visit)
        assert_fits(tab)
        assert_accessible(tab)
    finally:
        context.close()


def test_service_page_without_javascript(live_server: Any, phone: Any, portal_world: dict) -> None:
    clinic = portal_world["clinic"]
    visit = first_visit(phone, live_server.url, f"/services/{clinic.pk}/")

    assert_phone_ready(phone, visit)
    assert phone.locator("a[href^='tel:']").count() >= 1
    assert phone.locator("a[href^='https://wa.me/']").count() == 1
    assert phone.locator("a[href^='geo:9.04120,-79.49310']").count() == 1
    assert phone.locator("a[href^='https://www.openstreetmap.org/?mlat=']").count() == 1
    assert phone.locator("table.hours tr").count() == 7


def test_stale_service_page_warns_the_reader(
    live_server: Any, phone: Any, portal_world: dict
) -> None:
    stale = portal_world["stale"]
    visit = first_visit(phone, live_server.url, f"/en/services/{stale.pk}/")

    assert_phone_ready(phone, visit)
    assert phone.locator(".notice.stale").is_visible()
