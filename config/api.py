"""Senda's JSON API: one Ninja instance, one router per app. OpenAPI at /api/openapi.json."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="Senda API",
    version="1",
    description=(
        "Senda's own JSON API. Browser clients use the session cookie (with the CSRF token); "
        "devices and scripts use `Authorization: Bearer <token>`. The read-only HSDS 3.0 API "
        "is separate, under /hsds/."
    ),
    urls_namespace="api",
)
