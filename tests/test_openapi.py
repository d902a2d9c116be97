"""Senda's OpenAPI document is valid and complete, and its docs page works with no CDN."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest
from django.test import Client
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def spec(db: None) -> dict[str, Any]:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    document: dict[str, Any] = response.json()
    return document


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def test_openapi_document_is_valid(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec, cls=OpenAPIV31SpecValidator)


def test_every_operation_is_named_summarised_tagged_and_documents_its_errors(
    spec: dict[str, Any],
) -> None:
    ids = []
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        assert operation.get("operationId"), where
        assert operation.get("summary"), where
        assert operation.get("tags"), where
        ids.append(operation["operationId"])
        errors = {code: body for code, body in operation["responses"].items() if code[0] == "4"}
        assert errors, f"{where} documents no 4xx answer"
        for code, body in errors.items():
            # Every error is ErrorOut, or extends it (a 409 that lists possible duplicates).
            reference = body["content"]["application/json"]["schema"]["$ref"]
            schema = spec["components"]["schemas"][reference.rsplit("/", 1)[-1]]
            assert {"detail", "errors"} <= set(schema["properties"]), (where, code)
        if operation.get("security"):
            assert "401" in errors, where
        if "requestBody" in operation:
            assert "422" in errors, where
    assert len(ids) == len(set(ids)), "operation ids are not unique"
    error = spec["components"]["schemas"]["ErrorOut"]
    assert set(error["properties"]) == {"detail", "errors"}


def test_directory_operations_are_all_there(spec: dict[str, Any]) -> None:
    directory = {
        operation["operationId"]
        for _, _, operation in operations(spec)
        if "directory" in operation["tags"]
    }
    assert directory >= {
        "service_list",
        "service_get",
        "service_create",
        "service_update",
        "service_submit",
        "service_publish",
        "service_return_to_draft",
        "service_archive",
        "service_verify",
        "location_list",
        "location_get",
        "location_create",
        "location_update",
        "organization_list",
        "organization_create",
        "taxonomy_term_list",
    }
    schemes = spec["components"]["securitySchemes"]
    assert schemes["BearerTokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionAuth"]["in"] == "cookie"


def test_docs_page_uses_only_local_files(db: None) -> None:
    response = Client().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "https://" not in html and "http://" not in html


def _keep_error(errors: list[str], message: Any) -> None:
    if message.type == "error":
        errors.append(message.text)


@pytest.mark.browser
def test_docs_render_in_chromium_without_leaving_the_site(live_server: Any, page: Any) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # A file the Content-Security-Policy blocks shows up as a console error.
    page.on("console", lambda message: _keep_error(errors, message))

    page.goto(live_server.url + "/api/docs")
    # Swagger UI draws one block per operation once it has loaded the OpenAPI document
    page.wait_for_selector(".opblock", timeout=20_000)
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/services" in text for text in summaries)
    assert any("/api/tokens" in text for text in summaries)
    assert page.locator(".opblock").count() >= 20
    assert not errors

    site = urlparse(live_server.url).netloc
    outside = [
        url for url in requested if not url.startswith("data:") and urlparse(url).netloc != site
    ]
    assert not outside, outside
    assert any(url.endswith("/api/openapi.json") for url in requested)
