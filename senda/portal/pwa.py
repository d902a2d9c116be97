"""The installable web app: the manifest, the service worker and the offline page."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _

SERVICE_WORKER = Path(settings.BASE_DIR) / "static" / "js" / "sw.js"


def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from the site's root so that it may look after every public page."""
    response = HttpResponse(SERVICE_WORKER.read_bytes(), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/"
    # Browsers check for a new worker at most daily; keep intermediaries from holding it.
    response["Cache-Control"] = "no-cache"
    return response


def manifest(request: HttpRequest) -> HttpResponse:
    data = {
        "name": "Senda",
        "short_name": "Senda",
        "description": _("Reliable information on regular migration and services near you."),
        "lang": "es",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5c8c",
        "icons": [
            {"src": static("img/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type="application/manifest+json"
    )
    response["Cache-Control"] = "public, max-age=86400"
    return response


def offline(request: HttpRequest) -> HttpResponse:
    """What the service worker shows for a page that was never opened with a connection."""
    return render(request, "portal/offline.html")
