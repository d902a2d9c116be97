"""Staff pages of referrals: sending one from a person, the lists of what was sent, the
receiving centre's inbox and the quick steps on a phone. Thin: one query or action each."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from senda.casework.actions import referrals as actions
from senda.casework.models import ReferralReason, ReferralStatus, Urgency
from senda.casework.queries import referrals as queries
from senda.casework.views import cards
from senda.casework.views.common import (
    staff_page,
)
from senda.core.errors import NotFoundError, ValidationError


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 100_000))
    except ValueError:
        return 1


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@staff_page
def referral_list(request: HttpRequest) -> HttpResponse:
    """Referrals sent: "mine" or of every person the user sees, by status, overdue."""
    scope = request.GET.get("scope", "organisation")
    scope = scope if scope in queries.SENT_SCOPES else "organisation"
    status = request.GET.get("status", "")
    overdue = request.GET.get("overdue") == "1"
    page = queries.referrals_sent(
        user=request.user,  # type: ignore[arg-type]
        scope=scope,
        status=status,
        overdue=overdue,
        page=_page_number(request),
    )
    return render(
        request,
        "casework/referrals/list.html",
        {
            "page": page,
            "scope": scope,
            "status": status,
            "overdue": overdue,
            "statuses": [("open", _("Open")), *ReferralStatus.choices],
        },
    )


@staff_page
def referral_inbox(request: HttpRequest) -> HttpResponse:
    """The receiving centre's inbox, with a count per filter."""
    user: Any = request.user
    view = request.GET.get("show", "open")
    view = view if view in queries.INBOX_VIEWS else "open"
    location_id = _uuid_or_none(request.GET.get("centre", ""))
    now = timezone.now()
    # Counted first: an open filter's total is one of the counts (not counted twice).
    counts = queries.referral_inbox_counts(user=user, location_id=location_id, now=now)
    page = queries.referral_inbox(
        user=user,
        view=view,
        location_id=location_id,
        page=_page_number(request),
        now=now,
        counts=counts,
    )
    labels = queries.inbox_view_labels()
    centres = queries.referral_inbox_locations(user=user)
    return render(
        request,
        "casework/referrals/inbox.html",
        {
            "page": page,
            "cards": cards.inbox_cards(
                page.items,
                # One reversal a page, not one a card: a referral's page is this and its id.
                inbox_url=reverse("casework:referral_inbox"),
                csrf_token=lambda: get_token(request),
            ),
            "show": view,
            "filters": cards.inbox_filters(
                [(key, labels[key], counts.get(key)) for key in queries.INBOX_VIEWS],
                show=view,
                centre=location_id,
            ),
            "centres": centres,
            "centre_options": cards.centre_options(centres, selected=location_id),
            "centre": location_id,
        },
    )


@staff_page
def referral_received(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    """One referral as the receiving centre sees it, with its next steps."""
    referral = queries.referral_get_received(user=request.user, referral_id=referral_id)  # type: ignore[arg-type]
    return render(request, "casework/referrals/received.html", {"referral": referral, "errors": {}})


_STEPS = {
    "receive": lambda user, referral_id, data: actions.referral_mark_received(
        actor=user, referral_id=referral_id
    ),
    "accept": lambda user, referral_id, data: actions.referral_accept(
        actor=user, referral_id=referral_id, note=data.get("note", "")
    ),
    "decline": lambda user, referral_id, data: actions.referral_decline(
        actor=user, referral_id=referral_id, reason=data.get("reason", "")
    ),
    "attend": lambda user, referral_id, data: actions.referral_mark_attended(
        actor=user, referral_id=referral_id, note=data.get("note", "")
    ),
    "close": lambda user, referral_id, data: actions.referral_close(
        actor=user,
        referral_id=referral_id,
        outcome=data.get("outcome", ""),
        outcome_note=data.get("outcome_note", ""),
    ),
}


@staff_page
@require_POST
def referral_step(request: HttpRequest, referral_id: uuid.UUID, step: str) -> HttpResponse:
    """A step of the receiving side (received, accepted, declined, attended, closed)."""
    run = _STEPS.get(step)
    if run is None:
        raise NotFoundError(step)
    user: Any = request.user
    try:
        referral = run(user, referral_id, request.POST)
    except ValidationError as exc:
        shown = queries.referral_get_received(user=user, referral_id=referral_id)
        return render(
            request,
            "casework/referrals/received.html",
            {
                "referral": shown,
                "errors": exc.errors,
                "general_errors": exc.errors.get("__all__", []),
                "failed_step": step,
                "data": request.POST,
            },
            status=400,
        )
    messages.success(
        request,
        _("Referral %(code)s: %(status)s.")
        % {"code": referral.person.code, "status": ReferralStatus(referral.status).label},
    )
    back = request.POST.get("back", "")
    if back == "inbox":
        return redirect(reverse("casework:referral_inbox"))
    return redirect(reverse("casework:referral_received", args=[referral.pk]))


@staff_page
def referral_detail(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    """One referral as the referring side sees it: status, history and feedback."""
    referral = queries.referral_get_sent(user=request.user, referral_id=referral_id)  # type: ignore[arg-type]
    return render(request, "casework/referrals/detail.html", {"referral": referral, "errors": {}})


@staff_page
@require_POST
def referral_cancel(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    user: Any = request.user
    try:
        actions.referral_cancel(
            actor=user, referral_id=referral_id, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        referral = queries.referral_get_sent(user=user, referral_id=referral_id)
        return render(
            request,
            "casework/referrals/detail.html",
            {
                "referral": referral,
                "errors": exc.errors,
                "general_errors": exc.errors.get("__all__", []),
                "data": request.POST,
            },
            status=400,
        )
    messages.success(request, _("The referral is cancelled."))
    return redirect(reverse("casework:referral_detail", args=[referral_id]))


@staff_page
@require_http_methods(["GET", "POST"])
def referral_create(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """Refer a person: find a service for the reason near them, then send."""
    user: Any = request.user
    person = queries.referral_person_get(user=user, person_id=person_id)
    data = request.POST if request.method == "POST" else request.GET
    reason = data.get("reason", "")
    query = data.get("q", "")[:200]
    anywhere = data.get("anywhere") == "1"
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        place = None
        option = _uuid_or_none(data.get("option", ""))
        if option is not None:
            try:
                place = queries.service_at_location_get(option_id=option)
            except NotFoundError:
                place = None
        try:
            referral = actions.referral_create(
                actor=user,
                person=person,
                reason=reason,
                service_at_location=place,
                urgency=data.get("urgency", ""),
                note=data.get("note", ""),
            )
        except ValidationError as exc:
            errors = exc.errors
        else:
            messages.success(request, _("The referral is sent."))
            return redirect(reverse("casework:referral_detail", args=[referral.pk]))
    options = (
        queries.referral_service_options(
            user=user, person=person, reason=reason, query=query, anywhere=anywhere
        )
        if reason in ReferralReason.values
        else []
    )
    return render(
        request,
        "casework/referrals/create.html",
        {
            "person": person,
            "reasons": ReferralReason.choices,
            "urgencies": Urgency.choices,
            "reason": reason,
            "q": query,
            "anywhere": anywhere,
            "near": queries.near_area_pcode(person),
            "options": options,
            "searched": reason in ReferralReason.values,
            "data": data,
            "errors": errors,
            "general_errors": errors.get("__all__", []),
        },
        status=400 if errors else 200,
    )
