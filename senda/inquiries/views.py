"""The public request form, its thank-you page, and the staff inbox."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from senda.accounts.models import Organisation, User
from senda.campaigns.attribution import placement_code
from senda.casework.queries.people import inquiry_person
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.directory.models import Location, Service
from senda.inquiries import actions, limits, queries
from senda.inquiries.forms import AssignForm, CloseForm, InquiryForm, NoteForm, ReplyForm
from senda.inquiries.models import Inquiry, ReplyChannel
from senda.inquiries.routing import Route, route_inquiry

View = Callable[..., HttpResponse]
THANKS_SALT = "senda.inquiries.thanks"


# ---------------------------------------------------------------------------------------------
# Public


def _thanks_url(route: Route | None) -> str:
    payload: dict[str, Any] = {}
    if route is not None:
        payload = {
            "o": str(route.organisation.pk),
            "s": str(route.service.pk) if route.service else "",
            "l": str(route.location.pk) if route.location else "",
            "n": route.routed_by == "network",
        }
    token = signing.dumps(payload, salt=THANKS_SALT, compress=True)
    return f"{reverse('inquiries:thanks')}?r={token}"


def _render_form(request: HttpRequest, form: InquiryForm, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "inquiries/new.html",
        {"form": form, "started": limits.form_token(), "hours": actions.escalation_hours()},
        status=status,
    )


@sensitive_post_parameters("question", "contact", "name")
@require_http_methods(["GET", "POST"])
def inquiry_new(request: HttpRequest) -> HttpResponse:
    """Ask for personalised information; works without JavaScript."""
    if request.method != "POST":
        initial = {
            "country": request.GET.get("country", "")[:2].upper(),
            "area": request.GET.get("area", "")[:20].upper(),
            "topic": request.GET.get("topic", "")[:80],
            "via": placement_code(request),
        }
        return _render_form(request, InquiryForm(initial=initial))

    form = InquiryForm(request.POST)
    # Every post counts against its source, valid or not: a flood is refused early.
    if not limits.source_allowed(limits.source_key(request)):
        form.is_valid()
        form.add_error(
            None,
            _(
                "We have received several requests from your connection. Please wait"
                " ten minutes and send it again: what you wrote is still here."
            ),
        )
        return _render_form(request, form, status=429)
    if form.honeypot_filled():
        # A bot: the usual thank-you page, nothing saved.
        route = None
        if form.is_valid() and form.cleaned_data["country_obj"] is not None:
            route = route_inquiry(
                country=form.cleaned_data["country_obj"], area=form.cleaned_data["area_obj"]
            )
        return redirect(_thanks_url(route))
    age = limits.form_age_seconds(str(request.POST.get("started", "")))
    if not form.is_valid():
        return _render_form(request, form, status=400)
    if age is None:
        form.add_error(None, _("This form had expired. Please check your request and send it."))
        return _render_form(request, form, status=400)
    if age < limits.minimum_fill_seconds():
        form.add_error(None, _("That was very fast. Please check your request and send it again."))
        return _render_form(request, form, status=400)
    data = form.cleaned_data
    via = placement_code(request)
    try:
        inquiry = actions.inquiry_submit(
            question=data["question"],
            reply_channel=data["reply_channel"],
            contact=data["contact"],
            name=data["name"],
            country=data["country_obj"],
            area=data["area_obj"],
            consent=data["consent"],
            language=translation.get_language() or "es",
            topic=data["topic"],
            via=via,
            held_in_queue=limits.over_global_ceiling(),
        )
    except ValidationError as exc:
        for field, messages in exc.errors.items():
            for message in messages:
                form.add_error(None if field not in form.fields else field, message)
        return _render_form(request, form, status=400)
    route = Route(inquiry.organisation, inquiry.routed_by, inquiry.service, inquiry.location)  # type: ignore[arg-type]
    return redirect(_thanks_url(route))


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def inquiry_thanks(request: HttpRequest) -> HttpResponse:
    """Who will answer and when; the request itself is never shown back."""
    try:
        payload = signing.loads(request.GET.get("r", ""), salt=THANKS_SALT)
    except signing.BadSignature as exc:
        raise Http404 from exc
    organisation_id, service_id, location_id = (_uuid(payload.get(key)) for key in "osl")
    organisation = (
        Organisation.objects.filter(pk=organisation_id).first() if organisation_id else None
    )
    service = Service.objects.filter(pk=service_id).first() if service_id else None
    location = Location.objects.filter(pk=location_id).first() if location_id else None
    return render(
        request,
        "inquiries/thanks.html",
        {
            "organisation": organisation,
            "service": service,
            "location": location,
            "network": bool(payload.get("n")),
            "hours": actions.escalation_hours(),
        },
    )


# ---------------------------------------------------------------------------------------------
# Staff


def staff_page(view: View) -> View:
    """Log-in required; a domain "not found" is a 404, a refusal a 403 page that says why."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFoundError as exc:
            raise Http404 from exc
        except PermissionDeniedError as exc:
            return render(request, "inquiries/forbidden.html", {"message": str(exc)}, status=403)

    return wrapper


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


FILTER_LABELS = {
    "open": gettext_lazy("Open"),
    "new": gettext_lazy("New"),
    "mine": gettext_lazy("Mine"),
    "overdue": gettext_lazy("Overdue"),
    "escalated": gettext_lazy("Escalated"),
    "answered": gettext_lazy("Answered"),
    "closed": gettext_lazy("Closed"),
}


@staff_page
def inbox(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not queries.may_use_inbox(user=user):
        raise PermissionDeniedError(_("Your role does not include answering requests."))
    show = request.GET.get("show", "open")
    if show not in queries.INBOX_FILTERS:
        show = "open"
    now = timezone.now()
    overdue_before = actions.overdue_before(now)
    inquiries = list(
        queries.inquiry_inbox(user=user, show=show, now=now, overdue_before=overdue_before)[:200]
    )
    return render(
        request,
        "inquiries/inbox.html",
        {
            "inquiries": inquiries,
            "show": show,
            "filters": list(FILTER_LABELS.items()),
            "overdue_before": overdue_before,
        },
    )


def _contact_link(inquiry: Inquiry) -> str:
    contact = inquiry.contact
    digits = "".join(ch for ch in contact if ch.isdigit())
    if inquiry.reply_channel == ReplyChannel.WHATSAPP and digits:
        return f"https://wa.me/{digits}"
    if inquiry.reply_channel == ReplyChannel.PHONE and digits:
        return f"tel:+{digits}" if contact.strip().startswith("+") else f"tel:{digits}"
    if inquiry.reply_channel == ReplyChannel.EMAIL and contact:
        return f"mailto:{contact}"
    return ""


def _detail(
    request: HttpRequest, inquiry: Inquiry, *, status: int = 200, **forms: Any
) -> HttpResponse:
    user = _user(request)
    members = queries.assignable_members(inquiry=inquiry)
    registered_person, may_register_person = inquiry_person(user=user, inquiry=inquiry)
    context = {
        "registered_person": registered_person,
        "may_register_person": may_register_person,
        "inquiry": inquiry,
        "events": queries.inquiry_events(inquiry=inquiry),
        "may_act": queries.may_act_on(user=user, inquiry=inquiry),
        "contact_link": _contact_link(inquiry),
        "overdue": inquiry.is_open and inquiry.created_at < actions.overdue_before(timezone.now()),
        "assign_form": forms.get("assign_form")
        or AssignForm(
            members=members,
            initial={"assignee": str(inquiry.assigned_to_id or user.pk)},
        ),
        "reply_form": forms.get("reply_form")
        or ReplyForm(initial={"channel": inquiry.reply_channel}),
        "note_form": forms.get("note_form") or NoteForm(),
        "close_form": forms.get("close_form") or CloseForm(),
        "error_messages": forms.get("error_messages", []),
    }
    return render(request, "inquiries/detail.html", context, status=status)


@staff_page
def detail(request: HttpRequest, inquiry_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    inquiry = queries.inquiry_get(user=user, inquiry_id=inquiry_id)
    actions.inquiry_record_view(user=user, inquiry=inquiry)
    return _detail(request, inquiry)


def _step(form_class: type, form_key: str, run: Callable[..., Any]) -> View:
    """A POST-only view that validates one form and calls one action."""

    @staff_page
    @require_POST
    def view(request: HttpRequest, inquiry_id: uuid.UUID) -> HttpResponse:
        user = _user(request)
        inquiry = queries.inquiry_get(user=user, inquiry_id=inquiry_id)
        if not queries.may_act_on(user=user, inquiry=inquiry):
            raise PermissionDeniedError(_("Your role does not include answering this request."))
        if form_class is AssignForm:
            form = AssignForm(request.POST, members=queries.assignable_members(inquiry=inquiry))
        else:
            form = form_class(request.POST)
        if form.is_valid():
            try:
                run(user=user, inquiry=inquiry, form=form)
            except ValidationError as exc:
                return _detail(
                    request, inquiry, status=400, **{form_key: form}, error_messages=exc.messages
                )
            return redirect("inquiries_staff:detail", inquiry_id=inquiry.pk)
        return _detail(request, inquiry, status=400, **{form_key: form})

    return view


assign = _step(
    AssignForm,
    "assign_form",
    lambda *, user, inquiry, form: actions.inquiry_assign(
        user=user, inquiry=inquiry, assignee=form.members[form.cleaned_data["assignee"]]
    ),
)
reply = _step(
    ReplyForm,
    "reply_form",
    lambda *, user, inquiry, form: actions.inquiry_reply(
        user=user,
        inquiry=inquiry,
        text=form.cleaned_data["text"],
        channel=form.cleaned_data["channel"],
    ),
)
note = _step(
    NoteForm,
    "note_form",
    lambda *, user, inquiry, form: actions.inquiry_add_note(
        user=user, inquiry=inquiry, text=form.cleaned_data["text"]
    ),
)
close = _step(
    CloseForm,
    "close_form",
    lambda *, user, inquiry, form: actions.inquiry_close(
        user=user,
        inquiry=inquiry,
        outcome=form.cleaned_data["outcome"],
        note=form.cleaned_data["note"],
    ),
)
