"""A request reaches the information point serving its area, else the nearest in the country,
else the network's coordinating organisation."""

from __future__ import annotations

import pytest

from senda.accounts.tests.factories import OrganisationFactory
from senda.geo.models import AdminArea, Country
from senda.inquiries.models import RoutedBy
from senda.inquiries.routing import route_inquiry
from senda.inquiries.tests.factories import information_point

pytestmark = pytest.mark.django_db


def area(pcode: str) -> AdminArea:
    return AdminArea.objects.get(pk=pcode)


def honduras() -> Country:
    return Country.objects.get(pk="HN")


def test_an_information_point_in_the_area_wins_over_a_nearer_one_elsewhere() -> None:
    in_comayagua = OrganisationFactory.create()
    next_door = OrganisationFactory.create()
    # Inside Comayagua but far from its centre; the other one is nearer, across the border.
    information_point(owner=in_comayagua, area="HN03", latitude=15.0)
    information_point(owner=next_door, area="HN08", latitude=14.55, longitude=-87.65)

    route = route_inquiry(country=honduras(), area=area("HN03"))

    assert route is not None
    assert route.organisation == in_comayagua
    assert route.routed_by == RoutedBy.AREA
    assert route.service is not None and route.location is not None


def test_a_point_in_a_child_or_parent_area_serves_the_area() -> None:
    san_pedro = OrganisationFactory.create()
    capital = OrganisationFactory.create()
    information_point(owner=san_pedro, area="HN0501")
    information_point(owner=capital, area="HN08")

    from_cortes = route_inquiry(country=honduras(), area=area("HN05"))  # child area
    from_district = route_inquiry(country=honduras(), area=area("HN0801"))  # parent area

    assert from_cortes is not None and from_cortes.organisation == san_pedro
    assert from_cortes.routed_by == RoutedBy.AREA
    assert from_district is not None and from_district.organisation == capital
    assert from_district.routed_by == RoutedBy.AREA


def test_without_a_point_in_the_area_the_nearest_in_the_country_answers() -> None:
    san_pedro = OrganisationFactory.create()
    capital = OrganisationFactory.create()
    information_point(owner=san_pedro, area="HN0501")
    information_point(owner=capital, area="HN0801")
    # Not an information point: another category, or not published.
    information_point(owner=OrganisationFactory.create(), area="HN01", categories=["health"])
    information_point(owner=OrganisationFactory.create(), area="HN01", publication_status="draft")

    from_atlantida = route_inquiry(country=honduras(), area=area("HN01"))
    from_country = route_inquiry(country=honduras(), area=None)

    assert from_atlantida is not None
    assert from_atlantida.organisation == san_pedro  # about 110 km, against 175 km
    assert from_atlantida.routed_by == RoutedBy.NEAREST
    assert from_country is not None and from_country.routed_by == RoutedBy.NEAREST


def test_no_point_in_the_country_goes_to_the_network_or_nowhere() -> None:
    information_point(owner=OrganisationFactory.create(), area="PA0805")

    assert route_inquiry(country=honduras(), area=area("HN01")) is None

    network = OrganisationFactory.create(is_network_editor=True)
    route = route_inquiry(country=honduras(), area=area("HN01"))

    assert route is not None
    assert route.organisation == network
    assert route.routed_by == RoutedBy.NETWORK
    assert route.service is None
