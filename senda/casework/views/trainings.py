"""Staff pages of trainings: the list, one training with its participants and completion,
and "who is trained on what" for supervisors and training organisers."""

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
from senda.accounts.roles import Capability
from senda.casework.actions import trainings as actions
from senda.casework.models import ParticipantRole, ParticipationStatus, TrainingEvent, TrainingMode
from senda.casework.queries import activities as activity_queries
from senda.casework.queries import trainings as queries
from senda.casework.views.activities import AreaChoiceField, DateInput
from senda.casework.views.common import (
    acting_user,
    page_of,
    query_without_page,
    staff_page,
)
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.core.forms import apply_errors


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


class TrainingForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=Organisation.objects.none()
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=actions.MAX_TITLE)
    topics = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Topics"),
        queryset=queries.Topic.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    mode = forms.ChoiceField(label=gettext_lazy("Mode"), choices=TrainingMode.choices)
    starts_on = forms.DateField(label=gettext_lazy("Starts on"), widget=DateInput)
    ends_on = forms.DateField(label=gettext_lazy("Ends on"), widget=DateInput, required=False)
    facilitator = forms.CharField(label=gettext_lazy("Facilitator"), max_length=200, required=False)
    area = AreaChoiceField(
        label=gettext_lazy("Area"),
        queryset=activity_queries.AdminArea.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = organisations
        if len(organisations) > 1:
            self.fields["organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
                pk__in=[o.pk for o in organisations]
            )
        else:
            del self.fields["organisation"]
        self.fields["topics"].queryset = queries.training_topics()  # type: ignore[attr-defined]
        self.fields["area"].queryset = activity_queries.areas_for(organisations)  # type: ignore[attr-defined]

    def chosen_organisation(self) -> Organisation:
        if "organisation" in self.fields:
            chosen: Organisation = self.cleaned_data["organisation"]
            return chosen
        return self.organisations[0]

    def to_input(self) -> actions.TrainingInput:
        data = self.cleaned_data
        return actions.TrainingInput(
            title=data["title"],
            topics=list(data["topics"]),
            mode=data["mode"],
            starts_on=data["starts_on"],
            ends_on=data.get("ends_on"),
            facilitator=data.get("facilitator") or "",
            area=data.get("area"),
        )

    @classmethod
    def initial_for(cls, training: TrainingEvent) -> dict[str, Any]:
        return {
            "title": training.title,
            "topics": list(training.topics.all()),
            "mode": training.mode,
            "starts_on": training.starts_on,
            "ends_on": training.ends_on,
            "facilitator": training.facilitator,
            "area": training.area_id,
        }


class ParticipantForm(forms.Form):
    user = PersonChoiceField(
        label=gettext_lazy("A member of the organisation"),
        queryset=User.objects.none(),
        required=False,
    )
    name = forms.CharField(
        label=gettext_lazy("Or a partner's staff member: name"), max_length=200, required=False
    )
    participant_organisation = forms.CharField(
        label=gettext_lazy("Their organisation"), max_length=200, required=False
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=[("", gettext_lazy("From their role")), *ParticipantRole.choices],
        required=False,
    )

    def __init__(self, *args: Any, training: TrainingEvent, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = queries.participant_candidates(  # type: ignore[attr-defined]
            organisation=training.organisation
        )

    def to_input(self) -> actions.ParticipantInput:
        data = self.cleaned_data
        return actions.ParticipantInput(
            user=data.get("user"),
            name=data.get("name") or "",
            participant_organisation=data.get("participant_organisation") or "",
            role=data.get("role") or "",
        )


class TrainingFilterForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput)
    topic = forms.ModelChoiceField(
        label=gettext_lazy("Topic"), queryset=queries.Topic.objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = queries.training_topics()  # type: ignore[attr-defined]


class MatrixFilterForm(forms.Form):
    topic = forms.ModelChoiceField(
        label=gettext_lazy("Topic"), queryset=queries.Topic.objects.none(), required=False
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=[("", "—"), *ParticipantRole.choices], required=False
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    completed_since = forms.DateField(
        label=gettext_lazy("Completed since"), required=False, widget=DateInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = queries.training_topics()  # type: ignore[attr-defined]

    def filters(self) -> queries.MatrixFilters:
        if not self.is_valid():
            return queries.MatrixFilters()
        data = self.cleaned_data
        return queries.MatrixFilters(
            topic_id=data["topic"].pk if data.get("topic") else None,
            role=data.get("role") or None,
            name=data.get("name") or "",
            completed_since=data.get("completed_since"),
        )


def _managing_organisations(user: User) -> list[Organisation]:
    organisations = activity_queries.organisations_where(user, Capability.TRAINING_MANAGE)
    if not organisations:
        raise PermissionDeniedError(_("Your role does not include organising trainings."))
    return organisations


@staff_page
def training_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    filter_form = TrainingFilterForm(request.GET or None)
    filters = queries.TrainingFilters()
    if filter_form.is_valid():
        data = filter_form.cleaned_data
        filters = queries.TrainingFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            topic_id=data["topic"].pk if data.get("topic") else None,
        )
    trainings = queries.training_list(user=user, filters=filters)
    return render(
        request,
        "casework/trainings/list.html",
        {
            "page": page_of(request, trainings),
            "filter_form": filter_form,
            "may_manage": bool(
                activity_queries.organisations_where(user, Capability.TRAINING_MANAGE)
            ),
            "query": query_without_page(request),
        },
    )


@staff_page
@require_http_methods(["GET", "POST"])
def training_create(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = TrainingForm(request.POST or None, organisations=_managing_organisations(user))
    if request.method == "POST" and form.is_valid():
        try:
            training = actions.training_create(
                actor=user, organisation=form.chosen_organisation(), data=form.to_input()
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Training created. Add its participants."))
            return redirect("casework:training_detail", training_id=training.pk)
    return render(request, "casework/trainings/form.html", {"form": form, "training": None})


@staff_page
def training_detail(request: HttpRequest, training_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    training = queries.training_get(user=user, training_id=training_id)
    may_manage = queries.training_may_manage(user=user, training=training)
    return render(
        request,
        "casework/trainings/detail.html",
        {
            "training": training,
            "participants": [
                (p, queries.participant_label(p)) for p in training.participants.all()
            ],
            "may_manage": may_manage,
            "participant_form": ParticipantForm(training=training) if may_manage else None,
            "statuses": ParticipationStatus,
        },
    )


@staff_page
@require_http_methods(["GET", "POST"])
def training_edit(request: HttpRequest, training_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    training = queries.training_get(user=user, training_id=training_id)
    if not queries.training_may_manage(user=user, training=training):
        raise PermissionDeniedError(_("Your role does not include organising trainings."))
    form = TrainingForm(
        request.POST or None,
        initial=TrainingForm.initial_for(training),
        organisations=[training.organisation],
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.training_update(actor=user, training=training, data=form.to_input())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Training saved."))
            return redirect("casework:training_detail", training_id=training.pk)
    return render(request, "casework/trainings/form.html", {"form": form, "training": training})


@staff_page
@require_POST
def training_delete(request: HttpRequest, training_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    training = queries.training_get(user=user, training_id=training_id)
    actions.training_delete(actor=user, training=training)
    messages.success(request, _("Training deleted."))
    return redirect("casework:training_list")


@staff_page
@require_POST
def participant_add(request: HttpRequest, training_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    training = queries.training_get(user=user, training_id=training_id)
    if not queries.training_may_manage(user=user, training=training):
        raise PermissionDeniedError(_("Your role does not include organising trainings."))
    form = ParticipantForm(request.POST, training=training)
    if form.is_valid():
        try:
            actions.training_participant_add(actor=user, training=training, data=form.to_input())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Participant added."))
            return redirect("casework:training_detail", training_id=training.pk)
    return render(
        request,
        "casework/trainings/detail.html",
        {
            "training": training,
            "participants": [
                (p, queries.participant_label(p)) for p in training.participants.all()
            ],
            "may_manage": True,
            "participant_form": form,
            "statuses": ParticipationStatus,
        },
        status=422,
    )


@staff_page
@require_POST
def participant_status(
    request: HttpRequest, training_id: uuid.UUID, participant_id: int
) -> HttpResponse:
    user = acting_user(request)
    training = queries.training_get(user=user, training_id=training_id)
    participant = queries.participant_get(training=training, participant_id=participant_id)
    completed_on = forms.DateField(required=False).clean(request.POST.get("completed_on") or None)
    try:
        actions.training_participant_set_status(
            actor=user,
            participant=participant,
            status=request.POST.get("status", ""),
            completed_on=completed_on,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Participant updated."))
    return redirect("casework:training_detail", training_id=training.pk)


@staff_page
@require_POST
def participant_remove(
    request: HttpRequest, training_id: uuid.UUID, participant_id: int
) -> HttpResponse:
    user = acting_user(request)
    training = queries.training_get(user=user, training_id=training_id)
    participant = queries.participant_get(training=training, participant_id=participant_id)
    actions.training_participant_remove(actor=user, participant=participant)
    messages.success(request, _("Participant removed."))
    return redirect("casework:training_detail", training_id=training.pk)


@staff_page
def training_matrix(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    filter_form = MatrixFilterForm(request.GET or None)
    matrix = queries.trained_matrix(user=user, filters=filter_form.filters())
    return render(
        request,
        "casework/trainings/matrix.html",
        {
            "filter_form": filter_form,
            "topics": matrix.topics,
            "rows": [(row, row.cells(matrix.topics)) for row in matrix.rows],
        },
    )
