"""The programme dashboard in a real headless Chromium at a phone's width (360 px): it renders
without sideways scrolling, a filter changes the figures, print keeps the figures and drops the
controls, a chart's CSV downloads, and axe-core finds no WCAG 2.2 AA violation."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from senda.accounts.models import User
from senda.accounts.roles import Role
from senda.accounts.testing import browser_login
from senda.accounts.tests.factories import TEST_PASSWORD, OrganisationFactory, member
from senda.casework.models import Sex
from senda.casework.tests.factories import PersonFactory
from senda.geo.models import AdminArea, Country
from senda.geo.reference import load_reference
from senda.insights.models import Indicator, Programme

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def officer(transactional_db: None) -> User:
    if not AdminArea.objects.exists():
        load_reference(Country, AdminArea)
    organisation = OrganisationFactory.create(name="Red Juvenil", slug="red-juvenil")
    officer = member(organisation, Role.PROGRAMME_OFFICER, username="oficial")
    programme = Programme.objects.create(
        slug="caminos",
        name="Caminos seguros",
        lead=organisation,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 6, 30),
    )
    programme.organisations.add(organisation)
    programme.countries.add(Country.objects.get(code="HN"))
    # The programme's own indicator alone, so the figures below are the only ones.
    Indicator.objects.filter(programme__isnull=True).update(show_on_dashboard=False)
    Indicator.objects.create(
        programme=programme,
        code="reached",
        name="Personas alcanzadas",
        translations={"en": {"name": "People reached"}},
        source="people",
        measure="people",
        allowed_dimensions=["area", "month", "sex"],
        default_dimension="sex",
    )
    registered = timezone.make_aware(datetime.datetime(2026, 2, 10, 12))
    for index in range(15):
        PersonFactory.create(
            organisation=organisation,
            registered_by=officer,
            registered_at=registered,
            sex=Sex.FEMALE if index < 9 else Sex.MALE,
            area_id="HN01" if index % 2 else "HN08",
        )
    return officer


def assert_accessible(tab: Any) -> None:
    results = Axe().run(
        tab,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    assert results.violations_count == 0, results.generate_report()


def headline(tab: Any) -> str:
    return str(tab.locator("#indicator-reached .headline-figure").inner_text()).strip()


def test_the_dashboard_on_a_phone_filters_and_downloads_its_csv(
    live_server: Any, page: Any, officer: User
) -> None:
    base = live_server.url
    browser_login(page, base, officer, TEST_PASSWORD)

    page.goto(f"{base}/en/staff/insights/")
    page.wait_for_selector("h1:has-text('Caminos seguros')")
    assert headline(page) == "15"
    assert page.locator("svg.chart[role=img]").count() == 3
    # Readable at 360 px: nothing wider than the screen (tables scroll inside their box).
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    chart_width = page.locator("#chart-reached-bars").bounding_box()["width"]
    assert 280 <= chart_width <= 360
    assert_accessible(page)

    # A filter changes the figures and stays chosen.
    page.click("summary:has-text('Sex')")
    page.check("input[name=sex][value=male]")
    page.click("button:has-text('Show figures')")
    page.wait_for_url("**sex=male**")
    assert headline(page) == "6"
    assert page.is_checked("input[name=sex][value=male]")
    assert_accessible(page)

    # On paper: no filters, menus or links to switch, every chart and table kept, and the
    # filters in use written out.
    page.emulate_media(media="print")
    assert page.locator("form.filters").is_hidden()
    assert page.locator("nav.main").is_hidden()
    assert page.locator(".dimension-switch").first.is_hidden()
    assert page.locator("svg.chart").first.is_visible()
    assert page.locator("table.figures").first.is_visible()
    assert "Sex: Male" in page.locator(".applied-filters").inner_text()
    page.emulate_media(media="screen")

    # The bars' CSV: an export, so suppressed, with a header row first.
    link = page.locator("#chart-reached-bars-pair .csv-link a")
    with page.expect_download() as download_info:
        link.click()
    with open(download_info.value.path(), encoding="utf-8-sig") as downloaded:
        lines = downloaded.read().splitlines()
    assert lines[0].startswith("indicator,unit,period_start,period_end,sex,sex_label,value")
    assert lines[1].startswith("reached,count,2026-01-01,2026-06-30,male,")
    assert lines[1].endswith(",6,0")
