from __future__ import annotations

import datetime
import re
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import Settings

from senda.accounts.roles import Role
from senda.accounts.tests.factories import OrganisationFactory, member
from senda.directory.models import Accessibility, PublicationStatus, Service
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
from senda.portal.tests.conftest import always_open_byday, days_ago

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.fixture
def clinic(reference_data: None) -> Service:
    """A health centre in San Miguelito with everything the service page can show."""
    partner = OrganisationFactory.create(name="Red de Salud Comunitaria")
    verifier = member(partner, Role.CONTENT_EDITOR, email="editor@red.example")
    location = LocationFactory.create(
        owner=partner,
        name="Centro de Salud Amelia Denis",
        latitude=9.0412,
        longitude=-79.4931,
        admin_area_id="PA0805",
        translations={"en": {"transportation": "Metro line 2, San Miguelito station"}},
        transportation="Metro línea 2, estación San Miguelito",
    )
    AddressFactory.create(location=location, address_1="Vía Domingo Díaz", city="San Miguelito")
    PhoneFactory.create(location=location, number="+507 523-6000")
    Accessibility.objects.create(location=location, description="Rampa en la entrada")
    service = ServiceFactory.create(
        owner=partner,
        published=True,
        name="Control prenatal",
        translations={"en": {"name": "Prenatal care", "description": "Check-ups in pregnancy."}},
        description="Chequeos durante el embarazo.",
        eligibility_description="Mujeres embarazadas, con o sin documentos.",
        minimum_age=12,
        maximum_age=49,
        categories=["health.prenatal"],
        locations=[location],
        assured_date=datetime.date(2025, 3, 14),
        verified_by=verifier,
        source="https://salud.example/centros",
    )
    RequiredDocumentFactory.create(service=service, document="Cédula o pasaporte")
    CostOptionFactory.create(service=service, option="Consulta", amount=Decimal("2.50"))
    CostOptionFactory.create(service=service, option="Vacunas", amount=Decimal(0))
    LanguageFactory.create(service=service, code="es")
    LanguageFactory.create(service=service, code="mam", name="Mam")
    PhoneFactory.create(service=service, number="6000-1234", whatsapp=True)
    ScheduleFactory.create(service=service, byday="MO,WE,FR", description="Llegar temprano")
    ScheduleFactory.create(
        service=service, byday="SA", opens_at=datetime.time(9), closes_at=datetime.time(12)
    )
    service.refresh_from_db()
    return service


def test_service_page_shows_everything_a_person_needs(client: Client, clinic: Service) -> None:
    response = client.get(f"/en/services/{clinic.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert "<h1>Prenatal care</h1>" in html
    assert "Check-ups in pregnancy." in html
    assert "Mujeres embarazadas, con o sin documentos." in html
    assert "From 12 to 49 years old" in html
    assert "<li>Cédula o pasaporte</li>" in html
    assert "Consulta: 2.50 USD" in html
    assert "Vacunas: Free" in html
    assert "English" not in html.split("<h2>Languages</h2>")[1].split("</p>")[0]
    assert "Mam, Spanish" in html
    # Hours per weekday, for the location.
    assert '<th scope="row">Monday</th><td>08:00–16:00</td>' in html
    assert '<th scope="row">Tuesday</th><td>Closed</td>' in html
    assert '<th scope="row">Saturday</th><td>09:00–12:00</td>' in html
    assert "Llegar temprano" in html
    # Address, map links, phones.
    assert "Vía Domingo Díaz" in html
    assert "Metro line 2, San Miguelito station" in html
    assert "Rampa en la entrada" in html
    assert 'href="geo:9.04120,-79.49310"' in html
    assert 'href="https://www.openstreetmap.org/?mlat=9.04120&amp;mlon=-79.49310' in html
    assert 'href="tel:+5075236000"' in html
    assert 'href="tel:60001234"' in html
    assert 'href="https://wa.me/50760001234"' in html
    # Verification and source: the organisation, never the person's email.
    assert "Last verified on March 14, 2025 by Red de Salud Comunitaria." in html
    assert "editor@red.example" not in html
    assert '<a href="https://salud.example/centros">' in html


def test_service_page_in_spanish(client: Client, clinic: Service) -> None:
    response = client.get(f"/services/{clinic.pk}/")

    html = response.content.decode()
    assert '<html lang="es">' in html
    assert "<h1>Control prenatal</h1>" in html
    assert f'href="/en/services/{clinic.pk}/"' in html


def test_free_service_says_free(client: Client) -> None:
    service = ServiceFactory.create(published=True, name="Vacunación")
    CostOptionFactory.create(service=service, amount=Decimal(0))

    html = client.get(f"/en/services/{service.pk}/").content.decode()

    assert '<strong class="free">Free</strong>' in html


def test_open_now_is_shown(client: Client) -> None:
    location = LocationFactory.create()
    service = ServiceFactory.create(published=True, locations=[location])
    ScheduleFactory.create(
        service=service,
        byday=always_open_byday(),
        opens_at=datetime.time(0),
        closes_at=datetime.time(0),
    )

    html = client.get(f"/en/services/{service.pk}/").content.decode()

    assert '<span class="open">Open now</span>' in html
    assert '<th scope="row">Sunday</th><td>00:00–24:00</td>' in html


def test_hours_unknown_are_said_plainly(client: Client) -> None:
    service = ServiceFactory.create(published=True)

    html = client.get(f"/en/services/{service.pk}/").content.decode()

    assert "Opening hours not available." in html
    assert "Open now" not in html and "Closed now" not in html


@pytest.mark.parametrize(
    ("assured_date", "stale"),
    [(None, True), (days_ago(181), True), (days_ago(179), False), (days_ago(0), False)],
)
def test_stale_notice(
    client: Client, assured_date: datetime.date | None, stale: bool, settings: Settings
) -> None:
    settings.SENDA_STALE_SERVICE_DAYS = 180
    service = ServiceFactory.create(published=True, assured_date=assured_date)

    html = client.get(f"/en/services/{service.pk}/").content.decode()

    assert ('class="notice stale"' in html) is stale
    if stale and assured_date:
        assert "last verified more than 180 days ago" in html
    if stale and not assured_date:
        assert "has not been verified yet" in html


@pytest.mark.parametrize(
    "status",
    [PublicationStatus.DRAFT, PublicationStatus.PENDING_REVIEW, PublicationStatus.ARCHIVED],
)
def test_unpublished_services_are_not_found(client: Client, status: str) -> None:
    service = ServiceFactory.create(publication_status=status)

    assert client.get(f"/services/{service.pk}/").status_code == 404
    assert client.get(f"/en/services/{service.pk}/").status_code == 404


def test_unknown_ids_are_not_found(client: Client) -> None:
    assert client.get(f"/services/{uuid.uuid4()}/").status_code == 404
    assert client.get("/services/not-a-uuid/").status_code == 404


def test_service_page_loads_nothing_from_outside(client: Client, clinic: Service) -> None:
    html = client.get(f"/services/{clinic.pk}/").content.decode()

    resources = re.findall(r'<(?:script|img|link|iframe|source)[^>]*(?:src|href)="([^"]+)"', html)
    assert all(url.startswith(("/", "data:")) and not url.startswith("//") for url in resources)
    # Only same-origin script files, never inline script (the CSP would refuse it).
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert all(
        re.fullmatch(r' src="/static/[^"]+" defer', attributes) and not body.strip()
        for attributes, body in scripts
    )
    assert "style=" not in html


def test_service_page_queries_do_not_grow_with_locations(client: Client) -> None:
    def queries_for(location_count: int) -> int:
        locations = [LocationFactory.create() for _ in range(location_count)]
        service = ServiceFactory.create(published=True, locations=locations)
        for location in locations:
            AddressFactory.create(location=location)
            PhoneFactory.create(location=location)
        ScheduleFactory.create(service=service)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/en/services/{service.pk}/").status_code == 200
        return len(captured)

    assert queries_for(4) == queries_for(1)
