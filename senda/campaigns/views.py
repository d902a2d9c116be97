"""Public campaign pages: the list, each campaign's landing page, its colours and its logo,
and the short links printed under QR codes.

Nothing here sets a cookie or stores anything about the visitor: a short link adds one to an
aggregate count for its placement and the placement's code travels on in the address.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from senda.campaigns import queries
from senda.campaigns.actions import placement_record_event
from senda.campaigns.attribution import normalise_code, placement_code
from senda.campaigns.models import Campaign, PlacementEvent
from senda.core.errors import NotFoundError

# Versioned by ?v=<last change>, so a long cache never shows stale colours.
ASSET_MAX_AGE = 30 * 24 * 3600


def _published_or_404(slug: str) -> Campaign:
    try:
        return queries.published_campaign_get(slug=slug)
    except NotFoundError as error:
        raise Http404 from error


def _with_query(url: str, **params: str) -> str:
    query = urlencode({key: value for key, value in params.items() if value})
    return f"{url}?{query}" if query else url


def entry_points(campaign: Campaign, via: str) -> dict[str, str]:
    """Where a landing page leads: the shared portal pieces, carrying ``via`` when present."""
    country = campaign.country_id
    return {
        "checklist": _with_query(reverse("pathways:checklist"), country=country, via=via),
        "guides": _with_query(reverse("pathways:country", args=[country]), via=via),
        "opportunities": _with_query(reverse("pathways:opportunities"), country=country, via=via),
        "near": reverse("portal:near"),
        "ask": _with_query(reverse("inquiries:new"), country=country, via=via),
    }


@require_safe
def campaign_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "campaigns/list.html", {"campaigns": list(queries.published_campaigns())}
    )


@require_safe
def landing(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _published_or_404(slug)
    via = placement_code(request)
    return render(
        request,
        "campaigns/landing.html",
        {"campaign": campaign, "via": via, "links": entry_points(campaign, via)},
    )


@require_safe
def theme_css(request: HttpRequest, slug: str) -> HttpResponse:
    """The campaign's colours as a stylesheet (the CSP forbids inline styles)."""
    campaign = _published_or_404(slug)
    # Both colours were checked as #rrggbb when saved: nothing else can reach this text.
    css = (
        f"body.campaign{{--brand:{campaign.primary_colour};"
        f"--campaign-accent:{campaign.accent_colour}}}\n"
    )
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    patch_cache_control(response, public=True, max_age=ASSET_MAX_AGE)
    return response


@require_safe
def logo(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _published_or_404(slug)
    if not campaign.has_logo:
        raise Http404
    response = HttpResponse(bytes(campaign.logo or b""), content_type=campaign.logo_content_type)
    patch_cache_control(response, public=True, max_age=ASSET_MAX_AGE)
    # An SVG opened on its own must not run anything it might carry.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def short_link(request: HttpRequest, code: str) -> HttpResponse:
    """/q/<code>: count a visit for the placement and go to its campaign's landing page."""
    placement = queries.active_placement_by_code(code=normalise_code(code))
    if placement is None:
        response = render(request, "campaigns/unknown_link.html", status=404)
    else:
        # A HEAD (a link checker, a preview) is not a person reading the poster.
        if request.method == "GET":
            placement_record_event(code=placement.code, event=PlacementEvent.VISIT)
        landing_url = reverse("campaigns:landing", args=[placement.campaign.slug])
        response = HttpResponseRedirect(_with_query(landing_url, via=placement.code))
    # A shared cache must not swallow visits, and the count must not depend on who asks.
    patch_cache_control(response, no_store=True)
    return response
