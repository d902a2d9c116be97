"""Countries and admin areas shipped with Senda (senda/geo/data, see its SOURCE.md)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_reference(country_model: Any, area_model: Any) -> tuple[int, int]:
    """Create or update every country and area from the CSV files; returns the counts.

    Takes the model classes so that a data migration can pass its historical models.
    """
    countries = 0
    for row in _rows("countries.csv"):
        country_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "iso3": row["iso3"],
                "name": row["name_es"],
                "language": "es",
                "translations": {"en": {"name": row["name_en"]}},
                "timezone": row["timezone"],
                "latitude": float(row["latitude"]),
                "longitude": float(row["longitude"]),
                "calling_code": row["calling_code"],
            },
        )
        countries += 1
    areas = 0
    # Parents first: level 1 rows before level 2.
    for row in sorted(_rows("admin_areas.csv"), key=lambda r: int(r["level"])):
        area_model.objects.update_or_create(
            pcode=row["pcode"],
            defaults={
                "country_id": row["country"],
                "level": int(row["level"]),
                "parent_id": row["parent_pcode"] or None,
                "name": row["name"],
                "latitude": float(row["latitude"]),
                "longitude": float(row["longitude"]),
                "timezone": row["timezone"],
            },
        )
        areas += 1
    return countries, areas
