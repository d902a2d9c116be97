"""The floor: the bench's two queries written by hand in SQL, run on the raw DB-API connection.

Each does exactly what Senda's code does for the same question (same filters, same ranking,
same limit, same distance computation and ring termination, and the same final fetch of the
service and provider rows a page shows), minus Django's ORM.
"""

from __future__ import annotations

import heapq
import uuid
from typing import Any

from django.db import connection

from senda.core.text import tokens
from senda.directory import geo
from senda.directory.nearby import (
    FIRST_RADIUS_CELLS,
    MAX_RING_RADIUS_CELLS,
    NearestPoint,
    keep_nearest,
    next_ring_radius,
)
from senda.directory.search import prefix_successor

SEARCH_SQL = """
SELECT service_id,
       MAX(CASE WHEN token = %s THEN weight * 2 + 1 ELSE weight * 2 END) AS score,
       COUNT(*) OVER () AS total
FROM directory_servicesearchtoken
WHERE token >= %s AND token < %s AND country = %s AND categories LIKE %s
GROUP BY service_id
ORDER BY score DESC, service_id
LIMIT %s OFFSET %s
"""

SERVICES_SQL = """
SELECT s.*, o.*
FROM directory_service s JOIN directory_organization o ON o.id = s.organization_id
WHERE s.id IN ({ids})
"""

POINTS_SQL = """
SELECT id, service_id, location_id, latitude, longitude
FROM directory_servicepoint
WHERE {cells}
"""

NEAREST_SQL = """
SELECT p.*, s.*, o.*, l.*
FROM directory_servicepoint p
JOIN directory_service s ON s.id = p.service_id
JOIN directory_organization o ON o.id = s.organization_id
JOIN directory_location l ON l.id = p.location_id
WHERE p.id IN ({ids})
"""


def _run(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    if connection.vendor == "sqlite":
        return list(raw.execute(sql.replace("%s", "?"), params).fetchall())
    with raw.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


def search(
    query: str, *, category_code: str, country_code: str, page: int = 1, per_page: int = 20
) -> tuple[list[tuple[uuid.UUID, int]], int]:
    """(service id, score) of one page, and the total: one word, a category and a country."""
    words = tokens(query)
    assert len(words) == 1 and len(words[0]) >= 2, "the floor covers the bench's query shape"
    term = words[0]
    upper = prefix_successor(term)
    assert upper is not None
    rows = _run(
        SEARCH_SQL,
        [term, term, upper, country_code, f"%|{category_code}|%", per_page, (page - 1) * per_page],
    )
    if rows:
        _run(SERVICES_SQL.format(ids=_placeholders(len(rows))), [row[0] for row in rows])
    total = int(rows[0][2]) if rows else 0
    return [(_uuid(row[0]), int(row[1])) for row in rows], total


def near(latitude: float, longitude: float, *, limit: int = 20) -> list[tuple[uuid.UUID, float]]:
    """(service id, distance) of the ``limit`` nearest services, by the same rings and the
    same distance arithmetic (``geo.distance_from``, ``nearby.keep_nearest``)."""
    row, column = geo.cell_row_column(latitude, longitude)
    distance = geo.distance_from(latitude, longitude)
    best: dict[Any, NearestPoint] = {}
    inner, outer = -1, FIRST_RADIUS_CELLS
    while True:
        whole_world = outer > MAX_RING_RADIUS_CELLS or geo.block_covers_world(row, outer)
        if whole_world:
            batches: list[list[tuple[int, int]]] = [[]]
        else:
            ranges = geo.block_cell_ranges(row, column, inner, outer)
            batches = [ranges[start : start + 200] for start in range(0, len(ranges), 200)]
        for batch in batches:
            if batch:
                cells = " OR ".join(["grid_cell BETWEEN %s AND %s"] * len(batch))
                params: list[Any] = [bound for pair in batch for bound in pair]
            else:
                cells, params = "1 = 1", []
            keep_nearest(best, _run(POINTS_SQL.format(cells=cells), params), distance)
        nearest = heapq.nsmallest(limit, best.values())
        if whole_world:
            break
        beyond_km = geo.distance_beyond_block_km(latitude, longitude, outer)
        if len(nearest) == limit and nearest[-1].distance_km <= beyond_km:
            break
        inner, outer = outer, next_ring_radius(outer, found=len(nearest), limit=limit)
    if nearest:
        _run(NEAREST_SQL.format(ids=_placeholders(len(nearest))), [p.point_id for p in nearest])
    return [(_uuid(item.service_id), item.distance_km) for item in nearest]
