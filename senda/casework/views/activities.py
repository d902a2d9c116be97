"""Staff pages of outreach activities and vaccination sessions: lists with totals and
filters, and the compact grid forms a promoter fills in on a phone. Tallies only: no names."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability
from senda.casework.access import organisations_where
from senda.casework.actions import activities as actions
from senda.casework.actions.activities import MaterialKind
from senda.casework.models import (
    AgeGroup,
    Community,
    OutreachActivity,
    PlaceType,
    Sex,
    VaccinationSession,
    Vaccine,
)
from senda.casework.queries import activities as queries
from senda.casework.views.common import (
    acting_user,
    page_of,
    query_without_page,
    staff_page,
)
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.core.forms import apply_errors


class DateInput(forms.DateInput):
    input_type = "date"


class CountInput(forms.NumberInput):
    def __init__(self, label: str) -> None:
        super().__init__(
            attrs={"min": "0", "inputmode": "numeric", "class": "count", "aria-label": label}
        )


def _count_field(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=actions.MAX_CELL,
        widget=CountInput(label),
    )


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.parent.name} – {obj.name}" if obj.parent_id else str(obj.name)


class RecordForm(forms.Form):
    """What outreach and session forms share: the organisation (when several), date, area."""

    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=Organisation.objects.none()
    )
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput)
    area = AreaChoiceField(label=gettext_lazy("Area"), queryset=queries.AdminArea.objects.none())
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=actions.MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("No names or other personal details."),
    )

    def __init__(
        self,
        *args: Any,
        organisations: list[Organisation],
        area_required: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = organisations
        if len(organisations) > 1:
            self.fields["organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
                pk__in=[o.pk for o in organisations]
            )
        else:
            del self.fields["organisation"]
        self.fields["area"].queryset = queries.areas_for(organisations)  # type: ignore[attr-defined]
        self.fields["area"].required = area_required
        self.fields["date"].initial = timezone.localdate()

    def chosen_organisation(self) -> Organisation:
        if "organisation" in self.fields:
            chosen: Organisation = self.cleaned_data["organisation"]
            return chosen
        return self.organisations[0]


def _tally_name(sex: str, age_group: str, community: str) -> str:
    return f"t_{community}_{age_group}_{sex}".replace("-", "_").replace("+", "plus")


class OutreachForm(RecordForm):
    place_type = forms.ChoiceField(label=gettext_lazy("Type of place"), choices=PlaceType.choices)
    place_name = forms.CharField(
        label=gettext_lazy("Place name"), max_length=actions.MAX_PLACE_NAME, required=False
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"), queryset=queries.Team.objects.none(), required=False
    )

    field_order = ["organisation", "date", "place_type", "place_name", "area", "team"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = queries.teams_for_activities(user=user, organisations=self.organisations)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
        for community, community_label in Community.choices:
            for age_group, age_label in AgeGroup.choices:
                for sex, sex_label in Sex.choices:
                    self.fields[_tally_name(sex, age_group, community)] = _count_field(
                        f"{community_label}, {age_label}, {sex_label}"
                    )
        for kind, label in MaterialKind.choices:
            self.fields[f"m_{kind}"] = _count_field(str(label))

    def tally_grid(self) -> list[tuple[str, list[tuple[str, list[forms.BoundField]]]]]:
        """For the page: per community, per age group, a count per sex."""
        return [
            (
                str(community_label),
                [
                    (
                        str(age_label),
                        [self[_tally_name(sex, age_group, community)] for sex in Sex.values],
                    )
                    for age_group, age_label in AgeGroup.choices
                ],
            )
            for community, community_label in Community.choices
        ]

    def sex_labels(self) -> list[str]:
        return [str(label) for label in Sex.labels]

    def material_fields(self) -> list[forms.BoundField]:
        return [self[f"m_{kind}"] for kind in MaterialKind.values]

    def tally_errors(self) -> list[str]:
        return [
            str(e)
            for name, errors in self.errors.items()
            if name.startswith(("t_", "m_"))
            for e in errors
        ]

    def to_input(self) -> actions.OutreachInput:
        data = self.cleaned_data
        tallies = {
            (sex, age_group, community): data.get(_tally_name(sex, age_group, community)) or 0
            for community in Community.values
            for age_group in AgeGroup.values
            for sex in Sex.values
        }
        return actions.OutreachInput(
            date=data["date"],
            place_type=data["place_type"],
            place_name=data.get("place_name") or "",
            area=data.get("area"),
            team=data.get("team"),
            tallies={cell: count for cell, count in tallies.items() if count},
            materials={kind: data.get(f"m_{kind}") or 0 for kind in MaterialKind.values},
            note=data.get("note") or "",
        )

    @classmethod
    def initial_for(cls, activity: OutreachActivity) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "date": activity.date,
            "place_type": activity.place_type,
            "place_name": activity.place_name,
            "area": activity.area_id,
            "team": activity.team_id,
            "note": activity.note,
        }
        for (sex, age_group, community), count in queries.tally_grid(activity).items():
            initial[_tally_name(sex, age_group, community)] = count
        for kind, count in (activity.materials or {}).items():
            initial[f"m_{kind}"] = count
        return initial


class OutreachFilterForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput)
    area = AreaChoiceField(
        label=gettext_lazy("Area"), queryset=queries.AdminArea.objects.none(), required=False
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"), queryset=queries.Team.objects.none(), required=False
    )
    place_type = forms.ChoiceField(
        label=gettext_lazy("Type of place"),
        choices=[("", "—"), *PlaceType.choices],
        required=False,
    )

    def __init__(
        self, *args: Any, organisations: list[Organisation], user: User, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = queries.areas_for(organisations)  # type: ignore[attr-defined]
        self.fields["team"].queryset = queries.teams_for_activities(  # type: ignore[attr-defined]
            user=user, organisations=organisations
        )

    def filters(self) -> queries.OutreachFilters:
        if not self.is_valid():
            return queries.OutreachFilters()
        data = self.cleaned_data
        return queries.OutreachFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            area=data["area"].pk if data.get("area") else None,
            team_id=data["team"].pk if data.get("team") else None,
            place_type=data.get("place_type") or None,
        )


def _recording_organisations(user: User) -> list[Organisation]:
    organisations = organisations_where(user, Capability.OUTREACH_RECORD)
    if not organisations:
        raise PermissionDeniedError(
            _("Your role does not include recording outreach or vaccination sessions.")
        )
    return organisations


def _readable_organisations(user: User) -> list[Organisation]:
    return queries.organisations_with_any(user, queries.READ_CAPABILITIES)


# ---------------------------------------------------------------------------------------------
# Outreach pages


@staff_page
def outreach_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    filter_form = OutreachFilterForm(
        request.GET or None, organisations=_readable_organisations(user), user=user
    )
    filters = filter_form.filters()
    activities = queries.outreach_list(user=user, filters=filters)
    return render(
        request,
        "casework/activities/outreach_list.html",
        {
            "page": page_of(request, activities),
            "totals": queries.outreach_totals(user=user, filters=filters),
            "filter_form": filter_form,
            "may_record": queries.may_record_activities(user),
            "query": query_without_page(request),
        },
    )


@staff_page
@require_http_methods(["GET", "POST"])
def outreach_create(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    organisations = _recording_organisations(user)
    form = OutreachForm(request.POST or None, organisations=organisations, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            activity = actions.outreach_record(
                actor=user, organisation=form.chosen_organisation(), data=form.to_input()
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Outreach activity recorded."))
            return redirect("casework:outreach_detail", activity_id=activity.pk)
    return render(
        request, "casework/activities/outreach_form.html", {"form": form, "activity": None}
    )


@staff_page
def outreach_detail(request: HttpRequest, activity_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    activity = queries.outreach_get(user=user, activity_id=activity_id)
    grid = queries.tally_grid(activity)
    rows = [
        (
            str(community_label),
            [
                (str(age_label), [grid.get((sex, age_group, community), 0) for sex in Sex.values])
                for age_group, age_label in AgeGroup.choices
            ],
        )
        for community, community_label in Community.choices
    ]
    materials = [
        (str(label), activity.materials.get(kind))
        for kind, label in MaterialKind.choices
        if activity.materials.get(kind)
    ]
    return render(
        request,
        "casework/activities/outreach_detail.html",
        {
            "activity": activity,
            "rows": rows,
            "sex_labels": [str(label) for label in Sex.labels],
            "total": sum(grid.values()),
            "materials": materials,
            "may_edit": queries.outreach_may_edit(user=user, activity=activity, now=timezone.now()),
        },
    )


@staff_page
@require_http_methods(["GET", "POST"])
def outreach_edit(request: HttpRequest, activity_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    activity = queries.outreach_get(user=user, activity_id=activity_id)
    if not queries.outreach_may_edit(user=user, activity=activity, now=timezone.now()):
        raise actions.edit_refusal()
    form = OutreachForm(
        request.POST or None,
        initial=OutreachForm.initial_for(activity),
        organisations=[activity.organisation],
        user=user,
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.outreach_update(actor=user, activity=activity, data=form.to_input())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Outreach activity saved."))
            return redirect("casework:outreach_detail", activity_id=activity.pk)
    return render(
        request, "casework/activities/outreach_form.html", {"form": form, "activity": activity}
    )


@staff_page
@require_POST
def outreach_delete(request: HttpRequest, activity_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    activity = queries.outreach_get(user=user, activity_id=activity_id)
    actions.outreach_delete(actor=user, activity=activity)
    messages.success(request, _("Outreach activity deleted."))
    return redirect("casework:outreach_list")


# ---------------------------------------------------------------------------------------------
# Vaccination sessions


def _dose_name(vaccine: str, age_group: str) -> str:
    return f"d_{vaccine}_{age_group}".replace("-", "_").replace("+", "plus")


class LocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name) or str(obj.pk)


class SessionForm(RecordForm):
    location = LocationChoiceField(
        label=gettext_lazy("Health centre"),
        queryset=queries.Location.objects.none(),
        required=False,
        help_text=gettext_lazy("One of the organisation's places in the directory."),
    )
    place_name = forms.CharField(
        label=gettext_lazy("Or another place"), max_length=actions.MAX_PLACE_NAME, required=False
    )
    people_referred = forms.IntegerField(
        label=gettext_lazy("People referred onwards"),
        min_value=0,
        max_value=actions.MAX_CELL,
        required=False,
        initial=0,
    )

    field_order = ["organisation", "date", "location", "place_name", "area", "people_referred"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("area_required", False)
        super().__init__(*args, **kwargs)
        self.fields["area"].help_text = _("Leave empty to use the health centre's area.")
        self.fields["location"].queryset = queries.session_locations(  # type: ignore[attr-defined]
            organisations=self.organisations
        )
        for vaccine, vaccine_label in Vaccine.choices:
            for age_group, age_label in AgeGroup.choices:
                self.fields[_dose_name(vaccine, age_group)] = _count_field(
                    f"{vaccine_label}, {age_label}"
                )

    def dose_grid(self) -> list[tuple[str, list[tuple[str, forms.BoundField]]]]:
        return [
            (
                str(vaccine_label),
                [
                    (str(age_label), self[_dose_name(vaccine, age_group)])
                    for age_group, age_label in AgeGroup.choices
                ],
            )
            for vaccine, vaccine_label in Vaccine.choices
        ]

    def dose_errors(self) -> list[str]:
        return [
            str(e) for name, errors in self.errors.items() if name.startswith("d_") for e in errors
        ]

    def to_input(self) -> actions.SessionInput:
        data = self.cleaned_data
        doses = {
            (vaccine, age_group): data.get(_dose_name(vaccine, age_group)) or 0
            for vaccine in Vaccine.values
            for age_group in AgeGroup.values
        }
        return actions.SessionInput(
            date=data["date"],
            area=data.get("area"),
            location=data.get("location"),
            place_name=data.get("place_name") or "",
            doses={cell: count for cell, count in doses.items() if count},
            people_referred=data.get("people_referred") or 0,
            note=data.get("note") or "",
        )

    @classmethod
    def initial_for(cls, session: VaccinationSession) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "date": session.date,
            "location": session.location_id,
            "place_name": session.place_name,
            "area": session.area_id,
            "people_referred": session.people_referred,
            "note": session.note,
        }
        for (vaccine, age_group), count in queries.dose_grid(session).items():
            initial[_dose_name(vaccine, age_group)] = count
        return initial


class SessionFilterForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput)
    area = AreaChoiceField(
        label=gettext_lazy("Area"), queryset=queries.AdminArea.objects.none(), required=False
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = queries.areas_for(organisations)  # type: ignore[attr-defined]

    def filters(self) -> queries.SessionFilters:
        if not self.is_valid():
            return queries.SessionFilters()
        data = self.cleaned_data
        return queries.SessionFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            area=data["area"].pk if data.get("area") else None,
        )


@staff_page
def session_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    filter_form = SessionFilterForm(
        request.GET or None, organisations=_readable_organisations(user)
    )
    filters = filter_form.filters()
    sessions = queries.session_list(user=user, filters=filters)
    return render(
        request,
        "casework/activities/session_list.html",
        {
            "page": page_of(request, sessions),
            "totals": queries.session_totals(user=user, filters=filters),
            "filter_form": filter_form,
            "may_record": queries.may_record_activities(user),
            "query": query_without_page(request),
        },
    )


@staff_page
@require_http_methods(["GET", "POST"])
def session_create(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = SessionForm(request.POST or None, organisations=_recording_organisations(user))
    if request.method == "POST" and form.is_valid():
        try:
            session = actions.vaccination_session_record(
                actor=user, organisation=form.chosen_organisation(), data=form.to_input()
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Vaccination session recorded."))
            return redirect("casework:session_detail", session_id=session.pk)
    return render(request, "casework/activities/session_form.html", {"form": form, "session": None})


@staff_page
def session_detail(request: HttpRequest, session_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    session = queries.session_get(user=user, session_id=session_id)
    grid = queries.dose_grid(session)
    rows = [
        (str(label), [grid.get((vaccine, age_group), 0) for age_group in AgeGroup.values])
        for vaccine, label in Vaccine.choices
        if any(grid.get((vaccine, age_group)) for age_group in AgeGroup.values)
    ]
    return render(
        request,
        "casework/activities/session_detail.html",
        {
            "session": session,
            "rows": rows,
            "age_labels": [str(label) for label in AgeGroup.labels],
            "total": sum(grid.values()),
            "may_edit": queries.session_may_edit(user=user, session=session, now=timezone.now()),
        },
    )


@staff_page
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, session_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    session = queries.session_get(user=user, session_id=session_id)
    if not queries.session_may_edit(user=user, session=session, now=timezone.now()):
        raise actions.edit_refusal()
    form = SessionForm(
        request.POST or None,
        initial=SessionForm.initial_for(session),
        organisations=[session.organisation],
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.vaccination_session_update(actor=user, session=session, data=form.to_input())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Vaccination session saved."))
            return redirect("casework:session_detail", session_id=session.pk)
    return render(
        request, "casework/activities/session_form.html", {"form": form, "session": session}
    )


@staff_page
@require_POST
def session_delete(request: HttpRequest, session_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    session = queries.session_get(user=user, session_id=session_id)
    actions.vaccination_session_delete(actor=user, session=session)
    messages.success(request, _("Vaccination session deleted."))
    return redirect("casework:session_list")
