"""The public portal: home, search, "near me" and the service page. Anonymous and read-only.

No view writes anything or logs its query string: "near me" coordinates live only for the
duration of one response.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control

from senda.core.errors import NotFoundError
from senda.directory.nearby import services_near
from senda.directory.queries import service_get_public
from senda.directory.search import search_services
from senda.geo.queries import area_get
from senda.portal import presenters, queries
from senda.portal.forms import NearForm, SearchForm

NEARBY_LIMIT = 20


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 10_000))
    except ValueError:
        return 1


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/home.html",
        {"form": SearchForm(), "categories": queries.top_level_categories()},
    )


def search(request: HttpRequest) -> HttpResponse:
    # Always bound: the first visit is an empty search, which lists everything by name.
    form = SearchForm(request.GET)
    context: dict[str, object] = {"form": form, "results": None, "cards": []}
    if form.is_valid():
        results = search_services(
            form.cleaned_data["q"],
            form.service_filters(),
            page=_page_number(request.GET.get("page")),
            per_page=settings.SENDA_PAGE_SIZE,
        )
        services = queries.services_with_card_details([hit.service for hit in results.hits])
        context["results"] = results
        context["cards"] = presenters.search_cards(services, now=timezone.now())
    return render(request, "portal/search.html", context)


def near(request: HttpRequest) -> HttpResponse:
    form = NearForm(request.GET or None)
    context: dict[str, object] = {"form": form, "cards": None, "place": ""}
    if not form.is_bound or not form.is_valid():
        return render(request, "portal/near.html", context)
    if form.needs_rounding():
        # The browser should have rounded; keep precise coordinates out of history too.
        params = request.GET.copy()
        params["lat"] = f"{form.cleaned_data['lat']:.2f}"
        params["lon"] = f"{form.cleaned_data['lon']:.2f}"
        return HttpResponseRedirect(reverse("portal:near") + "?" + params.urlencode())
    point = form.coordinates()
    place = ""
    if point is None and form.cleaned_data["area"]:
        area = area_get(pcode=form.cleaned_data["area"])
        if area is not None:
            point = (area.latitude, area.longitude)
            place = area.name
    if point is None:
        # No place yet (or a country only: the area list now shows that country's areas).
        context["choose_area_in"] = form.chosen_country_name()
        context["needs_place"] = True
        return render(request, "portal/near.html", context)
    hits = services_near(point[0], point[1], form.service_filters(), limit=NEARBY_LIMIT)
    queries.services_with_card_details([hit.service for hit in hits], with_locations=False)
    areas = queries.admin_areas_by_pcode(hit.location.admin_area_id for hit in hits)
    context.update(
        cards=presenters.nearby_cards(hits, areas=areas, now=timezone.now()),
        place=place,
        # Only the rounded point goes back into the page, so the filters keep it.
        shared_point=None if place else (f"{point[0]:.2f}", f"{point[1]:.2f}"),
    )
    response = render(request, "portal/near.html", context)
    if not place:
        # The address holds the person's (rounded) position: no cache may keep it.
        patch_cache_control(response, no_store=True, private=True)
    return response


def service_detail(request: HttpRequest, service_id: uuid.UUID) -> HttpResponse:
    try:
        service = service_get_public(service_id=service_id)
    except NotFoundError as exc:
        raise Http404 from exc
    queries.service_with_page_details(service)
    page = presenters.service_page(
        service,
        now=timezone.now(),
        today=timezone.localdate(),
        stale_days=settings.SENDA_STALE_SERVICE_DAYS,
    )
    return render(request, "portal/service.html", {"page": page, "service": service})
