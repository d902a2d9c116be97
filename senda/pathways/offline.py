"""The offline checklist: one page per language that holds, as JSON, everything the six
screens and the result need, so that the service worker can answer any checklist address
without a connection (static/pathways/offline-checklist.js reads the answers in the address).

Published content only, nothing about a person: the page is public and cacheable like the
other guides pages; its body (hence its ETag) changes whenever a guide is republished.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation

from senda.pathways import checklist


def _urls() -> dict[str, object]:
    checklist_by_language = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            checklist_by_language[code] = reverse("pathways:checklist")
    return {
        "checklist": reverse("pathways:checklist"),
        "guides": reverse("pathways:index"),
        "opportunities": reverse("pathways:opportunities"),
        "inquiry": reverse("inquiries:new"),
        "checklist_by_language": checklist_by_language,
    }


def checklist_offline(request: HttpRequest) -> HttpResponse:
    """The offline checklist's page (fetched and kept by the service worker)."""
    data = {**checklist.offline_data(), "urls": _urls()}
    return render(request, "pathways/checklist_offline.html", {"data": data})
