"""A donor's viewer reads a survey's results in a real headless Chromium at a phone's width:
chooses a question and a disaggregation, sees estimates with intervals and the small groups
hidden, downloads the CSV, and axe-core finds no WCAG 2.2 AA violation."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from senda.accounts.models import User
from senda.accounts.roles import Role
from senda.accounts.testing import browser_login
from senda.accounts.tests.factories import TEST_PASSWORD, OrganisationFactory, member
from senda.surveys.models import Survey
from senda.surveys.tests.test_results import make_programme, make_survey, sample_rows

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def donor_and_survey(transactional_db: None) -> tuple[User, Survey]:
    lead = OrganisationFactory.create(name="Coordinación", slug="coordinacion")
    donor = OrganisationFactory.create(name="Donante", slug="donante")
    viewer = member(donor, Role.VIEWER, username="donante")
    survey = make_survey(make_programme(lead, viewers=(donor,)), sample_rows())
    return viewer, survey


def assert_accessible(tab: Any) -> None:
    found = Axe().run(
        tab,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    assert found.violations_count == 0, found.generate_report()


def test_a_viewer_reads_results_on_a_phone(
    live_server: Any, page: Any, donor_and_survey: tuple[User, Survey]
) -> None:
    viewer, survey = donor_and_survey
    base = live_server.url
    browser_login(page, base, viewer, TEST_PASSWORD, prefix="")

    page.goto(f"{base}/staff/surveys/{survey.pk}/results/")
    page.wait_for_selector("h1")
    page.select_option("#id_question", "knows")
    page.select_option("#id_dimension", "country")
    page.click("main form button[type=submit]")
    page.wait_for_url("**dimension=country**")

    table = page.locator("main table")
    assert "México" in table.inner_text()
    # Honduras (3 interviews) and the group that would give it away are hidden.
    assert table.locator("text=<5").count() >= 2
    assert page.locator("svg[role=img]").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.click("text=CSV")
    with open(download_info.value.path(), encoding="utf-8") as downloaded:
        header = downloaded.readline()
    assert header.startswith("survey,question,dimension,group,answer,estimate")
