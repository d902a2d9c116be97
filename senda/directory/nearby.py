""" "Near me": the nearest published services to a point, with the distance.

The point is already rounded by the browser (two decimals, about 1 km) and is never stored or
logged here. Locations are found ring by ring on the indexed grid (see ``geo``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from senda.directory import geo
from senda.directory.models import Location, PublicationStatus, Service, ServiceAtLocation
from senda.directory.search import ServiceFilters, filter_services

MAX_RADIUS_CELLS = 60  # about 650 km: beyond that "near" means nothing


@dataclass
class NearbyHit:
    service: Service
    location: Location
    distance_km: float


def services_near(
    latitude: float,
    longitude: float,
    filters: ServiceFilters | None = None,
    *,
    limit: int = 20,
    now: datetime.datetime | None = None,
) -> list[NearbyHit]:
    """The ``limit`` nearest (service, location) pairs, one row per service, nearest first."""
    filters = filters or ServiceFilters()
    services = filter_services(
        Service.objects.filter(publication_status=PublicationStatus.PUBLISHED), filters, now=now
    )
    row, column = geo.cell_row_column(latitude, longitude)
    best: dict[object, NearbyHit] = {}
    for radius in range(MAX_RADIUS_CELLS + 1):
        cells = geo.ring_cells(row, column, radius)
        pairs = ServiceAtLocation.objects.filter(
            location__grid_cell__in=cells, service__in=services
        ).select_related("service", "service__organization", "location")
        for pair in pairs:
            location = pair.location
            assert location.latitude is not None and location.longitude is not None
            distance = geo.haversine_km(latitude, longitude, location.latitude, location.longitude)
            current = best.get(pair.service_id)
            if current is None or distance < current.distance_km:
                best[pair.service_id] = NearbyHit(pair.service, location, distance)
        if len(best) >= limit:
            # Anything outside the rings read so far is at least `radius` cells away.
            certain_km = radius * geo.CELL_DEGREES * 111.0 * 0.5
            nearest = sorted(best.values(), key=lambda hit: hit.distance_km)[:limit]
            if nearest[-1].distance_km <= certain_km:
                return nearest
    return sorted(best.values(), key=lambda hit: hit.distance_km)[:limit]
