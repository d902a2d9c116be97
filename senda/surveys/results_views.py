"""A survey's results pages: a question's weighted estimates overall and by a disaggregation,
the comparison of a follow-up with its baseline, their CSV downloads and a printable page.

Read-only for everyone who sees the survey (programme viewers included); every figure comes
suppressed from senda.surveys.results."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from senda.accounts.models import User
from senda.core.errors import ValidationError
from senda.core.views import staff_page_with
from senda.surveys import results as survey_results
from senda.surveys.estimation import Estimate
from senda.surveys.models import Survey, SurveyQuestion
from senda.surveys.queries import survey_get

staff_page = staff_page_with("core/forbidden.html")

TEMPLATES = "surveys/results/"

# SVG geometry, in viewBox units (the SVG scales to its container).
CHART_WIDTH = 360
CHART_LABEL_WIDTH = 130
CHART_ROW_HEIGHT = 30
CHART_BAR_HEIGHT = 14


class ResultsForm(forms.Form):
    """Which question, by which disaggregation."""

    question = forms.ChoiceField(label=gettext_lazy("Question"))
    dimension = forms.ChoiceField(label=gettext_lazy("Disaggregation"), required=False)

    def __init__(
        self, data: Any, *, questions: list[SurveyQuestion], dimensions: list[str]
    ) -> None:
        super().__init__(data)
        question_field = self.fields["question"]
        dimension_field = self.fields["dimension"]
        assert isinstance(question_field, forms.ChoiceField)
        assert isinstance(dimension_field, forms.ChoiceField)
        question_field.choices = [
            (q.name, survey_results.label_in_language(q.labels, q.name)) for q in questions
        ]
        dimension_field.choices = [("", _("None (everyone)"))] + [
            (key, survey_results.dimension_label(key)) for key in dimensions
        ]


def _choose(
    request: HttpRequest, survey: Survey, user: User
) -> tuple[ResultsForm, str | None, str | None]:
    """The form and the chosen question and dimension (the first question when none is
    chosen). An unknown choice is left to the query, which says what is wrong."""
    questions = survey_results.analysable_questions(user=user, survey_id=survey.pk)
    dimensions = sorted(survey.dimension_questions or {})
    form = ResultsForm(request.GET or None, questions=questions, dimensions=dimensions)
    question = request.GET.get("question") or (questions[0].name if questions else None)
    dimension = request.GET.get("dimension") or None
    return form, question, dimension


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@require_safe  # read-only pages: nothing here changes anything
@staff_page
def results(request: HttpRequest, survey_id: UUID) -> HttpResponse:
    """A question's estimates with 95% CIs, design effects and n, by a disaggregation."""
    return _results_page(request, survey_id, template="results.html")


@require_safe  # read-only pages: nothing here changes anything
@staff_page
def results_print(request: HttpRequest, survey_id: UUID) -> HttpResponse:
    """The same results laid out for paper (no form, no menu)."""
    return _results_page(request, survey_id, template="print.html")


def _results_page(request: HttpRequest, survey_id: UUID, *, template: str) -> HttpResponse:
    user = _user(request)
    survey = survey_get(user=user, survey_id=survey_id)
    form, question, dimension = _choose(request, survey, user)
    context: dict[str, Any] = {"survey": survey, "form": form, "query": request.GET.urlencode()}
    if question is None:
        context["errors"] = [_("This survey has no question whose results can be estimated.")]
        return render(request, TEMPLATES + template, context)
    try:
        found = survey_results.question_results(
            user=user, survey_id=survey.pk, question_name=question, dimension=dimension
        )
    except ValidationError as exc:
        context["errors"] = exc.messages
        return render(request, TEMPLATES + template, context, status=400)
    context.update(
        {
            "results": found,
            "table": _table(found),
            "chart": _chart(found),
            "dimension_label": survey_results.dimension_label(dimension) if dimension else "",
        }
    )
    return render(request, TEMPLATES + template, context)


@require_safe  # read-only pages: nothing here changes anything
@staff_page
def results_csv(request: HttpRequest, survey_id: UUID) -> HttpResponse:
    """The results table as CSV, suppressed like the page."""
    user = _user(request)
    survey = survey_get(user=user, survey_id=survey_id)
    try:
        found = survey_results.question_results(
            user=user,
            survey_id=survey.pk,
            question_name=request.GET.get("question", ""),
            dimension=request.GET.get("dimension") or None,
        )
    except ValidationError as exc:
        return HttpResponse(
            "\n".join(exc.messages), status=400, content_type="text/plain; charset=utf-8"
        )
    response = HttpResponse(
        survey_results.results_csv(found), content_type="text/csv; charset=utf-8"
    )
    filename = slugify(f"{survey.name}-{found.question.name}-{found.dimension or 'all'}")
    response["Content-Disposition"] = f'attachment; filename="{filename or "results"}.csv"'
    return response


@require_safe  # read-only pages: nothing here changes anything
@staff_page
def comparison(request: HttpRequest, survey_id: UUID) -> HttpResponse:
    """A follow-up's estimates beside its baseline's, with the change and its 95% CI."""
    user = _user(request)
    survey = survey_get(user=user, survey_id=survey_id)
    form, question, dimension = _choose(request, survey, user)
    context: dict[str, Any] = {"survey": survey, "form": form, "query": request.GET.urlencode()}
    if question is None:
        context["errors"] = [_("This survey has no question whose results can be estimated.")]
        return render(request, TEMPLATES + "comparison.html", context)
    try:
        found = survey_results.comparison_results(
            user=user, survey_id=survey.pk, question_name=question, dimension=dimension
        )
    except ValidationError as exc:
        context["errors"] = exc.messages
        return render(request, TEMPLATES + "comparison.html", context, status=400)
    context.update(
        {
            "comparison": found,
            "table": _comparison_table(found),
            "dimension_label": survey_results.dimension_label(dimension) if dimension else "",
        }
    )
    return render(request, TEMPLATES + "comparison.html", context)


@require_safe  # read-only pages: nothing here changes anything
@staff_page
def comparison_csv(request: HttpRequest, survey_id: UUID) -> HttpResponse:
    """The comparison table as CSV, suppressed like the page."""
    user = _user(request)
    survey = survey_get(user=user, survey_id=survey_id)
    try:
        found = survey_results.comparison_results(
            user=user,
            survey_id=survey.pk,
            question_name=request.GET.get("question", ""),
            dimension=request.GET.get("dimension") or None,
        )
    except ValidationError as exc:
        return HttpResponse(
            "\n".join(exc.messages), status=400, content_type="text/plain; charset=utf-8"
        )
    response = HttpResponse(
        survey_results.comparison_csv(found), content_type="text/csv; charset=utf-8"
    )
    filename = slugify(f"{survey.name}-{found.follow_up.question.name}-comparison")
    response["Content-Disposition"] = f'attachment; filename="{filename or "comparison"}.csv"'
    return response


# Presentation: figures as people read them.


def _figure(value: float | None, *, percent: bool) -> str:
    if value is None:
        return ""
    if percent:
        return _("%(number)s%%") % {"number": _rounded(value * 100, 1)}
    return _rounded(value, 2)


def _rounded(value: float, places: int) -> str:
    """Rounded, then formatted for the active language (number_format alone truncates)."""
    return number_format(round(value, places), decimal_pos=places, force_grouping=True)


def _cells(estimate: Estimate | None, *, percent: bool) -> dict[str, str]:
    if estimate is None:
        return {}
    return {
        "estimate": _figure(estimate.estimate, percent=percent),
        "ci": _("%(low)s – %(high)s")
        % {
            "low": _figure(estimate.ci_low, percent=percent),
            "high": _figure(estimate.ci_high, percent=percent),
        },
        "deff": _rounded(estimate.deff, 2) if estimate.deff is not None else "—",
    }


def _table(found: survey_results.QuestionResults) -> list[dict[str, Any]]:
    """Rows for the template: one per group and answer."""
    hidden_text = _("<%(threshold)d") % {"threshold": found.threshold}
    rows = []
    for group in [found.overall, *found.groups]:
        for index, row in enumerate(group.rows):
            rows.append(
                {
                    "group": group.label,
                    "first": index == 0,
                    "span": len(group.rows),
                    "answer": row.label,
                    "hidden": group.hidden,
                    "hidden_text": hidden_text,
                    "n": group.n,
                    "cells": _cells(row.estimate, percent=row.percent),
                }
            )
    return rows


def _comparison_table(found: survey_results.Comparison) -> list[dict[str, Any]]:
    hidden_text = _("<%(threshold)d") % {"threshold": found.follow_up.threshold}
    percent = found.kind == "proportion"
    rows = []
    for group in [found.overall, *found.groups]:
        for index, row in enumerate(group.rows):
            change = row.change
            rows.append(
                {
                    "group": group.label,
                    "first": index == 0,
                    "span": len(group.rows),
                    "answer": row.label,
                    "hidden": group.hidden,
                    "hidden_text": hidden_text,
                    "baseline_n": group.baseline_n,
                    "follow_up_n": group.follow_up_n,
                    "baseline": _cells(row.baseline, percent=percent),
                    "follow_up": _cells(row.follow_up, percent=percent),
                    "change": (
                        {
                            "estimate": _signed(change.difference, percent=percent),
                            "ci": _("%(low)s – %(high)s")
                            % {
                                "low": _signed(change.ci_low, percent=percent, unit=False),
                                "high": _signed(change.ci_high, percent=percent, unit=False),
                            },
                            # The interval excludes zero: a change at the 5% level.
                            "significant": change.ci_low > 0 or change.ci_high < 0,
                        }
                        if change is not None
                        else None
                    ),
                }
            )
    return rows


def _signed(value: float, *, percent: bool, unit: bool = True) -> str:
    """A change with its sign; shares change by percentage points."""
    number = _rounded(value * 100, 1) if percent else _rounded(value, 2)
    text = _("%(number)s points") % {"number": number} if percent and unit else number
    return "+" + text if value > 0 else text


def _chart(found: survey_results.QuestionResults) -> dict[str, Any] | None:
    """Horizontal bars with 95% CI whiskers for the overall shares (or the means by group),
    drawn server-side as SVG; hidden cells are drawn as a hatched mark, never a length."""
    if found.kind == "proportion":
        group = found.overall
        items = [(row.label, row.estimate, group.hidden) for row in group.rows]
        percent = True
        caption = _("Everyone who answered: share of each answer, with its 95% CI.")
    else:
        groups = [found.overall, *found.groups]
        items = [(g.label, g.rows[0].estimate if g.rows else None, g.hidden) for g in groups]
        percent = False
        caption = _("Mean with its 95% CI.")
    title = found.question_label
    values = [e for _label, e, _hidden in items if e is not None]
    if not values:
        return None
    top = 1.0 if percent else max(max(e.ci_high for e in values), 1e-9)
    plot_width = CHART_WIDTH - CHART_LABEL_WIDTH - 50
    hidden_text = _("<%(threshold)d") % {"threshold": found.threshold}
    bars = []
    for index, (label, estimate, hidden) in enumerate(items):
        y = index * CHART_ROW_HEIGHT + 8
        bar: dict[str, Any] = {
            "label": label if len(label) <= 20 else label[:19] + "…",
            "full_label": label,
            "y": y,
            "text_y": y + CHART_BAR_HEIGHT - 3,
            "middle_y": y + CHART_BAR_HEIGHT / 2,
            "hidden": hidden,
            "hidden_text": hidden_text,
        }
        if estimate is not None and not hidden:
            scale = plot_width / top
            bar.update(
                {
                    "width": round(max(estimate.estimate, 0) * scale, 2),
                    "low": round(CHART_LABEL_WIDTH + max(estimate.ci_low, 0) * scale, 2),
                    "high": round(CHART_LABEL_WIDTH + max(estimate.ci_high, 0) * scale, 2),
                    "value_x": round(CHART_LABEL_WIDTH + max(estimate.ci_high, 0) * scale + 4, 2),
                    "value": _figure(estimate.estimate, percent=percent),
                }
            )
        bars.append(bar)
    return {
        "title": title,
        "caption": caption,
        "bars": bars,
        "width": CHART_WIDTH,
        "height": len(items) * CHART_ROW_HEIGHT + 12,
        "label_width": CHART_LABEL_WIDTH,
        "label_x": CHART_LABEL_WIDTH - 6,
        "bar_height": CHART_BAR_HEIGHT,
    }
