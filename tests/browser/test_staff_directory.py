"""Partner maintenance in a real headless Chromium: an information-point employee adds a
service with a location and opening hours and submits it; a content editor publishes it."""

from __future__ import annotations

from typing import Any

import pytest

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import browser_login
from senda.accounts.tests.factories import TEST_PASSWORD, OrganisationFactory, member
from senda.directory.models import PublicationStatus, Schedule, Service, Taxonomy, TaxonomyTerm
from senda.directory.reference import load_taxonomy
from senda.directory.tests.factories import OrganizationFactory
from senda.geo.models import AdminArea, Country
from senda.geo.reference import load_reference

pytestmark = pytest.mark.browser


@pytest.fixture
def partner(transactional_db: None) -> dict[str, Any]:
    """A partner organisation with a provider, an employee and a content editor."""
    # Earlier transactional tests flush the reference data the migrations loaded.
    if not AdminArea.objects.exists():
        load_reference(Country, AdminArea)
    if not TaxonomyTerm.objects.exists():
        load_taxonomy(Taxonomy, TaxonomyTerm)
    organisation: Organisation = OrganisationFactory.create(name="Salud Panamá", slug="salud-pa")
    OrganizationFactory.create(owner=organisation, name="Centro de Salud Boston")
    employee: User = member(organisation, Role.INFO_POINT_STAFF, username="empleada")
    editor: User = member(organisation, Role.CONTENT_EDITOR, username="editora")
    return {"employee": employee, "editor": editor}


def log_in(page: Any, base: str, user: User) -> None:
    browser_login(page, base, user, TEST_PASSWORD)
    page.wait_for_url(f"{base}/en/staff/directory/")


def test_create_submit_and_publish_a_service(live_server: Any, page: Any, partner: dict) -> None:
    base = live_server.url

    # An employee of the information point logs in and starts a new service.
    log_in(page, base, partner["employee"])
    page.click("text=New service")
    page.fill("#id_name", "Vacunación infantil")
    page.fill("#id_tr_en_name", "Child vaccination")
    page.fill("#id_description", "Vacunas del esquema nacional, sin costo.")
    page.fill("#id_tr_en_description", "National schedule vaccines, free of charge.")
    page.check("#id_free_of_cost")
    page.check("#id_category_health_vaccination")
    page.check("input[name=languages][value=es]")
    page.fill("#id_phones-0-number", "+507 523-6000")
    page.check("#id_phones-0-whatsapp")
    page.click("main button[type=submit]")
    page.wait_for_selector("h1:has-text('Child vaccination')")
    assert "The service was saved as a draft." in page.inner_text(".messages")

    # It is offered at a new location, open Monday to Friday 08:00-16:00.
    page.click("text=Offer it at a location")
    page.fill("#id_new-name", "Centro de Salud Boston")
    page.fill("#id_new-tr_en_name", "Boston Health Centre")
    page.fill("#id_new-address_1", "Vía Domingo Díaz")
    page.fill("#id_new-city", "San Miguelito")
    page.select_option("#id_new-country", "PA")
    page.select_option("#id_new-admin_area", "PA0805")
    page.fill("#id_new-latitude", "9.0412")
    page.fill("#id_new-longitude", "-79.4931")
    for day in ("mo", "tu", "we", "th", "fr"):
        page.fill(f"#id_{day}_opens", "08:00")
        page.fill(f"#id_{day}_closes", "16:00")
    page.click("main button[type=submit]")
    page.wait_for_selector("h3:has-text('Boston Health Centre')")
    hours = page.inner_text("section[aria-labelledby=where-title]")
    assert "Monday" in hours and "08:00–16:00" in hours

    # ... and submitted for review.
    page.click("text=Submit for review")
    page.wait_for_selector("text=The service is waiting for review.")
    page.click("nav.main button[type=submit]")  # log out

    # A content editor finds it on the review list and publishes it.
    log_in(page, base, partner["editor"])
    page.click("text=Waiting for review")
    page.click("text=Child vaccination")
    page.click("form[action$='/publish/'] button")
    page.wait_for_selector("text=The service is published.")
    assert "This service is: Published." in page.inner_text("#workflow-title + p")

    service = Service.objects.get(name="Vacunación infantil")
    assert service.publication_status == PublicationStatus.PUBLISHED
    assert service.is_free
    assert service.phones.get().whatsapp
    schedule = Schedule.objects.get(service_at_location__service=service)
    assert (schedule.freq, schedule.byday) == ("WEEKLY", "MO,TU,WE,TH,FR")
