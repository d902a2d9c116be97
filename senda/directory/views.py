"""Staff pages for partner maintenance of the directory: parse, call one query or action, render.

Permission lives in the queries and actions: another organisation's object is "not found"
(404), a step the user's role may not take is refused (403).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from senda.accounts.models import User
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.core.views import staff_page_with
from senda.directory import actions, queries
from senda.directory.forms import (
    WEEKDAY_NAMES,
    LocationEditor,
    OrganizationForm,
    ReturnToDraftForm,
    ServiceEditor,
    ServiceLocationEditor,
    StatusFilterForm,
    VerifyForm,
    WeeklyHoursForm,
    apply_errors,
    apply_hours_errors,
    language_label,
)
from senda.directory.models import PublicationStatus, Schedule, Service

View = Callable[..., HttpResponse]

HISTORY_LABELS = {
    "directory.service_create": gettext_lazy("Created"),
    "directory.service_update": gettext_lazy("Edited"),
    "directory.service_set_details": gettext_lazy("Details changed"),
    "directory.service_set_hours": gettext_lazy("Opening hours changed"),
    "directory.service_add_location": gettext_lazy("Offered at a location"),
    "directory.service_remove_location": gettext_lazy("No longer offered at a location"),
    "directory.service_pending_review": gettext_lazy("Submitted for review"),
    "directory.service_published": gettext_lazy("Published"),
    "directory.service_archived": gettext_lazy("Archived"),
    "directory.service_draft": gettext_lazy("Returned to draft"),
    "directory.service_mark_verified": gettext_lazy("Verified"),
}


staff_page = staff_page_with("directory/forbidden.html")


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _require_editor(user: User) -> None:
    if not queries.user_may_edit_any(user=user):
        raise PermissionDeniedError(_("Your role does not include editing the directory."))


def _hours_lines(schedules: list[Schedule]) -> list[tuple[str, str]]:
    """Weekday name and its opening intervals, for the staff pages."""
    lines = []
    for weekday, intervals in queries.regular_hours(schedules).items():
        text = ", ".join(
            f"{opens:%H:%M}–{'24:00' if closes.hour == closes.minute == 0 else f'{closes:%H:%M}'}"
            for opens, closes in intervals
        )
        lines.append((str(WEEKDAY_NAMES[weekday]), text))
    return lines


# Lists.


@staff_page
def staff_home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    filters = StatusFilterForm(request.GET or None)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    return render(
        request,
        "directory/staff_home.html",
        {
            "services": queries.staff_services(user=user, status=status),
            "filters": filters,
            "may_edit": queries.user_may_edit_any(user=user),
            "may_review": queries.user_may_review_any(user=user),
            "may_import": queries.user_may_import(user=user),
            "stale_since": queries.stale_cutoff(),
        },
    )


@staff_page
def review_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not queries.user_may_review_any(user=user):
        raise PermissionDeniedError(_("Only a content editor reviews services."))
    return render(
        request,
        "directory/service_list.html",
        {
            "title": _("Waiting for review"),
            "intro": _("Services their authors submitted; publish them or return them."),
            "services": queries.staff_services_pending_review(user=user),
        },
    )


@staff_page
def stale_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_editor(user)
    return render(
        request,
        "directory/service_list.html",
        {
            "title": _("Not verified recently"),
            "intro": _("Published services whose information nobody has verified since %(date)s.")
            % {"date": f"{queries.stale_cutoff():%Y-%m-%d}"},
            "services": queries.staff_services_stale(user=user),
            "all_stale": True,
        },
    )


# Services.


@staff_page
def service_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_editor(user)
    providers = list(
        queries.organizations_of(
            user=user, owners=queries.organisations_user_can_edit_for(user=user)
        )
    )
    editor = ServiceEditor(
        request.POST or None,
        service=None,
        providers=providers,
        category_tree=queries.taxonomy_tree(),
    )
    if request.method == "POST" and editor.is_valid():
        provider = editor.form.provider()
        try:
            service = actions.service_create(
                actor=user, owner=provider.owner, organization=provider, **editor.action_kwargs()
            )
        except ValidationError as exc:
            editor.apply_errors(exc)
        else:
            messages.success(request, _("The service was saved as a draft."))
            return redirect("directory:service_detail", service_id=service.pk)
    return render(
        request,
        "directory/service_form.html",
        {"editor": editor, "form": editor.form, "providers": providers},
    )


@staff_page
def service_detail(request: HttpRequest, service_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    service = queries.service_get_for_staff(user=user, service_id=service_id)
    places = [
        {
            "sal": sal,
            "location": sal.location,
            "address": next(iter(sal.location.addresses.all()), None),
            "hours": _hours_lines(list(sal.schedules.all())),
            "other_schedules": queries.other_schedules(sal.schedules.all()),
        }
        for sal in service.service_at_locations.all()
    ]
    own_schedules: list[Schedule] = service.own_schedules  # type: ignore[attr-defined]
    return render(
        request,
        "directory/service_detail.html",
        {
            "service": service,
            "places": places,
            "own_hours": _hours_lines(own_schedules),
            "other_schedules": queries.other_schedules(own_schedules),
            "is_stale": queries.service_is_stale(service),
            "may_publish": queries.user_may_publish(user=user, service=service),
            "history": [
                {
                    "at": entry.at,
                    "actor": entry.actor,
                    "action": entry.action,
                    "label": HISTORY_LABELS.get(entry.action, entry.action),
                    "note": entry.details.get("note", ""),
                }
                for entry in queries.service_history(service=service)
            ],
            "verify_form": VerifyForm(),
            "return_form": ReturnToDraftForm(),
            "languages": [
                (language.code, language_label(language.code))
                for language in service.languages.all()
            ],
            "Status": PublicationStatus,
        },
    )


@staff_page
def service_edit(request: HttpRequest, service_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    service = queries.service_get_for_staff(user=user, service_id=service_id)
    providers = list(queries.organizations_of(user=user, owners=[service.owner]))
    editor = ServiceEditor(
        request.POST or None,
        service=service,
        providers=providers,
        category_tree=queries.taxonomy_tree(),
    )
    if request.method == "POST" and editor.is_valid():
        try:
            actions.service_update(
                actor=user,
                service=service,
                organization=editor.form.provider(),
                **editor.action_kwargs(),
            )
        except ValidationError as exc:
            editor.apply_errors(exc)
        else:
            messages.success(request, _("The service was saved."))
            return redirect("directory:service_detail", service_id=service.pk)
    return render(
        request,
        "directory/service_form.html",
        {"editor": editor, "form": editor.form, "service": service, "providers": providers},
    )


@staff_page
def service_hours(
    request: HttpRequest, service_id: uuid.UUID, location_id: uuid.UUID | None = None
) -> HttpResponse:
    """The weekly hours of a service at one of its locations, or of the service itself."""
    user = _user(request)
    service = queries.service_get_for_edit(user=user, service_id=service_id)
    sal = None
    if location_id is not None:
        sal = queries.service_location_get(service=service, location_id=location_id)
        schedules = list(sal.schedules.all())
    else:
        schedules = list(
            service.schedules.filter(service_at_location__isnull=True, location__isnull=True)
        )
    form = WeeklyHoursForm(request.POST or None, schedules=schedules)
    if request.method == "POST" and form.is_valid():
        try:
            actions.service_set_hours(
                actor=user,
                service=service,
                location=sal.location if sal else None,
                hours=form.hours(),
            )
        except ValidationError as exc:
            apply_hours_errors(form, exc)
        else:
            messages.success(request, _("The opening hours were saved."))
            return redirect("directory:service_detail", service_id=service.pk)
    return render(
        request,
        "directory/service_hours.html",
        {
            "service": service,
            "sal": sal,
            "form": form,
            "other_schedules": queries.other_schedules(schedules),
        },
    )


@staff_page
def service_location_add(request: HttpRequest, service_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    service = queries.service_get_for_edit(user=user, service_id=service_id)
    editor = ServiceLocationEditor(
        request.POST or None,
        locations=list(queries.locations_for_service(user=user, service=service)),
        providers=[],
        countries_and_areas=queries.countries_and_areas(),
    )
    if request.method == "POST" and editor.is_valid():
        try:
            actions.service_add_location(actor=user, service=service, **editor.action_kwargs())
        except ValidationError as exc:
            editor.apply_errors(exc)
        else:
            messages.success(request, _("The service is now offered at this location."))
            return redirect("directory:service_detail", service_id=service.pk)
    return render(
        request, "directory/service_location_form.html", {"service": service, "editor": editor}
    )


@staff_page
@require_POST
def service_location_remove(
    request: HttpRequest, service_id: uuid.UUID, location_id: uuid.UUID
) -> HttpResponse:
    user = _user(request)
    service = queries.service_get_for_edit(user=user, service_id=service_id)
    sal = queries.service_location_get(service=service, location_id=location_id)
    actions.service_remove_location(actor=user, service=service, location=sal.location)
    messages.success(
        request, _("The service is no longer offered at %(place)s.") % {"place": sal.location}
    )
    return redirect("directory:service_detail", service_id=service.pk)


def _transition_view(step: Callable[..., Service], done: Any, *, with_note: bool = False) -> View:
    @staff_page
    @require_POST
    def view(request: HttpRequest, service_id: uuid.UUID) -> HttpResponse:
        user = _user(request)
        service = queries.service_get_for_edit(user=user, service_id=service_id)
        extra: dict[str, str] = {}
        if with_note:
            form = ReturnToDraftForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Say what should change before returning it."))
                return redirect("directory:service_detail", service_id=service.pk)
            extra["note"] = form.cleaned_data["note"]
        try:
            step(actor=user, service=service, **extra)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, done)
        return redirect("directory:service_detail", service_id=service.pk)

    return view


service_submit = _transition_view(
    actions.service_submit_for_review, gettext_lazy("The service is waiting for review.")
)
service_publish = _transition_view(
    actions.service_publish, gettext_lazy("The service is published.")
)
service_archive = _transition_view(
    actions.service_archive, gettext_lazy("The service is archived.")
)
service_return_to_draft = _transition_view(
    actions.service_return_to_draft,
    gettext_lazy("The service went back to its authors."),
    with_note=True,
)


@staff_page
@require_POST
def service_verify(request: HttpRequest, service_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    service = queries.service_get_for_edit(user=user, service_id=service_id)
    form = VerifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("directory:service_detail", service_id=service.pk)
    try:
        actions.service_mark_verified(
            actor=user, service=service, source=form.cleaned_data["source"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Marked as verified today."))
    return redirect("directory:service_detail", service_id=service.pk)


# Provider organisations.


@staff_page
def organization_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_editor(user)
    return render(
        request,
        "directory/organization_list.html",
        {"organizations": queries.staff_organizations(user=user)},
    )


@staff_page
def organization_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_editor(user)
    owners = queries.organisations_user_can_edit_for(user=user)
    if not owners:
        raise PermissionDeniedError(_("Your role does not include editing the directory."))
    form = OrganizationForm.for_organization(request.POST or None, None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = actions.organization_create(
                actor=user,
                owner=owners[0],
                fields=form.action_fields(),
                translations=form.translations(),
            )
        except ValidationError as exc:
            apply_errors(exc, {}, form)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": organization})
            return redirect("directory:organization_list")
    return render(request, "directory/organization_form.html", {"form": form})


@staff_page
def organization_edit(request: HttpRequest, organization_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    organization = queries.organization_get_for_edit(user=user, organization_id=organization_id)
    form = OrganizationForm.for_organization(request.POST or None, organization)
    if request.method == "POST" and form.is_valid():
        try:
            actions.organization_update(
                actor=user,
                organization=organization,
                fields=form.action_fields(),
                translations=form.translations(),
            )
        except ValidationError as exc:
            apply_errors(exc, {}, form)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": organization})
            return redirect("directory:organization_list")
    return render(
        request,
        "directory/organization_form.html",
        {"form": form, "organization": organization},
    )


# Locations.


@staff_page
def location_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_editor(user)
    return render(
        request,
        "directory/location_list.html",
        {"locations": queries.staff_locations(user=user)},
    )


@staff_page
def location_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_editor(user)
    owners = queries.organisations_user_can_edit_for(user=user)
    if not owners:
        raise PermissionDeniedError(_("Your role does not include editing the directory."))
    editor = LocationEditor(
        request.POST or None,
        location=None,
        providers=list(queries.organizations_of(user=user, owners=owners[:1])),
        countries_and_areas=queries.countries_and_areas(),
    )
    if request.method == "POST" and editor.is_valid():
        try:
            location = actions.location_create(
                actor=user, owner=owners[0], **editor.action_kwargs()
            )
        except ValidationError as exc:
            editor.apply_errors(exc)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": location})
            return redirect("directory:location_list")
    return render(request, "directory/location_form.html", {"editor": editor})


@staff_page
def location_edit(request: HttpRequest, location_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    location = queries.location_get_for_staff(user=user, location_id=location_id)
    editor = LocationEditor(
        request.POST or None,
        location=location,
        providers=list(queries.organizations_of(user=user, owners=[location.owner])),
        countries_and_areas=queries.countries_and_areas(),
    )
    if request.method == "POST" and editor.is_valid():
        try:
            actions.location_update(actor=user, location=location, **editor.action_kwargs())
        except ValidationError as exc:
            editor.apply_errors(exc)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": location})
            return redirect("directory:location_list")
    return render(request, "directory/location_form.html", {"editor": editor, "location": location})
