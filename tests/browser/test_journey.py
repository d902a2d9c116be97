"""Issue 3's journey in a real browser, on the demo world, in Spanish and in English: a poster's
QR code leads to a campaign page, the checklist, a result, and a request for help that the
information point answers. Selectors use names and values, so one test serves both languages.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from senda.accounts.testing import browser_login
from senda.campaigns.models import Placement, PlacementDailyCount
from senda.core.demo import DEMO_PASSWORD, load_all
from senda.core.demo import inquiries as demo_inquiries
from senda.inquiries.models import Inquiry

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_world(transactional_db: None, settings: Any) -> None:
    settings.SENDA_INQUIRY_MIN_FILL_SECONDS = 0  # the browser fills the form in milliseconds
    load_all(upto=demo_inquiries)  # the journey needs no field work


@pytest.fixture(params=["es", "en"])
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def phone(browser: Any, language: str) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        locale="es-GT" if language == "es" else "en-US",
        java_script_enabled=False,
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def submit(tab: Any) -> None:
    tab.locator("main form button[type=submit]").last.click()


def count(placement: Placement, event: str) -> int:
    today = timezone.localdate()
    rows = PlacementDailyCount.objects.filter(
        placement=placement, event=event, day__gte=today - datetime.timedelta(days=1)
    )
    return sum(row.count for row in rows)


def test_from_a_poster_to_an_answered_request(
    live_server: Any, browser: Any, phone: Any, demo_world: None, language: str
) -> None:
    base = live_server.url
    prefix = "" if language == "es" else "/en"
    placement = (
        Placement.objects.select_related("campaign")
        .filter(campaign__slug="echale-ganas", is_active=True)
        .order_by("code")
        .first()
    )
    assert placement is not None
    visits_before = count(placement, "visit")
    checklists_before = count(placement, "checklist")
    inquiries_before = count(placement, "inquiry")

    # A young person in Guatemala scans the poster's QR code.
    phone.goto(f"{base}/q/{placement.code}")
    assert f"/c/{placement.campaign.slug}/" in phone.url
    # Campaign pages open in Spanish, the campaign's language; the switch keeps the attribution.
    if language == "en":
        phone.locator("header a[hreflang=en]").click()
        assert "via=" in phone.url
    assert phone.locator("html").get_attribute("lang") == language
    assert count(placement, "visit") == visits_before + 1

    # The campaign page leads to the checklist, one question per screen, without JavaScript.
    phone.locator("main a[href*='/guides/checklist/']").first.click()
    phone.select_option("select[name=nationality]", "GT")
    submit(phone)
    phone.select_option("select[name=current_country]", "GT")
    submit(phone)
    phone.check("input[name=destination][value=MX]")
    submit(phone)
    phone.check("input[name=purpose][value=work]")
    submit(phone)
    phone.check("input[name=age_group][value='18_24']")
    submit(phone)
    submit(phone)  # no identity documents yet
    assert "/guides/checklist/" in phone.url and "via=" in phone.url
    assert count(placement, "checklist") == checklists_before + 1
    assert phone.locator("main h1").count() == 1

    # From the result, the person asks an information point for personalised help.
    phone.locator("main a[href*='/ask/']").first.click()
    phone.fill("textarea[name=question]", "Quiero trabajar en Tapachula, ¿qué hago primero?")
    phone.check("input[name=reply_channel][value=whatsapp]")
    phone.fill("input[name=contact]", "+502 0000-0099")
    phone.check("input[name=consent]")
    submit(phone)
    # The contact is encrypted at rest: find the request by what it decrypts to.
    [inquiry] = [i for i in Inquiry.objects.all() if i.contact == "+502 0000-0099"]
    assert inquiry.via == placement.code
    assert count(placement, "inquiry") == inquiries_before + 1
    assert inquiry.organisation.country_id == "GT"

    # The information point's staff answer it from their inbox.
    member = inquiry.organisation.memberships.filter(
        role__in=["info_point_staff", "org_admin"], is_active=True
    ).first()
    assert member is not None
    staff_context = browser.new_context(viewport={"width": 1024, "height": 900})
    staff = staff_context.new_page()
    try:
        browser_login(staff, base, member.user, DEMO_PASSWORD, prefix=prefix)
        staff.goto(f"{base}{prefix}/staff/inquiries/{inquiry.pk}/")
        staff.locator("form[action$='/assign/'] button[type=submit]").click()
        staff.fill("form[action$='/reply/'] textarea[name=text]", "Le expliqué los requisitos.")
        staff.locator("form[action$='/reply/'] button[type=submit]").click()
        staff.select_option("form[action$='/close/'] select[name=outcome]", "answered_whatsapp")
        staff.locator("form[action$='/close/'] button[type=submit]").click()
    finally:
        staff_context.close()
    inquiry.refresh_from_db()
    assert inquiry.status == "closed"
    assert inquiry.outcome == "answered_whatsapp"
