"""Staff pages of follow-up tasks: the field-work home, "my tasks", a supervisor's team tasks,
one task (complete, cancel, reassign), a new task for a person, and the configurable lists."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from senda.accounts.models import User
from senda.accounts.roles import Capability
from senda.casework.access import organisations_where, people_visible_to, people_workable_by
from senda.casework.actions import tasks as actions
from senda.casework.models import FollowUp, FollowUpStatus, Person
from senda.casework.queries import tasks as queries
from senda.casework.views import cards
from senda.casework.views.common import (
    acting_user,
    page_of,
    staff_page,
)
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.queries import get_or_not_found

HOME_LIMIT = 10

# Roles that land on the field-work home: anyone with a part of field work.
FIELD_WORK_CAPABILITIES = (
    Capability.CASE_WORK,
    Capability.CASE_VIEW_ALL,
    Capability.CASE_SUPERVISE,
    Capability.REFERRAL_RECEIVE,
    Capability.OUTREACH_RECORD,
    Capability.TRAINING_MANAGE,
)


def _worker_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


# ---------------------------------------------------------------------------------------------
# Forms


class DateInput(forms.DateInput):
    input_type = "date"


class WorkerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _worker_name(obj)


class TaskForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Task"), max_length=200)
    due_on = forms.DateField(label=gettext_lazy("Due on"), widget=DateInput)
    assignee = WorkerChoiceField(
        label=gettext_lazy("Assigned to"), queryset=User.objects.none(), empty_label=None
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "What the worker needs to know. Only the people who see the task read it."
        ),
    )

    def __init__(self, *args: Any, workers: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(pk__in=[worker.pk for worker in workers]).order_by(
            "first_name", "last_name", "username"
        )


class CompleteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What happened"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CancelForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Why it is no longer needed"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReassignForm(forms.Form):
    assignee = WorkerChoiceField(
        label=gettext_lazy("Give to"), queryset=User.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, workers: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(pk__in=[worker.pk for worker in workers]).order_by(
            "first_name", "last_name", "username"
        )


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    for field, messages in exc.errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


# ---------------------------------------------------------------------------------------------
# Home and lists


@staff_page
def home(request: HttpRequest) -> HttpResponse:
    """The landing page of field work: my tasks today and overdue, and quick links."""
    user = acting_user(request)
    if not any(organisations_where(user, capability) for capability in FIELD_WORK_CAPABILITIES):
        raise PermissionDeniedError(_("Your role does not include field work."))
    context: dict[str, Any] = {
        "does_case_work": queries.may_work_on_tasks(user=user),
        "receives_referrals": bool(organisations_where(user, Capability.REFERRAL_RECEIVE)),
        "records_outreach": bool(organisations_where(user, Capability.OUTREACH_RECORD)),
        "supervises": bool(queries.supervised_organisations(user=user)),
        "sees_lists": queries.may_see_lists(user=user),
    }
    if context["does_case_work"]:
        today = timezone.localdate()
        counts = queries.my_task_counts(user=user, today=today)
        task_list_url = reverse("casework:task_list")
        context["counts"] = counts
        for show, name in ((queries.TODAY, "today_tasks"), (queries.OVERDUE, "overdue_tasks")):
            rows = queries.my_task_rows(user=user, show=show, today=today, counts=counts)
            # None due: nothing to read (the count says so).
            context[name] = cards.task_cards(
                rows[:HOME_LIMIT] if rows else [], task_list_url=task_list_url
            )
        context["today"] = today
    return render(request, "casework/home.html", context)


@staff_page
def task_list(request: HttpRequest) -> HttpResponse:
    """My tasks: today, overdue, upcoming or done, a page at a time."""
    user = acting_user(request)
    show = request.GET.get("show", queries.TODAY)
    if show not in queries.SHOWS:
        show = queries.TODAY
    today = timezone.localdate()
    counts = queries.my_task_counts(user=user, today=today)
    # The counts give the list's length: the page reads only its own rows.
    page = page_of(request, queries.my_task_rows(user=user, show=show, today=today, counts=counts))
    return render(
        request,
        "casework/tasks/list.html",
        {
            "page": page,
            # One reversal a page, not one a card: a task's page is the list's and its id.
            "tasks": cards.task_cards(
                page.object_list, task_list_url=reverse("casework:task_list")
            ),
            "show": show,
            "tabs": cards.task_tabs(list(queries.SHOWS.items()), show=show, counts=counts),
            "counts": counts,
            "today": today,
            "supervises": bool(queries.supervised_organisations(user=user)),
        },
    )


@staff_page
def team_tasks(request: HttpRequest) -> HttpResponse:
    """A supervisor's team tasks, by worker and state."""
    user = acting_user(request)
    show = request.GET.get("show", queries.OPEN)
    if show not in queries.TEAM_SHOWS:
        show = queries.OPEN
    workers = queries.team_workers(user=user) if queries.supervised_organisations(user=user) else []
    worker_id: int | None = None
    raw_worker = request.GET.get("worker", "")
    if raw_worker.isdigit() and int(raw_worker) in {worker.pk for worker in workers}:
        worker_id = int(raw_worker)
    today = timezone.localdate()
    tasks = queries.team_tasks(user=user, show=show, worker_id=worker_id, today=today)
    page = page_of(request, queries.task_rows_of(tasks, today=today))
    return render(
        request,
        "casework/tasks/team.html",
        {
            "page": page,
            "tasks": cards.task_cards(
                page.object_list, task_list_url=reverse("casework:task_list"), show_worker=True
            ),
            "show": show,
            "shows": list(queries.TEAM_SHOWS.items()),
            "workers": [(worker.pk, _worker_name(worker)) for worker in workers],
            "worker_id": worker_id,
            "counts": queries.team_task_counts(user=user, today=today),
            "today": today,
        },
    )


@staff_page
def lists(request: HttpRequest) -> HttpResponse:
    """The orientation and training topics and the follow-up rules, read-only."""
    topics, rules = queries.configurable_lists(user=acting_user(request))
    return render(request, "casework/tasks/lists.html", {"topics": topics, "rules": rules})


# ---------------------------------------------------------------------------------------------
# One task


def _workable_person(user: User, person_id: uuid.UUID) -> Person:
    """A person the user works with; 403 if they only read them, 404 if they do not see them."""
    try:
        return get_or_not_found(people_workable_by(user=user), person_id)
    except NotFoundError:
        if people_visible_to(user=user).filter(pk=person_id).exists():
            raise PermissionDeniedError(
                _("Your role does not include follow-ups with this person.")
            ) from None
        raise


@staff_page
@require_http_methods(["GET", "POST"])
def task_new(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """A task by hand about a person, for the actor or another case worker."""
    user = acting_user(request)
    person = _workable_person(user, person_id)
    workers = queries.case_workers(organisation=person.organisation)
    if request.method != "POST":
        initial = {"assignee": user.pk, "due_on": timezone.localdate() + datetime.timedelta(days=7)}
        form = TaskForm(initial=initial, workers=workers)
        return render(request, "casework/tasks/new.html", {"form": form, "person": person})
    form = TaskForm(request.POST, workers=workers)
    if form.is_valid():
        data = form.cleaned_data
        try:
            task = actions.followup_create(
                actor=user,
                person=person,
                title=data["title"],
                due_on=data["due_on"],
                assignee=data["assignee"],
                note=data["note"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("casework:task_detail", follow_up_id=task.pk)
    return render(request, "casework/tasks/new.html", {"form": form, "person": person}, status=400)


def _detail(
    request: HttpRequest, task: FollowUp, *, status: int = 200, **forms_: Any
) -> HttpResponse:
    user = acting_user(request)
    if status != 200:
        # A form sent back with errors shows the person again: a read of their record.
        queries.followup_record_read(user=user, task=task)
    may_reassign = queries.may_reassign(user=user, task=task)
    workers = (
        queries.reassignable_workers(actor=user, organisation=task.organisation)
        if may_reassign
        else []
    )
    context = {
        "task": task,
        "person": task.person,
        "overdue": task.status == FollowUpStatus.OPEN and task.due_on < timezone.localdate(),
        "may_work": queries.may_work_on(user=user, task=task),
        "may_reassign": may_reassign,
        "complete_form": forms_.get("complete_form") or CompleteForm(),
        "cancel_form": forms_.get("cancel_form") or CancelForm(),
        "reassign_form": forms_.get("reassign_form")
        or ReassignForm(workers=workers, initial={"assignee": task.assigned_to_id}),
        "assigned_name": _worker_name(task.assigned_to) if task.assigned_to else "",
    }
    return render(request, "casework/tasks/detail.html", context, status=status)


@staff_page
def task_detail(request: HttpRequest, follow_up_id: uuid.UUID) -> HttpResponse:
    task = queries.followup_get(user=acting_user(request), follow_up_id=follow_up_id)
    return _detail(request, task)


@staff_page
@require_POST
def task_complete(request: HttpRequest, follow_up_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    task = queries.followup_get(user=user, follow_up_id=follow_up_id, record_read=False)
    form = CompleteForm(request.POST)
    if form.is_valid():
        try:
            actions.followup_complete(actor=user, follow_up=task, note=form.cleaned_data["note"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("casework:task_list")
    return _detail(request, task, status=400, complete_form=form)


@staff_page
@require_POST
def task_cancel(request: HttpRequest, follow_up_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    task = queries.followup_get(user=user, follow_up_id=follow_up_id, record_read=False)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            actions.followup_cancel(actor=user, follow_up=task, note=form.cleaned_data["note"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("casework:task_list")
    return _detail(request, task, status=400, cancel_form=form)


@staff_page
@require_POST
def task_reassign(request: HttpRequest, follow_up_id: uuid.UUID) -> HttpResponse:
    user = acting_user(request)
    task = queries.followup_get(user=user, follow_up_id=follow_up_id, record_read=False)
    if not queries.may_reassign(user=user, task=task):
        raise PermissionDeniedError(_("Only a supervisor can reassign tasks of their team."))
    workers = queries.reassignable_workers(actor=user, organisation=task.organisation)
    form = ReassignForm(request.POST, workers=workers)
    if form.is_valid():
        try:
            actions.followup_reassign(
                actor=user, follow_up=task, assignee=form.cleaned_data["assignee"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("casework:task_detail", follow_up_id=task.pk)
    return _detail(request, task, status=400, reassign_form=form)
