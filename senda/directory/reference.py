"""Senda's service taxonomy, shipped in senda/directory/data/taxonomy.csv."""

from __future__ import annotations

import csv
import uuid
from pathlib import Path
from typing import Any

TAXONOMY_FILE = Path(__file__).resolve().parent / "data" / "taxonomy.csv"
SENDA_TAXONOMY_ID = uuid.UUID("6a0f3c5e-5b7e-4f7e-9a52-7c1f3d9e2b10")
# Stable ids: the same term has the same HSDS id on every Senda installation.
_TERM_NAMESPACE = uuid.UUID("0b8f8a52-2d1c-4d36-8e0e-3f4a6c1d9b21")


def term_id(code: str) -> uuid.UUID:
    return uuid.uuid5(_TERM_NAMESPACE, code)


def load_taxonomy(taxonomy_model: Any, term_model: Any) -> int:
    """Create or update the Senda taxonomy and its terms; returns the number of terms."""
    taxonomy, _ = taxonomy_model.objects.update_or_create(
        id=SENDA_TAXONOMY_ID,
        defaults={
            "name": "Senda",
            "description": "Senda's categories of services for migrants and host communities.",
            "version": "1",
        },
    )
    with TAXONOMY_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows.sort(key=lambda row: bool(row["parent_code"]))  # parents first
    for row in rows:
        term_model.objects.update_or_create(
            id=term_id(row["code"]),
            defaults={
                "code": row["code"],
                "name": row["name_es"],
                "description": row["description_es"],
                "language": "es",
                "translations": {
                    "en": {"name": row["name_en"], "description": row["description_en"]}
                },
                "parent_id": term_id(row["parent_code"]) if row["parent_code"] else None,
                "taxonomy": taxonomy,
            },
        )
    return len(rows)
