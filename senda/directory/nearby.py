""" "Near me": the nearest published services to a point, with the distance.

The point is already rounded by the browser (two decimals, about 1 km) and is never stored or
logged here. Map points (``ServicePoint``: one per published service and located place, with
the filter values copied on) are read from the indexed grid in growing squares of cells around
the point (3 x 3 cells, then out to 15 x 15 and 63 x 63, then the rest of the world) until the
``limit``-th nearest service found is nearer than anything outside the square can be
(``geo.distance_beyond_block_km``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import connection

from senda.directory import geo
from senda.directory.models import Location, Service, ServicePoint
from senda.directory.search import (
    ServiceFilters,
    as_uuid,
    index_filter_sql,
    rows_by_id,
    services_by_id,
)

FIRST_RADIUS_CELLS = 1
# Past this many rings (about 340 km) the rest of the world is read in one go.
MAX_RING_RADIUS_CELLS = 31
# SQLite nests OR conditions; keep each query's list of cell ranges short.
MAX_RANGES_PER_QUERY = 200


@dataclass
class NearbyHit:
    service: Service
    location: Location
    distance_km: float


def next_ring_radius(outer: int) -> int:
    """After a square of ``outer`` rings, the next square to read (1, 7, 31, ...)."""
    return 4 * outer + 3


def cells_sql(ranges: list[tuple[int, int]]) -> tuple[str, list[int]]:
    """Points in these ranges of grid cells (an empty list: everywhere)."""
    if not ranges:
        return "1 = 1", []
    return (
        "(" + " OR ".join(["grid_cell BETWEEN %s AND %s"] * len(ranges)) + ")",
        [bound for pair in ranges for bound in pair],
    )


def points_sql(
    ranges: list[tuple[int, int]], conditions: list[str], params: list[Any]
) -> tuple[str, list[Any]]:
    """The map points in some cells that pass the filters. Written in SQL because building
    it through the ORM costs more than running it, and a search may run a few."""
    cells, cell_params = cells_sql(ranges)
    table = connection.ops.quote_name(ServicePoint._meta.db_table)
    return (
        # Only identifiers and placeholders are formatted in; values are parameters.
        f"SELECT id, service_id, location_id, latitude, longitude FROM {table}"  # noqa: S608
        f" WHERE {' AND '.join([cells, *conditions])}",
        [*cell_params, *params],
    )


@dataclass(frozen=True, order=True)
class _Nearest:
    distance_km: float
    service_key: str
    location_key: str
    point_id: int


def nearest_points(
    latitude: float,
    longitude: float,
    filters: ServiceFilters,
    *,
    limit: int,
    now: datetime.datetime | None = None,
) -> list[_Nearest]:
    """The nearest map point of each of the ``limit`` nearest services, nearest first (ties
    by service id, then location id)."""
    if limit <= 0:
        return []
    conditions, params = index_filter_sql(filters, now=now)
    row, column = geo.cell_row_column(latitude, longitude)
    best: dict[str, _Nearest] = {}
    inner, outer = -1, FIRST_RADIUS_CELLS
    while True:
        whole_world = outer > MAX_RING_RADIUS_CELLS or geo.block_covers_world(row, outer)
        if whole_world:
            # Fewer than `limit` services within hundreds of km: read every point left.
            batches: list[list[tuple[int, int]]] = [[]]
        else:
            ranges = geo.block_cell_ranges(row, column, inner, outer)
            batches = [
                ranges[start : start + MAX_RANGES_PER_QUERY]
                for start in range(0, len(ranges), MAX_RANGES_PER_QUERY)
            ]
        for batch in batches:
            with connection.cursor() as cursor:
                cursor.execute(*points_sql(batch, conditions, params))
                rows = cursor.fetchall()
            for point_id, service_id, location_id, point_latitude, point_longitude in rows:
                service_key = str(as_uuid(service_id))
                candidate = _Nearest(
                    geo.haversine_km(latitude, longitude, point_latitude, point_longitude),
                    service_key,
                    str(as_uuid(location_id)),
                    point_id,
                )
                current = best.get(service_key)
                if current is None or candidate < current:
                    best[service_key] = candidate
        nearest = sorted(best.values())[:limit]
        if whole_world:
            return nearest
        # Anything not read yet is at least this far away.
        beyond_km = geo.distance_beyond_block_km(latitude, longitude, outer)
        if len(nearest) == limit and nearest[-1].distance_km <= beyond_km:
            return nearest
        inner, outer = outer, next_ring_radius(outer)


def services_near(
    latitude: float,
    longitude: float,
    filters: ServiceFilters | None = None,
    *,
    limit: int = 20,
    now: datetime.datetime | None = None,
) -> list[NearbyHit]:
    """The ``limit`` nearest published services, each at its nearest location, nearest first."""
    nearest = nearest_points(latitude, longitude, filters or ServiceFilters(), limit=limit, now=now)
    if not nearest:
        return []
    services = services_by_id(as_uuid(item.service_key) for item in nearest)
    locations = rows_by_id(Location, (as_uuid(item.location_key) for item in nearest))
    return [
        NearbyHit(
            services[as_uuid(item.service_key)],
            locations[as_uuid(item.location_key)],
            item.distance_km,
        )
        for item in nearest
        if as_uuid(item.service_key) in services and as_uuid(item.location_key) in locations
    ]
