from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from senda.core.models import AuditEntry
from senda.directory.tests.factories import (
    CostOptionFactory,
    LocationFactory,
    ServiceFactory,
)
from senda.portal.tests.conftest import HasContent

pytestmark = pytest.mark.usefixtures("reference_data")


def names_in(response: HasContent) -> list[str]:
    html = response.content.decode()
    return re.findall(r'<h3><a href="/(?:en/)?services/[0-9a-f-]+/">([^<]+)</a></h3>', html)


@pytest.fixture
def services_around_panama_city(reference_data: None) -> None:
    """Three services at known distances from San Miguelito (9.04, -79.49)."""
    spots = [
        ("Cerca", 9.05, -79.49, "PA0805"),  # about 1 km
        ("Medio", 9.00, -79.48, "PA0804"),  # about 4.6 km
        ("Lejos", 8.88, -79.78, "PA1304"),  # La Chorrera, about 36 km
    ]
    for name, latitude, longitude, area in spots:
        location = LocationFactory.create(
            latitude=latitude, longitude=longitude, admin_area_id=area
        )
        ServiceFactory.create(published=True, name=name, locations=[location])
    ServiceFactory.create(name="Borrador", locations=[LocationFactory.create()])


@pytest.mark.usefixtures("services_around_panama_city")
def test_near_an_area_lists_nearest_first_with_distances(client: Client) -> None:
    response = client.get("/en/near/", {"area": "PA0805"})

    html = response.content.decode()
    assert response.status_code == 200
    assert names_in(response) == ["Cerca", "Medio", "Lejos"]
    assert "Nearest services to San Miguelito" in html
    assert "1.1 km away" in html
    assert re.search(r"3\d\.\d km away", html)


@pytest.mark.usefixtures("services_around_panama_city")
def test_near_my_location_uses_the_rounded_point(client: Client) -> None:
    response = client.get("/en/near/", {"lat": "9.04", "lon": "-79.49"})

    html = response.content.decode()
    assert names_in(response) == ["Cerca", "Medio", "Lejos"]
    assert "Nearest services to your location" in html
    # The filters keep the (rounded) point, and nothing more precise.
    assert '<input type="hidden" name="lat" value="9.04">' in html
    assert '<input type="hidden" name="lon" value="-79.49">' in html


@pytest.mark.usefixtures("services_around_panama_city")
def test_precise_coordinates_are_rounded_by_the_server(client: Client) -> None:
    response = client.get(
        "/en/near/", {"lat": "9.041234", "lon": "-79.487654", "category": "health"}
    )

    assert response.status_code == 302
    location = response["Location"]
    assert "lat=9.04" in location and "lon=-79.49" in location
    assert "9.0412" not in location and "79.4876" not in location
    assert "category=health" in location


def test_a_country_alone_asks_for_an_area_of_that_country(client: Client) -> None:
    response = client.get("/en/near/", {"country": "PA"})

    html = response.content.decode()
    assert "Now choose an area in Panama." in html
    assert 'value="PA0805"' in html
    assert 'value="GT0101"' not in html
    assert "Nearest services" not in html


def test_first_visit_shows_the_area_picker_and_a_hidden_location_button(
    client: Client,
) -> None:
    html = client.get("/en/near/").content.decode()

    assert '<optgroup label="Guatemala">' in html
    assert 'id="use-location"' in html
    assert re.search(r'<button type="button" id="use-location"[^>]* hidden', html)
    assert '<script src="/static/js/near.js" defer></script>' in html


@pytest.mark.parametrize(
    "params",
    [
        {"lat": "abc", "lon": "-79.49"},
        {"lat": "91", "lon": "-79.49"},
        {"lat": "9.04", "lon": "-181"},
        {"lat": "9.04"},
        {"lat": "nan", "lon": "inf"},
    ],
)
def test_an_unreadable_location_is_a_clear_error(client: Client, params: dict) -> None:
    response = client.get("/en/near/", params)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Your location could not be read. Choose your area instead." in html
    assert "Nearest services" not in html


@pytest.mark.usefixtures("services_around_panama_city")
def test_near_me_filters_apply(client: Client) -> None:
    free = ServiceFactory.create(
        published=True,
        name="Gratis",
        locations=[LocationFactory.create(latitude=9.04, longitude=-79.49)],
    )
    CostOptionFactory.create(service=free, amount=0)

    response = client.get("/en/near/", {"lat": "9.04", "lon": "-79.49", "free": "on"})

    assert names_in(response) == ["Gratis"]
    assert "0.0 km away" in response.content.decode()


@pytest.mark.usefixtures("services_around_panama_city")
def test_near_me_returns_at_most_twenty(client: Client) -> None:
    for number in range(22):
        ServiceFactory.create(
            published=True,
            name=f"Servicio {number}",
            locations=[LocationFactory.create(latitude=9.04, longitude=-79.49)],
        )

    response = client.get("/en/near/", {"area": "PA0805"})

    assert len(names_in(response)) == 20


@pytest.mark.usefixtures("services_around_panama_city")
def test_coordinates_are_never_stored_or_logged(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    audit_before = AuditEntry.objects.count()
    caplog.set_level(logging.DEBUG)

    client.get("/near/", {"lat": "9.04", "lon": "-79.49"})
    client.get("/en/near/", {"lat": "9.041234", "lon": "-79.487654"})  # rounded by redirect
    client.get("/near/", {"lat": "9.04"})  # an error
    client.get("/near/", {"lat": "9.04", "lon": "-79.49", "category": "nonsense"})

    assert AuditEntry.objects.count() == audit_before
    stored = json.dumps(list(AuditEntry.objects.values("details", "object_id", "action")))
    assert Session.objects.count() == 0
    for fragment in ("9.04", "79.49", "9.0412", "79.4876"):
        assert fragment not in stored
        for record in caplog.records:
            assert fragment not in record.getMessage()
            assert fragment not in repr(record.args)


def test_request_logs_carry_no_query_string() -> None:
    """The demo server's access log prints the path only (%(U)s), never the query string."""
    demo = (Path(settings.BASE_DIR) / "scripts" / "demo.sh").read_text()
    access_format = re.search(r"--access-logformat\s+'([^']*)'", demo)

    assert access_format is not None
    assert "%(U)s" in access_format.group(1)
    for leaky in ("%(r)s", "%(q)s", "%(f)s", "%({"):
        assert leaky not in access_format.group(1)
    logging_config: dict[str, Any] = settings.LOGGING
    loggers = logging_config["loggers"]
    assert loggers["django.server"]["handlers"] == []
    assert loggers["gunicorn.access"]["handlers"] == []


def test_near_page_queries_do_not_grow_with_results(client: Client, reference_data: None) -> None:
    def queries_for(count: int) -> int:
        for _ in range(count):
            ServiceFactory.create(
                published=True,
                categories=["health.primary"],
                locations=[LocationFactory.create(latitude=9.04, longitude=-79.49)],
            )
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/en/near/", {"lat": "9.04", "lon": "-79.49"})
        assert response.status_code == 200
        return len(captured)

    few = queries_for(2)
    many = queries_for(8)

    assert many == few
