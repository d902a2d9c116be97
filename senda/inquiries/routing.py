"""Which information point answers a request: the one serving the area, else the nearest in
the country, else the network's coordinating organisation."""

from __future__ import annotations

from dataclasses import dataclass

from senda.accounts.models import Organisation
from senda.directory.models import Location, Service
from senda.directory.nearby import services_near
from senda.directory.search import ServiceFilters
from senda.geo.models import AdminArea, Country
from senda.inquiries.models import RoutedBy

# The top-level "Migration information and documents" category of the Senda taxonomy
# (senda/directory/data/taxonomy.csv); a code also matches its sub-categories.
INFORMATION_POINT_CATEGORY = "migration"


@dataclass(frozen=True)
class Route:
    organisation: Organisation
    routed_by: RoutedBy
    service: Service | None = None
    location: Location | None = None


def _nearest_point(
    latitude: float, longitude: float, *, country_code: str, area_pcode: str = ""
) -> tuple[Service, Location] | None:
    filters = ServiceFilters(
        category_codes=(INFORMATION_POINT_CATEGORY,),
        country_code=country_code,
        area_pcode=area_pcode,
    )
    for hit in services_near(latitude, longitude, filters, limit=1):
        return hit.service, hit.location
    return None


def network_organisation() -> Organisation | None:
    """The network's coordinating (network-editor) organisation, if there is one."""
    return (
        Organisation.objects.filter(is_network_editor=True, is_active=True)
        .order_by("created_at", "name")
        .first()
    )


def route_inquiry(*, country: Country, area: AdminArea | None) -> Route | None:
    """The route for a request from ``area`` (or anywhere in ``country``); None when there is
    no information point in the country and no network organisation."""
    if area is not None:
        # The area itself (and the areas inside it), then the area it belongs to.
        for scope in (area, area.parent):
            if scope is None:
                continue
            found = _nearest_point(
                area.latitude, area.longitude, country_code=country.code, area_pcode=scope.pcode
            )
            if found is not None:
                return Route(found[0].owner, RoutedBy.AREA, *found)
        latitude, longitude = area.latitude, area.longitude
    else:
        latitude, longitude = country.latitude, country.longitude
    found = _nearest_point(latitude, longitude, country_code=country.code)
    if found is not None:
        return Route(found[0].owner, RoutedBy.NEAREST, *found)
    network = network_organisation()
    if network is not None:
        return Route(network, RoutedBy.NETWORK)
    return None
