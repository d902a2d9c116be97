"""A request for personalised information in a real headless Chromium: a person fills the form
on a 320 px phone without JavaScript, and the information point's staff answer it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import browser_login
from senda.accounts.tests.factories import TEST_PASSWORD, OrganisationFactory, member
from senda.directory.models import Service, Taxonomy, TaxonomyTerm
from senda.directory.reference import load_taxonomy
from senda.geo.models import AdminArea, Country
from senda.geo.reference import load_reference
from senda.inquiries.models import Inquiry, InquiryStatus
from senda.inquiries.tests.factories import information_point
from tests.browser.test_portal_pages import PHONE_WIDTH, assert_phone_ready, first_visit

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A 320 px wide tab with JavaScript off, in English."""
    context = browser.new_context(
        viewport={"width": PHONE_WIDTH, "height": 640}, locale="en-US", java_script_enabled=False
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


@pytest.fixture
def information_desk(transactional_db: None, settings: Any) -> dict[str, Any]:
    """An information point in Tegucigalpa and one of its staff."""
    if not AdminArea.objects.exists():
        load_reference(Country, AdminArea)
    if not TaxonomyTerm.objects.exists():
        load_taxonomy(Taxonomy, TaxonomyTerm)
    # A person fills the form in seconds here; the minimum fill time is tested elsewhere.
    settings.SENDA_INQUIRY_MIN_FILL_SECONDS = 0
    organisation: Organisation = OrganisationFactory.create(name="Punto Juvenil Tegucigalpa")
    service: Service = information_point(
        owner=organisation, area="HN0801", name="Orientación migratoria Tegucigalpa"
    )
    staff: User = member(organisation, Role.INFO_POINT_STAFF, username="punto-hn")
    return {"service": service, "staff": staff}


def test_the_form_is_phone_ready(live_server: Any, phone: Any, information_desk: dict) -> None:
    visit = first_visit(phone, live_server.url, "/en/ask/?country=HN&area=HN0801")

    assert_phone_ready(phone, visit)
    # The honeypot is out of sight (a 1 px clipped box) and out of the accessibility tree.
    box = phone.locator("#id_website").locator("..").bounding_box()
    assert box is not None and box["width"] <= 1 and box["height"] <= 1
    assert phone.get_by_role("textbox", name="Leave this field empty").count() == 0


def test_errors_are_shown_and_what_was_typed_is_kept(
    live_server: Any, phone: Any, information_desk: dict
) -> None:
    phone.goto(live_server.url + "/en/ask/?country=HN&area=HN0801")
    phone.get_by_label("Your question").fill("¿Puedo estudiar en México?")
    phone.get_by_label("Phone call").check()
    phone.get_by_role("button", name="Send my question").click()

    assert phone.get_by_role("alert").count() >= 2  # the phone number and the consent
    assert phone.get_by_label("Your question").input_value() == "¿Puedo estudiar en México?"
    assert Inquiry.objects.count() == 0
    visit = first_visit(phone, live_server.url, "/en/ask/")
    assert_phone_ready(phone, visit)


def test_ask_without_javascript_then_the_information_point_answers(
    live_server: Any, phone: Any, browser: Any, information_desk: dict
) -> None:
    base = live_server.url
    phone.goto(base + "/en/ask/?country=HN&area=HN0801&via=abc1234")
    phone.get_by_label("Your question").fill("¿Qué necesito para un permiso de trabajo?")
    phone.get_by_label("WhatsApp").check()
    phone.get_by_label("Phone number or email").fill("+504 0000-0077")
    phone.get_by_label("Your name").fill("Persona de ejemplo 77")
    phone.get_by_label("I agree").check()
    phone.get_by_role("button", name="Send my question").click()

    phone.wait_for_url("**/en/ask/thanks/**")
    assert "0000-0077" not in phone.url and "Persona" not in phone.url
    assert phone.get_by_text("Orientación migratoria Tegucigalpa").count() >= 1
    assert phone.locator("h1").inner_text().startswith("Thank you")
    visit = first_visit(phone, base, phone.url.removeprefix(base))
    assert_phone_ready(phone, visit)
    inquiry = Inquiry.objects.get()
    assert inquiry.organisation.name == "Punto Juvenil Tegucigalpa"
    assert inquiry.via == "abc1234"

    # The information point's staff log in, open it and answer.
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-US")
    staff = context.new_page()
    try:
        browser_login(staff, base, information_desk["staff"], TEST_PASSWORD)
        staff.goto(f"{base}/en/staff/inquiries/?show=new")
        staff.locator("tbody a").first.click()
        assert staff.locator("a[href='https://wa.me/50400000077']").count() == 1
        staff.get_by_role("button", name="Assign").click()
        staff.get_by_label("What you told the person").fill("Le expliqué los requisitos.")
        staff.get_by_role("button", name="Save the reply").click()
        staff.get_by_label("Outcome").select_option("answered_whatsapp")
        staff.get_by_role("button", name="Close the request").click()
        staff.wait_for_load_state()
        assert staff.get_by_text("Le expliqué los requisitos.").count() == 1
    finally:
        context.close()

    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.CLOSED
    assert inquiry.assigned_to == information_desk["staff"]
    assert inquiry.outcome == "answered_whatsapp"
