"""Staff pages for people: search, register (consent first, duplicates shown before saving),
the person's page with their history, edit, consent, merge, erase, possible duplicates."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from senda.accounts.models import User
from senda.casework.actions import people as actions
from senda.casework.queries import people as queries
from senda.casework.queries import referrals as referral_queries
from senda.casework.views.common import (
    acting_user,
    staff_page,
)
from senda.casework.views.people_forms import (
    ConsentForm,
    EditForm,
    EraseForm,
    MergeForm,
    RegisterForm,
)
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.inquiries.models import Inquiry
from senda.inquiries.queries import inquiry_get, may_act_on

PAGE_SIZE = 25
PERSONAL_POST_FIELDS = ("given_name", "family_name", "phone", "notes")


def _require_people(user: User) -> None:
    if not queries.may_see_people(user=user):
        raise PermissionDeniedError(_("Your role does not include seeing people's records."))


def _add_errors(form: Any, exc: ValidationError) -> None:
    for field, field_messages in exc.errors.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


@staff_page
def people_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    _require_people(user)
    text = request.GET.get("q", "").strip()[:200]
    paginator = Paginator(queries.people_search(user=user, text=text), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "casework/people/list.html",
        {
            "page": page,
            "people": list(page.object_list),
            "q": text,
            "may_register": bool(queries.registration_organisations(user=user)),
            "may_supervise": queries.may_supervise(user=user),
        },
    )


def _inquiry_for(user: User, value: str | uuid.UUID | None) -> Inquiry | None:
    if not value:
        return None
    inquiry = inquiry_get(user=user, inquiry_id=value)
    if not may_act_on(user=user, inquiry=inquiry):
        raise PermissionDeniedError(_("Your role does not include handling this request."))
    return inquiry


@staff_page
@sensitive_post_parameters(*PERSONAL_POST_FIELDS)
@require_http_methods(["GET", "POST"])
def person_register(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    organisations = queries.registration_organisations(user=user)
    if not organisations:
        raise PermissionDeniedError(_("Your role does not include registering people."))
    candidates: list[Any] = []
    if request.method == "POST":
        form = RegisterForm(request.POST, organisations=organisations)
        if form.is_valid():
            organisation = form.chosen_organisation()
            try:
                inquiry = _inquiry_for(user, form.cleaned_data.get("inquiry"))
                if organisation is None:
                    raise ValidationError({"organisation": [_("Choose the organisation.")]})
                person = actions.person_register(
                    actor=user,
                    organisation=organisation,
                    consent_record=form.cleaned_data["consent_record"],
                    consent_contact=form.cleaned_data["consent_contact"],
                    consent_share=form.cleaned_data["consent_share"],
                    confirm_new=form.cleaned_data["confirm_new"],
                    inquiry=inquiry,
                    **form.person_fields(),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            except actions.PossibleDuplicatesError as exc:
                candidates = exc.candidates
            else:
                messages.success(
                    request,
                    _("Registered. Write this code on the person's card: %(code)s")
                    % {"code": person.code},
                )
                return redirect("casework:person_detail", person_id=person.pk)
        status = 200 if candidates else 400
    else:
        initial: dict[str, Any] = {}
        inquiry = _inquiry_for(user, request.GET.get("inquiry"))
        if inquiry is not None:
            initial = {**queries.inquiry_prefill(inquiry=inquiry), "inquiry": inquiry.pk}
            if inquiry.organisation in organisations:
                initial["organisation"] = str(inquiry.organisation.pk)
        form = RegisterForm(organisations=organisations, initial=initial)
        status = 200
    return render(
        request,
        "casework/people/register.html",
        {"form": form, "candidates": candidates},
        status=status,
    )


@staff_page
def person_detail(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    person = queries.person_open(user=user, person_id=person_id)
    if person.merged_into_id is not None:
        kept = queries.kept_person_for(user=user, person=person)
        if kept is not None:
            messages.info(
                request,
                _("Record %(old)s was merged into %(new)s.")
                % {"old": person.code, "new": kept.code},
            )
            return redirect("casework:person_detail", person_id=kept.pk)
    may_work = queries.may_work_with(user=user, person=person)
    return render(
        request,
        "casework/people/detail.html",
        {
            "person": person,
            "history": queries.person_history(person=person),
            "person_referrals": referral_queries.referrals_for_person(user=user, person=person),
            # The include offers "refer" only to those who may work with the person.
            "referral_person": person if may_work and person.erased_at is None else None,
            "may_work": may_work,
            "may_erase": person.erased_at is None and queries.may_erase(user=user, person=person),
            "may_merge": person.is_active_record and queries.may_supervise(user=user),
        },
    )


@staff_page
@sensitive_post_parameters(*PERSONAL_POST_FIELDS)
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    person = queries.person_get_for_work(user=user, person_id=person_id)
    countries = [person.organisation.country_id] if person.organisation.country_id else []
    if request.method == "POST":
        form = EditForm(request.POST, countries=countries)
        if form.is_valid():
            try:
                actions.person_update(actor=user, person=person, **form.person_fields())
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("casework:person_detail", person_id=person.pk)
        return render(
            request, "casework/people/edit.html", {"form": form, "person": person}, status=400
        )
    queries.person_open(user=user, person_id=person.pk, purpose="edit")
    form = EditForm(
        countries=countries,
        initial={
            "given_name": person.given_name,
            "family_name": person.family_name,
            "phone": person.phone,
            "phone_has_whatsapp": person.phone_has_whatsapp,
            "sex": person.sex,
            "year_of_birth": person.year_of_birth,
            "age_group": "" if person.year_of_birth else person.age_group,
            "nationality": person.nationality_id,
            "area": person.area_id or "",
            "community": person.community,
            "notes": person.notes,
        },
    )
    return render(request, "casework/people/edit.html", {"form": form, "person": person})


@staff_page
@require_http_methods(["GET", "POST"])
def person_consent(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    person = queries.person_get_for_work(user=user, person_id=person_id)
    error_messages: list[str] = []
    if request.method == "POST":
        form = ConsentForm(request.POST)
        if form.is_valid():
            scope, decision = form.cleaned_data["scope"], form.cleaned_data["decision"]
            try:
                if decision == "grant":
                    actions.consent_grant(actor=user, person=person, scope=scope)
                else:
                    actions.consent_withdraw(actor=user, person=person, scope=scope)
            except ValidationError as exc:
                error_messages = exc.messages
            else:
                if scope == "record" and decision == "withdraw":
                    messages.success(request, _("Consent withdrawn: the personal data is erased."))
                    return redirect("casework:people_list")
                messages.success(request, _("Consent recorded."))
                return redirect("casework:person_detail", person_id=person.pk)
        else:
            error_messages = [_("Choose a consent and what the person decided.")]
    return render(
        request,
        "casework/people/consent.html",
        {
            "person": person,
            "events": list(person.consent_events.select_related("recorded_by")),
            "error_messages": error_messages,
        },
        status=400 if error_messages else 200,
    )


@staff_page
@require_http_methods(["GET", "POST"])
def person_merge(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    if not queries.may_supervise(user=user):
        raise PermissionDeniedError(_("Only a supervisor can merge two records."))
    keep = queries.person_get(user=user, person_id=person_id)
    if not keep.is_active_record:
        raise NotFoundError(str(person_id))
    data = request.POST if request.method == "POST" else request.GET
    form = MergeForm(data if "duplicate" in data else None)
    duplicate = None
    status = 200
    if form.is_bound and form.is_valid():
        try:
            duplicate = queries.person_by_code(user=user, code=form.cleaned_data["duplicate"])
            if duplicate.pk == keep.pk:
                raise ValidationError({"duplicate": [_("Choose two different people.")]})
            if request.method == "POST" and form.cleaned_data["confirm"]:
                actions.person_merge(actor=user, keep=keep, duplicate=duplicate)
                messages.success(
                    request,
                    _("Record %(old)s merged into this one.") % {"old": duplicate.code},
                )
                return redirect("casework:person_detail", person_id=keep.pk)
        except NotFoundError:
            form.add_error("duplicate", _("No record you can see has this card code."))
            duplicate, status = None, 400
        except ValidationError as exc:
            _add_errors(form, exc)
            duplicate, status = None, 400
    elif form.is_bound:
        status = 400
    return render(
        request,
        "casework/people/merge.html",
        {"person": keep, "form": form, "duplicate": duplicate},
        status=status,
    )


@staff_page
@require_http_methods(["GET", "POST"])
def person_erase(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    person = queries.person_get(user=user, person_id=person_id)
    if not queries.may_erase(user=user, person=person):
        raise PermissionDeniedError(_("Your role does not include erasing people's data."))
    if person.erased_at is not None:
        raise NotFoundError(str(person_id))
    form = EraseForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.person_erase(actor=user, person=person, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The personal data has been erased."))
                return redirect("casework:people_list")
        return render(
            request, "casework/people/erase.html", {"person": person, "form": form}, status=400
        )
    return render(request, "casework/people/erase.html", {"person": person, "form": form})


@staff_page
def people_duplicates(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not queries.may_supervise(user=user):
        raise PermissionDeniedError(_("Only a supervisor sees possible duplicates."))
    return render(
        request,
        "casework/people/duplicates.html",
        {"pairs": queries.duplicate_pairs(user=user)},
    )
