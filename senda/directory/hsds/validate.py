"""Validate HSDS 3.0 objects and /hsds/ API responses against the official JSON schemas.

The schema files are vendored in ``spec/v3.0`` (see ``spec/SOURCE.txt``). They refer to each
other by relative file name ("phone.json", "compiled/service_list.json"); a ``referencing``
registry built from the local files resolves every reference, so validation never touches the
network. The base URI is the upstream one, so a reference written against the published files
resolves to the same local copy.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError as JsonSchemaError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from senda.directory.hsds.spec import SCHEMA_DIR, load_json, openapi_document

BASE_URI = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"

# The HSDS objects Senda writes, by schema file name (without ".json").
OBJECT_SCHEMAS = (
    "accessibility",
    "address",
    "attribute",
    "contact",
    "cost_option",
    "language",
    "location",
    "organization",
    "phone",
    "required_document",
    "schedule",
    "service",
    "service_area",
    "service_at_location",
    "taxonomy",
    "taxonomy_term",
)


@dataclass(frozen=True)
class SchemaViolation:
    """One way an object breaks its schema: where (a JSON pointer) and what."""

    schema: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.schema} {self.path or '/'}: {self.message}"


@functools.cache
def registry() -> Registry:
    """Every vendored schema file, addressed by its upstream URI."""
    resources = []
    for path in sorted(SCHEMA_DIR.rglob("*.json")):
        uri = BASE_URI + path.relative_to(SCHEMA_DIR).as_posix()
        resources.append(
            (uri, Resource.from_contents(load_json(path), default_specification=DRAFT202012))
        )
    return Registry().with_resources(resources)


def _validator(reference: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": reference}, registry=registry(), format_checker=FormatChecker()
    )


@functools.cache
def object_validator(schema: str) -> Draft202012Validator:
    """The validator of one HSDS object schema, e.g. ``object_validator("service")``."""
    if not (SCHEMA_DIR / f"{schema}.json").is_file():
        raise ValueError(f"No HSDS schema named {schema!r}")
    return _validator(BASE_URI + f"{schema}.json")


def _pointer_token(text: str) -> str:
    return text.replace("~", "~0").replace("/", "~1")


@functools.cache
def response_validator(path: str, status: str = "200") -> Draft202012Validator:
    """The validator of the JSON response the HSDS OpenAPI declares for ``GET path``.

    ``path`` is written as in the OpenAPI document: "/services", "/services/{id}", "/".
    """
    openapi = openapi_document()
    try:
        openapi["paths"][path]["get"]["responses"][status]["content"]["application/json"]
    except KeyError as exc:
        raise ValueError(f"The HSDS OpenAPI declares no JSON response for GET {path}") from exc
    pointer = "/".join(
        _pointer_token(token)
        for token in ("paths", path, "get", "responses", status, "content", "application/json")
    )
    return _validator(f"{BASE_URI}openapi.local.json#/{pointer}/schema")


def _violations(
    validator: Draft202012Validator, instance: Any, schema: str
) -> Iterator[SchemaViolation]:
    errors: list[JsonSchemaError] = sorted(
        validator.iter_errors(instance),
        key=lambda error: [str(token) for token in error.absolute_path],
    )
    for error in errors:
        path = "".join(f"/{_pointer_token(str(token))}" for token in error.absolute_path)
        yield SchemaViolation(schema=schema, path=path, message=error.message)


def object_errors(instance: Any, schema: str) -> list[SchemaViolation]:
    """Every violation of HSDS ``schema`` (e.g. "service") by ``instance``; empty when valid."""
    return list(_violations(object_validator(schema), instance, schema))


def response_errors(instance: Any, path: str, status: str = "200") -> list[SchemaViolation]:
    """Every violation of the OpenAPI response schema of ``GET path`` by ``instance``."""
    return list(_violations(response_validator(path, status), instance, f"GET {path}"))
