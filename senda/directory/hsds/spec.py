"""The vendored HSDS 3.0 reference files (``spec/v3.0``, see ``spec/SOURCE.txt``)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

HSDS_VERSION = "3.0"
SPEC_DIR = Path(__file__).resolve().parent / "spec" / "v3.0"
SCHEMA_DIR = SPEC_DIR / "schema"
DATAPACKAGE_FILE = SPEC_DIR / "datapackage.json"
OPENAPI_FILE = SCHEMA_DIR / "openapi.local.json"


def load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def datapackage_descriptor() -> dict[str, Any]:
    """The official HSDS 3.0 tabular data package descriptor (a fresh copy to modify)."""
    descriptor: dict[str, Any] = load_json(DATAPACKAGE_FILE)
    return descriptor


def openapi_document() -> dict[str, Any]:
    """The HSDS 3.0 OpenAPI document with local references (a fresh copy to modify)."""
    document: dict[str, Any] = load_json(OPENAPI_FILE)
    return document


@functools.cache
def _resource_fields() -> dict[str, tuple[str, ...]]:
    return {
        resource["name"]: tuple(field["name"] for field in resource["schema"]["fields"])
        for resource in datapackage_descriptor()["resources"]
    }


def resource_fields(resource: str) -> tuple[str, ...]:
    """The one-to-one fields of an HSDS object ("service", "phone"...), in the official order."""
    return _resource_fields()[resource]


def resource_names() -> tuple[str, ...]:
    """The data package's resources in the official order ("organization", "program", ...)."""
    return tuple(_resource_fields())


@functools.cache
def required_fields(resource: str) -> frozenset[str]:
    """The fields the JSON schema of ``resource`` requires."""
    schema = load_json(SCHEMA_DIR / f"{resource}.json")
    return frozenset(schema.get("required", ()))
