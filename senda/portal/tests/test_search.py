from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import Settings

from senda.directory.models import PublicationStatus
from senda.directory.tests.factories import (
    CostOptionFactory,
    LanguageFactory,
    LocationFactory,
    ScheduleFactory,
    ServiceFactory,
)
from senda.portal.tests.conftest import HasContent, always_open_byday, closed_today_byday

pytestmark = pytest.mark.usefixtures("reference_data")


def names_in(response: HasContent) -> list[str]:
    html = response.content.decode()
    return re.findall(r'<h2><a href="/(?:en/)?services/[0-9a-f-]+/">([^<]+)</a></h2>', html)


def test_search_is_accent_and_case_insensitive(client: Client) -> None:
    ServiceFactory.create(published=True, name="Vacunación infantil")
    ServiceFactory.create(published=True, name="Asesoría legal")

    for query in ("vacunacion", "VACUNACIÓN", "Vacunación", "vacun"):
        response = client.get("/en/search/", {"q": query})
        assert response.status_code == 200
        assert names_in(response) == ["Vacunación infantil"], query


def test_search_shows_only_published_services(client: Client) -> None:
    ServiceFactory.create(published=True, name="Albergue publicado")
    ServiceFactory.create(name="Albergue borrador")
    ServiceFactory.create(publication_status=PublicationStatus.ARCHIVED, name="Albergue viejo")

    response = client.get("/en/search/", {"q": "albergue"})

    assert names_in(response) == ["Albergue publicado"]
    assert "1 service found" in response.content.decode()


def test_first_visit_lists_every_published_service(client: Client) -> None:
    ServiceFactory.create(published=True, name="Bravo")
    ServiceFactory.create(published=True, name="Alfa")

    response = client.get("/en/search/")

    assert names_in(response) == ["Alfa", "Bravo"]


def test_result_card_shows_what_a_person_needs(client: Client) -> None:
    location = LocationFactory.create(admin_area_id="PA0805")
    service = ServiceFactory.create(
        published=True,
        name="Vacunación",
        categories=["health.vaccination"],
        locations=[location],
        assured_date=datetime.date(2025, 3, 14),
    )
    CostOptionFactory.create(service=service, amount=0)
    ScheduleFactory.create(
        service=service,
        byday=always_open_byday(),
        opens_at=datetime.time(0),
        closes_at=datetime.time(0),
    )

    html = client.get("/en/search/", {"q": "vacunacion"}).content.decode()

    card = html.split('<li class="card">')[1]
    assert f'href="/en/services/{service.pk}/"' in card
    assert service.organization.name in card
    assert "<li>Vaccination</li>" in card
    assert '<span class="free">Free</span>' in card
    assert '<span class="open">Open now</span>' in card
    assert "San Miguelito" in card
    assert "Last verified March 14, 2025" in card


def test_filter_by_category_includes_sub_categories(client: Client) -> None:
    ServiceFactory.create(published=True, name="Vacunas", categories=["health.vaccination"])
    ServiceFactory.create(published=True, name="Control", categories=["health.prenatal"])
    ServiceFactory.create(published=True, name="Comedor", categories=["food"])

    assert names_in(client.get("/en/search/", {"category": "health"})) == ["Control", "Vacunas"]
    assert names_in(client.get("/en/search/", {"category": "health.prenatal"})) == ["Control"]


def test_filter_by_country_and_area(client: Client) -> None:
    panama = LocationFactory.create(country_id="PA", admin_area_id="PA0805")
    chorrera = LocationFactory.create(country_id="PA", admin_area_id="PA1304")
    mexico = LocationFactory.create(country_id="MX", admin_area_id="MX07089")
    ServiceFactory.create(published=True, name="San Miguelito", locations=[panama])
    ServiceFactory.create(published=True, name="La Chorrera", locations=[chorrera])
    ServiceFactory.create(published=True, name="Tapachula", locations=[mexico])

    by_country = client.get("/en/search/", {"country": "PA"})
    assert names_in(by_country) == ["La Chorrera", "San Miguelito"]
    # The area list now holds only Panama's areas.
    assert 'value="PA1304"' in by_country.content.decode()
    assert 'value="MX07089"' not in by_country.content.decode()

    assert names_in(client.get("/en/search/", {"country": "PA", "area": "PA0805"})) == [
        "San Miguelito"
    ]
    # A province includes the districts inside it; an area alone needs no country.
    assert names_in(client.get("/en/search/", {"area": "PA13"})) == ["La Chorrera"]


def test_area_outside_the_chosen_country_is_a_clear_error(client: Client) -> None:
    ServiceFactory.create(published=True, name="Algo")

    response = client.get("/en/search/", {"country": "GT", "area": "PA0805"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "That area is not in the country you chose." in html
    assert 'role="alert"' in html
    assert names_in(response) == []


def test_unknown_category_is_a_clear_error(client: Client) -> None:
    response = client.get("/en/search/", {"category": "nonsense"})

    assert "Choose a category from the list." in response.content.decode()
    assert names_in(response) == []


def test_filter_free_language_and_open_now(client: Client) -> None:
    free = ServiceFactory.create(published=True, name="Gratis")
    CostOptionFactory.create(service=free, amount=0)
    paid = ServiceFactory.create(published=True, name="Pagado")
    CostOptionFactory.create(service=paid, amount=10)
    LanguageFactory.create(service=free, code="es")
    LanguageFactory.create(service=paid, code="en")
    ScheduleFactory.create(
        service=free,
        byday=always_open_byday(),
        opens_at=datetime.time(0),
        closes_at=datetime.time(0),
    )
    ScheduleFactory.create(service=paid, byday=closed_today_byday())

    assert names_in(client.get("/en/search/", {"free": "on"})) == ["Gratis"]
    assert names_in(client.get("/en/search/", {"language": "en"})) == ["Pagado"]
    assert names_in(client.get("/en/search/", {"open": "on"})) == ["Gratis"]
    html = client.get("/en/search/").content.decode()
    # Only languages somebody speaks are offered.
    assert '<option value="en">English</option>' in html
    assert '<option value="es">Spanish</option>' in html


def test_pagination_keeps_the_filters(client: Client, settings: Settings) -> None:
    settings.SENDA_PAGE_SIZE = 5
    for number in range(12):
        ServiceFactory.create(published=True, name=f"Comedor {number:02d}", categories=["food"])
    ServiceFactory.create(published=True, name="Otro comedor", categories=["shelter"])

    first = client.get("/en/search/", {"q": "comedor", "category": "food"})
    html = first.content.decode()
    assert "12 services found" in html and "page 1 of 3" in html
    assert len(names_in(first)) == 5
    next_link = re.search(r'<a href="\?([^"]+)" rel="next">', html)
    assert next_link is not None
    query = next_link.group(1).replace("&amp;", "&")
    assert "q=comedor" in query and "category=food" in query and "page=2" in query

    second = client.get("/en/search/?" + query)
    assert len(names_in(second)) == 5
    assert not set(names_in(second)) & set(names_in(first))
    assert 'rel="prev"' in second.content.decode()

    last = client.get("/en/search/", {"q": "comedor", "category": "food", "page": "3"})
    assert len(names_in(last)) == 2
    assert 'rel="next"' not in last.content.decode()


def test_page_past_the_end_offers_the_first_page(client: Client) -> None:
    ServiceFactory.create(published=True, name="Único")

    response = client.get("/en/search/", {"page": 9})

    assert response.status_code == 200
    assert "There are no more results." in response.content.decode()
    assert client.get("/en/search/", {"page": "x"}).status_code == 200


def test_search_page_queries_do_not_grow_with_results(client: Client) -> None:
    def queries_for(count: int) -> int:
        for _ in range(count):
            location = LocationFactory.create()
            ServiceFactory.create(
                published=True,
                name="Salud",
                categories=["health.primary", "health.mental"],
                locations=[location],
            )
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/en/search/", {"q": "salud"})
        assert response.status_code == 200
        return len(captured)

    few = queries_for(2)
    many = queries_for(10)

    assert many == few


def test_search_in_spanish_at_the_root(client: Client) -> None:
    ServiceFactory.create(published=True, name="Vacunación")

    response = client.get("/search/", {"q": "vacunacion"})

    html = response.content.decode()
    assert '<html lang="es">' in html
    assert names_in(response) == ["Vacunación"]
    assert 'href="/en/search/?q=vacunacion"' in html
