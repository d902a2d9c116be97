"""Distances and the grid that makes "near me" an index lookup instead of a scan.

The world is cut into cells of ``CELL_DEGREES`` (about 2 km, the scale of a town); a place's
cell number is stored and indexed, and a near-me query reads squares of cells around the point
until it has enough results whose distance is certain to be smaller than anything outside.
"""

from __future__ import annotations

import math
from collections.abc import Callable

CELL_DEGREES = 0.02
ROWS = round(180 / CELL_DEGREES)
COLUMNS = round(360 / CELL_DEGREES)
EARTH_RADIUS_KM = 6371.0088


def cell_row_column(latitude: float, longitude: float) -> tuple[int, int]:
    """The row (south to north) and column (west to east) of a point's cell."""
    row = min(ROWS - 1, max(0, math.floor((latitude + 90.0) / CELL_DEGREES)))
    column = math.floor((longitude + 180.0) / CELL_DEGREES) % COLUMNS
    return row, column


def grid_cell(latitude: float | None, longitude: float | None) -> int | None:
    """The cell number of a point, or None without coordinates."""
    if latitude is None or longitude is None:
        return None
    row, column = cell_row_column(latitude, longitude)
    return row * COLUMNS + column


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    return distance_from(lat1, lon1)(lat2, lon2)


def distance_from(latitude: float, longitude: float) -> Callable[[float, float], float]:
    """``haversine_km`` from a fixed point, with the point's share worked out once (near me
    measures thousands of places from one point)."""
    phi1 = math.radians(latitude)
    cos_phi1 = math.cos(phi1)
    sin, cos, asin, sqrt, radians = math.sin, math.cos, math.asin, math.sqrt, math.radians
    diameter = 2 * EARTH_RADIUS_KM

    def distance(other_latitude: float, other_longitude: float) -> float:
        phi2 = radians(other_latitude)
        a = (
            sin((phi2 - phi1) / 2) ** 2
            + cos_phi1 * cos(phi2) * sin(radians(other_longitude - longitude) / 2) ** 2
        )
        return diameter * asin(min(1.0, sqrt(a)))

    return distance


def round_coordinate(value: float, places: int = 2) -> float:
    """Coarsen a coordinate (2 places is about 1 km) before it is used at all."""
    return round(value, places)


def block_cell_ranges(row: int, column: int, inner: int, outer: int) -> list[tuple[int, int]]:
    """Inclusive ranges of cell numbers at Chebyshev distance ``inner < d <= outer`` from
    (row, column): the ring of cells a "near me" search reads next (``inner=-1``: the whole
    square). Columns wrap around the antimeridian; rows stop at the poles."""
    spans: list[tuple[int, int]] = []
    for cell_row in range(max(0, row - outer), min(ROWS - 1, row + outer) + 1):
        if abs(cell_row - row) > inner:
            column_spans = [(column - outer, column + outer)]
        else:
            column_spans = [
                (column - outer, column - inner - 1),
                (column + inner + 1, column + outer),
            ]
        for first, last in column_spans:
            if last < first:
                continue
            if last - first + 1 >= COLUMNS:
                first, last = 0, COLUMNS - 1
            first_wrapped, last_wrapped = first % COLUMNS, last % COLUMNS
            base = cell_row * COLUMNS
            if first_wrapped <= last_wrapped:
                spans.append((base + first_wrapped, base + last_wrapped))
            else:  # crosses the antimeridian
                spans.append((base + first_wrapped, base + COLUMNS - 1))
                spans.append((base, base + last_wrapped))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for first, last in spans:
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def block_covers_world(row: int, outer: int) -> bool:
    """Whether the square of ``outer`` rings around a cell in ``row`` holds every cell."""
    return row - outer <= 0 and row + outer >= ROWS - 1 and 2 * outer + 1 >= COLUMNS


def distance_beyond_block_km(latitude: float, longitude: float, outer: int) -> float:
    """A lower bound of the distance from the point to any place outside the square of
    ``outer`` rings of cells around the point's cell.

    Outside the square a place differs from the point by at least the gap to the square's
    edge in latitude (at least that many degrees of a meridian) or in longitude. A place
    whose longitude differs by ``delta`` lies across a meridian whose great circle is
    ``asin(cos(latitude) * sin(delta))`` away from the point: degrees of longitude shrink with
    cos(latitude), and this bound holds at any distance, not only for small ones.
    """
    row = cell_row_column(latitude, longitude)[0]
    south_edge = (row - outer) * CELL_DEGREES - 90.0
    north_edge = (row + outer + 1) * CELL_DEGREES - 90.0
    gaps = []
    if row - outer > 0:
        gaps.append(math.radians(latitude - south_edge))
    if row + outer < ROWS - 1:
        gaps.append(math.radians(north_edge - latitude))
    if 2 * outer + 1 < COLUMNS:
        column_unwrapped = math.floor((longitude + 180.0) / CELL_DEGREES)
        west_gap = (longitude + 180.0) - (column_unwrapped - outer) * CELL_DEGREES
        east_gap = (column_unwrapped + outer + 1) * CELL_DEGREES - (longitude + 180.0)
        delta = math.radians(min(west_gap, east_gap))
        if delta < math.pi:
            cos_latitude = max(0.0, math.cos(math.radians(latitude)))
            gaps.append(math.asin(min(1.0, cos_latitude * abs(math.sin(delta)))))
    if not gaps:
        return math.inf
    # Shave a hair off for floating-point rounding at cell edges.
    return max(0.0, EARTH_RADIUS_KM * min(gaps) * (1 - 1e-9) - 1e-6)
