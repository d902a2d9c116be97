"""Staff pages of teams and centre assignments, for organisation admins: who supervises
whom, and which health centres each focal point receives referrals for."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from senda.accounts.models import Organisation, User
from senda.casework.actions import teams as actions
from senda.casework.models import Team
from senda.casework.queries import teams as queries
from senda.casework.views.activities import LocationChoiceField
from senda.casework.views.common import (
    acting_user,
    staff_page,
)
from senda.casework.views.trainings import PersonChoiceField
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.core.forms import apply_errors


def _organisations(user: User) -> list[Organisation]:
    organisations = queries.managed_organisations(user)
    if not organisations:
        raise PermissionDeniedError(_("Only organisation admins set up teams and centres."))
    return organisations


class OrganisationFormMixin(forms.Form):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=Organisation.objects.none()
    )

    def set_organisations(self, organisations: list[Organisation]) -> None:
        self.organisations = organisations
        if len(organisations) > 1:
            self.fields["organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
                pk__in=[o.pk for o in organisations]
            )
        else:
            del self.fields["organisation"]

    def chosen_organisation(self) -> Organisation:
        if "organisation" in self.fields:
            chosen: Organisation = self.cleaned_data["organisation"]
            return chosen
        return self.organisations[0]


class TeamForm(OrganisationFormMixin):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=actions.MAX_NAME)
    supervisor = PersonChoiceField(
        label=gettext_lazy("Supervisor"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_organisations(organisations)
        # One organisation at a time: supervisors of the first (the usual case: an admin of one).
        self.fields["supervisor"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            pk__in=[
                u.pk
                for organisation in organisations
                for u in queries.supervisor_candidates(organisation=organisation)
            ]
        ).order_by("last_name", "first_name", "username")


class MemberForm(forms.Form):
    member = PersonChoiceField(
        label=gettext_lazy("Add a case worker"), queryset=User.objects.none()
    )

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = queries.member_candidates(  # type: ignore[attr-defined]
            organisation=team.organisation
        ).exclude(pk__in=[m.pk for m in team.members.all()])


class CentreForm(OrganisationFormMixin):
    user = PersonChoiceField(label=gettext_lazy("Focal point"), queryset=User.objects.none())
    location = LocationChoiceField(
        label=gettext_lazy("Health centre"), queryset=queries.Location.objects.none()
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_organisations(organisations)
        users: list[int] = []
        locations: list[Any] = []
        for organisation in organisations:
            users += [u.pk for u in queries.centre_candidates(organisation=organisation)]
            locations += [loc.pk for loc in queries.centre_locations(organisation=organisation)]
        self.fields["user"].queryset = User.objects.filter(pk__in=users).order_by(  # type: ignore[attr-defined]
            "last_name", "first_name", "username"
        )
        self.fields["location"].queryset = queries.Location.objects.filter(  # type: ignore[attr-defined]
            pk__in=locations
        ).order_by("name")


@staff_page
def team_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    teams = list(queries.teams_managed_by(user=user))
    return render(request, "casework/teams/list.html", {"teams": teams})


@staff_page
@require_http_methods(["GET", "POST"])
def team_create(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = TeamForm(request.POST or None, organisations=_organisations(user))
    if request.method == "POST" and form.is_valid():
        try:
            team = actions.team_create(
                actor=user,
                organisation=form.chosen_organisation(),
                name=form.cleaned_data["name"],
                supervisor=form.cleaned_data.get("supervisor"),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Team created. Add its members."))
            return redirect("casework:team_detail", team_id=team.pk)
    return render(request, "casework/teams/form.html", {"form": form, "team": None})


@staff_page
@require_http_methods(["GET", "POST"])
def team_detail(request: HttpRequest, team_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    team = queries.team_get(user=user, team_id=team_id)
    form = TeamForm(
        request.POST or None,
        initial={"name": team.name, "supervisor": team.supervisor_id},
        organisations=[team.organisation],
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.team_update(
                actor=user,
                team=team,
                name=form.cleaned_data["name"],
                supervisor=form.cleaned_data.get("supervisor"),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Team saved."))
            return redirect("casework:team_detail", team_id=team.pk)
    return render(
        request,
        "casework/teams/detail.html",
        {"team": team, "form": form, "member_form": MemberForm(team=team)},
        status=422 if form.is_bound and form.errors else 200,
    )


@staff_page
@require_POST
def team_member_add(request: HttpRequest, team_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    team = queries.team_get(user=user, team_id=team_id)
    form = MemberForm(request.POST, team=team)
    if form.is_valid():
        try:
            actions.team_member_add(actor=user, team=team, member=form.cleaned_data["member"])
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Member added."))
    else:
        messages.error(request, _("Choose a case worker of the organisation."))
    return redirect("casework:team_detail", team_id=team.pk)


@staff_page
@require_POST
def team_member_remove(request: HttpRequest, team_id: uuid.UUID, user_id: int) -> HttpResponse:
    user = acting_user(request)
    team = queries.team_get(user=user, team_id=team_id)
    member = next((m for m in team.members.all() if m.pk == user_id), None)
    if member is None:
        messages.error(request, _("This person is not in the team."))
    else:
        actions.team_member_remove(actor=user, team=team, member=member)
        messages.success(request, _("Member removed."))
    return redirect("casework:team_detail", team_id=team.pk)


@staff_page
@require_POST
def team_delete(request: HttpRequest, team_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    team = queries.team_get(user=user, team_id=team_id)
    actions.team_delete(actor=user, team=team)
    messages.success(request, _("Team deleted."))
    return redirect("casework:team_list")


@staff_page
@require_http_methods(["GET", "POST"])
def centre_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    assignments = list(queries.centre_assignments_managed_by(user=user))
    form = CentreForm(request.POST or None, organisations=_organisations(user))
    if request.method == "POST" and form.is_valid():
        try:
            actions.centre_assign(
                actor=user,
                organisation=form.chosen_organisation(),
                user=form.cleaned_data["user"],
                location=form.cleaned_data["location"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Centre assigned."))
            return redirect("casework:centre_list")
    return render(
        request,
        "casework/teams/centres.html",
        {"assignments": assignments, "form": form},
        status=422 if form.is_bound and form.errors else 200,
    )


@staff_page
@require_POST
def centre_unassign(request: HttpRequest, assignment_id: int) -> HttpResponse:
    user = acting_user(request)
    assignment = queries.centre_assignment_get(user=user, assignment_id=assignment_id)
    actions.centre_unassign(actor=user, assignment=assignment)
    messages.success(request, _("Centre assignment ended."))
    return redirect("casework:centre_list")
