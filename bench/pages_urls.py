"""URLs for the pages bench only: Senda's own URLs plus the floor view."""

from __future__ import annotations

import os
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from config.urls import urlpatterns as senda_urlpatterns

FLOOR_DIR = Path(os.environ.get("SENDA_BENCH_FLOOR_DIR", "/nonexistent"))


def floor(request: HttpRequest, name: str) -> HttpResponse:
    """The floor: the same response bytes as a Senda page, from a minimal view."""
    body = (FLOOR_DIR / f"{name}.html").read_bytes()
    return HttpResponse(body, content_type="text/html; charset=utf-8")


urlpatterns: list[URLPattern | URLResolver] = [
    path("__floor/<slug:name>/", floor),
    *senda_urlpatterns,
]
