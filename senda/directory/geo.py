"""Distances and the grid that makes "near me" an index lookup instead of a scan.

The world is cut into cells of ``CELL_DEGREES``; a location's cell number is stored and
indexed, and a near-me query reads the rings of cells around the point until it has enough
results whose distance is certain to be smaller than anything in the next ring.
"""

from __future__ import annotations

import math

CELL_DEGREES = 0.1
_COLUMNS = int(360 / CELL_DEGREES)
EARTH_RADIUS_KM = 6371.0088


def grid_cell(latitude: float | None, longitude: float | None) -> int | None:
    """The cell number of a point, or None without coordinates."""
    if latitude is None or longitude is None:
        return None
    row = math.floor((latitude + 90.0) / CELL_DEGREES)
    column = math.floor((longitude + 180.0) / CELL_DEGREES) % _COLUMNS
    return row * _COLUMNS + column


def cell_row_column(latitude: float, longitude: float) -> tuple[int, int]:
    row = math.floor((latitude + 90.0) / CELL_DEGREES)
    column = math.floor((longitude + 180.0) / CELL_DEGREES) % _COLUMNS
    return row, column


def ring_cells(row: int, column: int, radius: int) -> list[int]:
    """Cell numbers at Chebyshev distance exactly ``radius`` from (row, column)."""
    if radius == 0:
        return [row * _COLUMNS + column]
    cells = []
    for d_row in range(-radius, radius + 1):
        for d_col in range(-radius, radius + 1):
            if max(abs(d_row), abs(d_col)) != radius:
                continue
            cell_row = row + d_row
            if cell_row < 0 or cell_row >= int(180 / CELL_DEGREES):
                continue
            cells.append(cell_row * _COLUMNS + (column + d_col) % _COLUMNS)
    return cells


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def round_coordinate(value: float, places: int = 2) -> float:
    """Coarsen a coordinate (2 places is about 1 km) before it is used at all."""
    return round(value, places)
