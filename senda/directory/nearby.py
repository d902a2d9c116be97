""" "Near me": the nearest published services to a point, with the distance.

The point is already rounded by the browser (two decimals, about 1 km) and is never stored or
logged here. Map points (``ServicePoint``: one per published service and located place, with
the filter values copied on) are read from the indexed grid in growing squares of cells around
the point (3 x 3 cells, then twice or four times as wide, then the rest of the world) until the
``limit``-th nearest service found is nearer than anything outside the square can be
(``geo.distance_beyond_block_km``).
"""

from __future__ import annotations

import datetime
import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection

from senda.directory import geo
from senda.directory.models import Location, Organization, Service, ServicePoint
from senda.directory.search import ServiceFilters, as_uuid, fetch_instances, index_filter_sql

FIRST_RADIUS_CELLS = 1
# Past this many rings (about 280 km) the rest of the world is read in one go.
MAX_RING_RADIUS_CELLS = 127
# SQLite nests OR conditions; keep each query's list of cell ranges short.
MAX_RANGES_PER_QUERY = 200


@dataclass
class NearbyHit:
    service: Service
    location: Location
    distance_km: float


def next_ring_radius(outer: int, *, found: int, limit: int) -> int:
    """After a square of ``outer`` rings where ``found`` services were found, the next square
    to read: twice as wide when enough were found but some may lie just outside, four times
    as wide when there were too few (sparse places, selective filters)."""
    return 2 * outer + 1 if found >= limit else 4 * outer + 3


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
class NearestPoint:
    """The nearest map point of one service. Ids as the database driver gives them (text on
    SQLite, UUID on PostgreSQL): within one database they sort like the UUIDs."""

    distance_km: float
    service_id: Any
    location_id: Any
    point_id: int


def keep_nearest(
    best: dict[Any, NearestPoint],
    rows: Iterable[tuple[int, Any, Any, float, float]],
    distance: Callable[[float, float], float],
) -> None:
    """Fold map point rows (id, service_id, location_id, latitude, longitude) into the
    nearest point of each service."""
    for point_id, service_id, location_id, latitude, longitude in rows:
        kilometres = distance(latitude, longitude)
        current = best.get(service_id)
        if current is not None and (kilometres, location_id) >= (
            current.distance_km,
            current.location_id,
        ):
            continue
        best[service_id] = NearestPoint(kilometres, service_id, location_id, point_id)


def nearest_points(
    latitude: float,
    longitude: float,
    filters: ServiceFilters,
    *,
    limit: int,
    now: datetime.datetime | None = None,
) -> list[NearestPoint]:
    """The nearest map point of each of the ``limit`` nearest services, nearest first (ties
    by service id, then location id)."""
    if limit <= 0:
        return []
    conditions, params = index_filter_sql(filters, now=now)
    row, column = geo.cell_row_column(latitude, longitude)
    distance = geo.distance_from(latitude, longitude)
    best: dict[Any, NearestPoint] = {}
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
                keep_nearest(best, cursor.fetchall(), distance)
        nearest = heapq.nsmallest(limit, best.values())
        if whole_world:
            return nearest
        # Anything not read yet is at least this far away.
        beyond_km = geo.distance_beyond_block_km(latitude, longitude, outer)
        if len(nearest) == limit and nearest[-1].distance_km <= beyond_km:
            return nearest
        inner, outer = outer, next_ring_radius(outer, found=len(nearest), limit=limit)


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
    quote = connection.ops.quote_name
    rows = fetch_instances(
        f"FROM {quote(ServicePoint._meta.db_table)} p"
        f" JOIN {quote(Service._meta.db_table)} s ON s.id = p.service_id"
        f" JOIN {quote(Organization._meta.db_table)} o ON o.id = s.organization_id"
        f" JOIN {quote(Location._meta.db_table)} l ON l.id = p.location_id"
        f" WHERE p.id IN ({', '.join(['%s'] * len(nearest))})",
        [item.point_id for item in nearest],
        (Service, "s"),
        (Organization, "o"),
        (Location, "l"),
    )
    found = {}
    for service, provider, location in rows:
        service.organization = provider
        found[service.pk, location.pk] = (service, location)
    hits = []
    for item in nearest:
        pair = found.get((as_uuid(item.service_id), as_uuid(item.location_id)))
        if pair is not None:
            hits.append(NearbyHit(pair[0], pair[1], item.distance_km))
    return hits
