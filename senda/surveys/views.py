"""Staff pages of surveys: the list, a new survey from its XLSForm, a survey's page (its
questions, imports and KoboToolbox connection) and its design. Results live in
results_views.py."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from senda.accounts.models import User
from senda.accounts.roles import Capability, role_can
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.core.forms import apply_errors
from senda.core.views import staff_page_with
from senda.surveys import actions, queries
from senda.surveys.forms import (
    KoboConnectionForm,
    SubmissionsImportForm,
    SurveyCreateForm,
    SurveyDesignForm,
    SurveyEditForm,
)
from senda.surveys.importers import ImportResult
from senda.surveys.models import SURVEY_DIMENSIONS, Survey
from senda.surveys.xlsform import ANALYSABLE_TYPES

staff_page = staff_page_with("surveys/forbidden.html")


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _check_may_open(user: User) -> None:
    membership = user.active_membership()
    role = membership.role if membership is not None else ""
    if not (
        role_can(role, Capability.AGGREGATES_VIEW) or role_can(role, Capability.SURVEYS_MANAGE)
    ):
        raise PermissionDeniedError(_("Your role does not include survey results."))


def _detail_url(survey: Survey) -> str:
    return reverse("surveys:detail", args=[survey.pk])


def _import_message(result: ImportResult) -> str:
    return _("%(added)s interviews added, %(skipped)s already imported (of %(total)s read).") % {
        "added": result.added,
        "skipped": result.skipped,
        "total": result.total,
    }


@staff_page
def survey_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _check_may_open(user)
    surveys = list(queries.surveys_visible_to(user=user))
    return render(
        request,
        "surveys/list.html",
        {"surveys": surveys, "may_create": queries.may_manage_surveys(user)},
    )


@staff_page
def survey_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    programmes = list(queries.programmes_managed_by(user=user))
    if not programmes:
        raise PermissionDeniedError(
            _("Only the programme officers of a programme's lead organisation add surveys.")
        )
    baselines = list(
        queries.surveys_visible_to(user=user).filter(programme__in=programmes, round="baseline")
    )
    posted = request.method == "POST"
    form = SurveyCreateForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        programmes=programmes,
        baselines=baselines,
        initial={"programme": programmes[0].pk} if len(programmes) == 1 else None,
    )
    if posted and form.is_valid():
        upload = form.cleaned_data["xlsform"]
        try:
            survey = actions.survey_create(
                actor=user,
                programme=form.cleaned_data["programme"],
                name=form.cleaned_data["name"],
                round=form.cleaned_data["round"],
                baseline=form.cleaned_data["baseline"],
                xlsform=upload.read(),
                filename=str(upload.name),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Survey created with %(count)s questions.") % {"count": survey.questions.count()},
            )
            return HttpResponseRedirect(_detail_url(survey))
    return render(request, "surveys/create.html", {"form": form}, status=400 if posted else 200)


def _detail_context(
    request: HttpRequest,
    survey: Survey,
    *,
    import_form: SubmissionsImportForm | None = None,
    kobo_form: KoboConnectionForm | None = None,
) -> dict[str, Any]:
    user = _user(request)
    language = get_language() or ""
    questions = list(queries.survey_questions(user=user, survey=survey))
    manager = queries.may_manage_survey(user=user, survey=survey)
    design_names = {
        survey.weight_question: _("weight"),
        survey.strata_question: _("strata"),
        survey.cluster_question: _("clusters"),
    }
    for key, name in (survey.dimension_questions or {}).items():
        design_names.setdefault(name, str(SURVEY_DIMENSIONS.get(key, key)))
    design_names.pop("", None)
    rows = [
        {
            "question": question,
            "label": question.label(language),
            "choices": [
                question.choice_label(str(choice.get("name")), language)
                for choice in question.choices
            ],
            "stored": question.type in ANALYSABLE_TYPES or question.name in design_names,
            "design": design_names.get(question.name, ""),
        }
        for question in questions
    ]
    return {
        "survey": survey,
        "rows": rows,
        "submission_count": queries.survey_submissions(user=user, survey=survey).count(),
        "manager": manager,
        "import_form": import_form or SubmissionsImportForm(),
        "kobo_form": kobo_form
        or KoboConnectionForm(
            initial={"kobo_url": survey.kobo_url, "kobo_asset_uid": survey.kobo_asset_uid}
        ),
        "results_url": reverse("surveys:results", args=[survey.pk]),
    }


@staff_page
def survey_detail(request: HttpRequest, survey_id: UUID) -> HttpResponse:
    user = _user(request)
    survey = queries.survey_get(user=user, survey_id=survey_id)
    return render(request, "surveys/detail.html", _detail_context(request, survey))


def _managed_survey(request: HttpRequest, survey_id: UUID) -> Survey:
    user = _user(request)
    survey = queries.survey_get(user=user, survey_id=survey_id)
    if not queries.may_manage_survey(user=user, survey=survey):
        raise PermissionDeniedError(
            _(
                "Only the programme officers of the programme's lead organisation manage its "
                "surveys."
            )
        )
    return survey


@staff_page
def survey_edit(request: HttpRequest, survey_id: UUID) -> HttpResponse:
    user = _user(request)
    survey = _managed_survey(request, survey_id)
    baselines = queries.baseline_choices(user=user, programme=survey.programme).exclude(
        pk=survey.pk
    )
    posted = request.method == "POST"
    form = SurveyEditForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        baselines=list(baselines),
        initial={"name": survey.name, "round": survey.round, "baseline": survey.baseline_id},
    )
    if posted and form.is_valid():
        upload = form.cleaned_data["xlsform"]
        try:
            # One step for the analyst: the new name and the new form are saved together.
            with transaction.atomic():
                actions.survey_update(
                    actor=user,
                    survey=survey,
                    name=form.cleaned_data["name"],
                    round=form.cleaned_data["round"],
                    baseline=form.cleaned_data["baseline"],
                )
                if upload:
                    actions.survey_replace_form(
                        actor=user, survey=survey, xlsform=upload.read(), filename=str(upload.name)
                    )
        except ValidationError as error:
            survey.refresh_from_db()
            apply_errors(form, error)
        else:
            messages.success(request, _("Survey saved."))
            return HttpResponseRedirect(_detail_url(survey))
    return render(
        request,
        "surveys/edit.html",
        {"survey": survey, "form": form},
        status=400 if posted else 200,
    )


@staff_page
@require_POST
def survey_import(request: HttpRequest, survey_id: UUID) -> HttpResponse:
    user = _user(request)
    survey = _managed_survey(request, survey_id)
    form = SubmissionsImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = actions.submissions_import(
                actor=user, survey=survey, content=upload.read(), filename=str(upload.name)
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _import_message(result))
            return HttpResponseRedirect(_detail_url(survey))
    context = _detail_context(request, survey, import_form=form)
    return render(request, "surveys/detail.html", context, status=400)


@staff_page
@require_POST
def survey_kobo(request: HttpRequest, survey_id: UUID) -> HttpResponse:
    user = _user(request)
    survey = _managed_survey(request, survey_id)
    form = KoboConnectionForm(request.POST)
    if form.is_valid():
        try:
            actions.survey_set_kobo(
                actor=user,
                survey=survey,
                kobo_url=form.cleaned_data["kobo_url"],
                kobo_asset_uid=form.cleaned_data["kobo_asset_uid"],
                kobo_token=form.cleaned_data["kobo_token"] or "",
            )
        except ValidationError as error:
            survey.refresh_from_db()
            apply_errors(form, error)
        else:
            messages.success(request, _("KoboToolbox connection saved."))
            return HttpResponseRedirect(_detail_url(survey))
    context = _detail_context(request, survey, kobo_form=form)
    return render(request, "surveys/detail.html", context, status=400)


@staff_page
@require_POST
def survey_pull(request: HttpRequest, survey_id: UUID) -> HttpResponse:
    user = _user(request)
    survey = _managed_survey(request, survey_id)
    try:
        result = actions.submissions_pull_kobo(actor=user, survey=survey)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _import_message(result))
    return HttpResponseRedirect(_detail_url(survey))


@staff_page
def survey_design(request: HttpRequest, survey_id: UUID) -> HttpResponse:
    user = _user(request)
    survey = _managed_survey(request, survey_id)
    questions = list(queries.survey_questions(user=user, survey=survey))
    posted = request.method == "POST"
    form = SurveyDesignForm(
        request.POST if posted else None,
        questions=questions,
        language=get_language() or "",
        initial=SurveyDesignForm.initial_for(survey),
    )
    if posted and form.is_valid():
        try:
            actions.survey_set_design(
                actor=user,
                survey=survey,
                weight_question=form.cleaned_data["weight_question"] or "",
                strata_question=form.cleaned_data["strata_question"] or "",
                cluster_question=form.cleaned_data["cluster_question"] or "",
                dimension_questions=form.dimension_questions(),
            )
        except ValidationError as error:
            survey.refresh_from_db()
            apply_errors(form, error)
        else:
            messages.success(request, _("Design saved."))
            return HttpResponseRedirect(_detail_url(survey))
    return render(
        request,
        "surveys/design.html",
        {"survey": survey, "form": form},
        status=400 if posted else 200,
    )
