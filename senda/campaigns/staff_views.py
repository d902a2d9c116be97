"""Staff pages for campaigns: list, create and edit, publish, placements with their QR codes,
and the reach table (aggregate counts only)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from functools import wraps
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability
from senda.campaigns import actions, queries
from senda.campaigns.forms import CampaignForm, PlacementForm
from senda.campaigns.models import Campaign, CampaignStatus, Placement
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.directory.queries import is_network_editor

View = Callable[..., HttpResponse]


def staff_page(view: View) -> View:
    """Log-in and the campaign capability required; "not found" is a 404, a refusal a 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if not queries.may_manage_campaigns(_user(request)):
                raise PermissionDeniedError(_("Your role does not include managing campaigns."))
            return view(request, *args, **kwargs)
        except NotFoundError as exc:
            raise Http404 from exc
        except PermissionDeniedError as exc:
            return render(
                request, "campaigns/staff/forbidden.html", {"message": str(exc)}, status=403
            )

    return wrapper


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _owners(user: User) -> list[Organisation]:
    if is_network_editor(user):
        return list(Organisation.objects.filter(is_active=True))
    return user.organisations_with(Capability.CAMPAIGN_MANAGE)


def _detail_url(campaign: Campaign) -> str:
    return reverse("campaigns_staff:detail", args=[campaign.pk])


def short_link_url(request: HttpRequest, placement: Placement) -> str:
    """The absolute short link printed under a placement's QR code, on this site's host."""
    return request.build_absolute_uri(reverse("campaigns_short:go", args=[placement.code]))


@staff_page
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = list(queries.campaigns_visible_to(user=_user(request)).defer("logo"))
    return render(request, "campaigns/staff/list.html", {"campaigns": campaigns})


@staff_page
def campaign_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    owners = _owners(user)
    form = CampaignForm(request.POST or None, request.FILES or None, owners=owners)
    if request.method == "POST" and form.is_valid():
        try:
            # One step for the person: the campaign and its logo are saved together or not at all.
            with transaction.atomic():
                campaign = actions.campaign_create(
                    actor=user, owner=form.cleaned_data["owner"], fields=form.fields_input()
                )
                if form.cleaned_data["logo"]:
                    actions.campaign_set_logo(
                        actor=user, campaign=campaign, data=form.cleaned_data["logo"]
                    )
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Campaign created as a draft."))
            return HttpResponseRedirect(_detail_url(campaign))
    return render(request, "campaigns/staff/edit.html", {"form": form, "campaign": None})


@staff_page
def campaign_edit(request: HttpRequest, campaign_id: int) -> HttpResponse:
    user = _user(request)
    campaign = queries.campaign_get(user=user, campaign_id=campaign_id)
    form = CampaignForm(request.POST or None, request.FILES or None, owners=[], campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                actions.campaign_update(actor=user, campaign=campaign, fields=form.fields_input())
                if form.cleaned_data["logo"]:
                    actions.campaign_set_logo(
                        actor=user, campaign=campaign, data=form.cleaned_data["logo"]
                    )
                elif form.cleaned_data.get("remove_logo") and campaign.has_logo:
                    actions.campaign_set_logo(actor=user, campaign=campaign, data=None)
        except ValidationError as error:
            campaign.refresh_from_db()
            form.apply_errors(error)
        else:
            messages.success(request, _("Campaign saved."))
            return HttpResponseRedirect(_detail_url(campaign))
    return render(request, "campaigns/staff/edit.html", {"form": form, "campaign": campaign})


@staff_page
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    user = _user(request)
    campaign = queries.campaign_get(user=user, campaign_id=campaign_id)
    reach = queries.campaign_reach(user=user, campaign=campaign)
    return render(
        request,
        "campaigns/staff/detail.html",
        {
            "campaign": campaign,
            "reach": reach,
            "placement_form": PlacementForm(),
            "rows": [(row, short_link_url(request, row.placement)) for row in reach.rows],
        },
    )


@staff_page
@require_POST
def campaign_status(request: HttpRequest, campaign_id: int) -> HttpResponse:
    user = _user(request)
    campaign = queries.campaign_get(user=user, campaign_id=campaign_id)
    status = request.POST.get("status", "")
    try:
        actions.campaign_set_status(actor=user, campaign=campaign, status=status)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Campaign published.")
            if status == CampaignStatus.PUBLISHED
            else _("Campaign taken back to draft."),
        )
    return HttpResponseRedirect(_detail_url(campaign))


@staff_page
@require_POST
def placement_create(request: HttpRequest, campaign_id: int) -> HttpResponse:
    user = _user(request)
    campaign = queries.campaign_get(user=user, campaign_id=campaign_id)
    form = PlacementForm(request.POST)
    if form.is_valid():
        try:
            placement = actions.placement_create(
                actor=user,
                campaign=campaign,
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request, _("Placement added with the code %(code)s.") % {"code": placement.code}
            )
            return HttpResponseRedirect(_detail_url(campaign))
    else:
        for field_errors in form.errors.values():
            for field_message in field_errors:
                messages.error(request, str(field_message))
    return HttpResponseRedirect(_detail_url(campaign))


@staff_page
@require_POST
def placement_deactivate(request: HttpRequest, campaign_id: int, placement_id: int) -> HttpResponse:
    user = _user(request)
    campaign = queries.campaign_get(user=user, campaign_id=campaign_id)
    placement = queries.placement_get(user=user, campaign=campaign, placement_id=placement_id)
    actions.placement_deactivate(actor=user, placement=placement)
    messages.success(request, _("Placement deactivated: its link no longer counts visits."))
    return HttpResponseRedirect(_detail_url(campaign))


@staff_page
def placement_qr(
    request: HttpRequest, campaign_id: int, placement_id: int, image_format: str
) -> HttpResponse:
    """The placement's QR code (PNG or SVG) encoding its absolute short link."""
    user = _user(request)
    campaign = queries.campaign_get(user=user, campaign_id=campaign_id)
    placement = queries.placement_get(user=user, campaign=campaign, placement_id=placement_id)
    qr = segno.make(short_link_url(request, placement), error="m")
    buffer = io.BytesIO()
    if image_format == "png":
        qr.save(buffer, kind="png", scale=10, border=4)
        content_type = "image/png"
    else:
        qr.save(buffer, kind="svg", scale=10, border=4, xmldecl=True)
        content_type = "image/svg+xml"
    response = HttpResponse(buffer.getvalue(), content_type=content_type)
    filename = f"qr-{campaign.slug}-{placement.code}.{image_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_page
def reach_csv(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The reach table as CSV: one row per placement and a total row, counts only."""
    user = _user(request)
    campaign = queries.campaign_get(user=user, campaign_id=campaign_id)
    reach = queries.campaign_reach(user=user, campaign=campaign)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="reach-{campaign.slug}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        ["code", "kind", "description", "active", "visits", "checklist_completions", "inquiries"]
    )
    for row in reach.rows:
        placement = row.placement
        writer.writerow(
            [
                placement.code,
                placement.kind,
                placement.description,
                "yes" if placement.is_active else "no",
                row.visits,
                row.checklists,
                row.inquiries,
            ]
        )
    writer.writerow(
        ["total", "", "", "", reach.total_visits, reach.total_checklists, reach.total_inquiries]
    )
    return response
