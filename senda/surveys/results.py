"""Survey results: design-based estimates of a question, overall and by a dimension, and the
comparison of a follow-up with its baseline (queries: each takes the acting user).

Whoever sees a survey (who sees its programme) sees its results, and only suppressed: a cell
(the respondents of one group who answered the question) with an unweighted n of 1 to
``SENDA_SMALL_NUMBER_THRESHOLD - 1`` shows neither its estimates, nor their intervals, nor its
n; when a single group of a dimension is hidden, the next smallest is hidden too, so that the
hidden one cannot be worked out from the overall n. Nothing here writes.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from django.db.models.fields.json import KT
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from senda.accounts.models import User
from senda.core.errors import ValidationError
from senda.insights import suppression
from senda.surveys.estimation import (
    Design,
    DesignError,
    Difference,
    Estimate,
    category_proportions,
    difference,
    mean,
    option_proportions,
)
from senda.surveys.models import (
    SURVEY_DIMENSIONS,
    Submission,
    Survey,
    SurveyQuestion,
    pick_label,
)
from senda.surveys.queries import survey_get

SELECT_ONE = "select_one"
SELECT_MULTIPLE = "select_multiple"
NUMERIC_TYPES = frozenset({"integer", "decimal", "range", "calculate"})
ANALYSABLE_TYPES = frozenset({SELECT_ONE, SELECT_MULTIPLE}) | NUMERIC_TYPES
# The group of interviews whose dimension question has no answer.
NO_ANSWER = ""

Kind = Literal["proportion", "mean"]


def dimension_label(key: str) -> str:
    """A dimension key as people read it (the key itself for one Senda does not name)."""
    return str(SURVEY_DIMENSIONS.get(key, key))


def label_in_language(labels: dict[str, str], fallback: str) -> str:
    """A form label in the reader's language, else the form's default, else any, else
    ``fallback`` (the one rule of ``pick_label``)."""
    return pick_label(labels, get_language() or "es") or fallback


@dataclass(frozen=True)
class ResultRow:
    """One estimate: a category or option's share, or the question's mean (key "")."""

    key: str
    label: str
    estimate: Estimate | None  # None: nobody answered, or hidden

    @property
    def percent(self) -> bool:
        return self.key != ""


@dataclass(frozen=True)
class ResultGroup:
    """The estimates of one group (a dimension's value, or everyone)."""

    value: str | None  # None = everyone; NO_ANSWER = dimension question not answered
    label: str
    n: int  # respondents of the group who answered the question (0 when hidden)
    hidden: bool
    rows: list[ResultRow]


@dataclass(frozen=True)
class QuestionResults:
    """A question's estimates on the survey's design, overall and by one dimension."""

    survey: Survey
    question: SurveyQuestion
    question_label: str
    kind: Kind
    dimension: str | None
    overall: ResultGroup
    groups: list[ResultGroup]
    threshold: int
    interviews: int  # submissions read
    excluded_without_weight: int  # submissions left out: the weight question is unanswered
    weighted: bool
    stratified: bool
    clustered: bool

    @property
    def any_hidden(self) -> bool:
        return self.overall.hidden or any(group.hidden for group in self.groups)


@dataclass(frozen=True)
class ComparisonRow:
    key: str
    label: str
    baseline: Estimate | None
    follow_up: Estimate | None
    change: Difference | None


@dataclass(frozen=True)
class ComparisonGroup:
    value: str | None
    label: str
    baseline_n: int
    follow_up_n: int
    hidden: bool
    rows: list[ComparisonRow]


@dataclass(frozen=True)
class Comparison:
    """A follow-up survey's estimates beside its baseline's, with the change and its CI."""

    baseline: QuestionResults
    follow_up: QuestionResults
    overall: ComparisonGroup
    groups: list[ComparisonGroup] = field(default_factory=list)

    @property
    def kind(self) -> Kind:
        return self.follow_up.kind


def analysable_questions(*, user: User, survey_id: UUID | str) -> list[SurveyQuestion]:
    """The questions of a survey the user sees that results can be estimated for (choices and
    numbers; not the design's own weight, strata and cluster questions)."""
    survey = survey_get(user=user, survey_id=survey_id)
    return _analysable(survey)


def _analysable(
    survey: Survey, questions: list[SurveyQuestion] | None = None
) -> list[SurveyQuestion]:
    design = {survey.weight_question, survey.strata_question, survey.cluster_question} - {""}
    return [
        question
        for question in (questions if questions is not None else survey.questions.all())
        if question.type in ANALYSABLE_TYPES and question.name not in design
    ]


def question_results(
    *, user: User, survey_id: UUID | str, question_name: str, dimension: str | None = None
) -> QuestionResults:
    """A question's weighted estimates with 95% CIs and design effects, overall and by the
    ``dimension`` (a key of the survey's ``dimension_questions``), small cells hidden."""
    survey = survey_get(user=user, survey_id=survey_id)
    return _question_results(survey, question_name, dimension)


def comparison_results(
    *, user: User, survey_id: UUID | str, question_name: str, dimension: str | None = None
) -> Comparison:
    """A follow-up survey's estimates beside its baseline's (the question of the same name),
    with the difference and its 95% CI (independent samples), small cells hidden."""
    follow_up_survey = survey_get(user=user, survey_id=survey_id)
    if follow_up_survey.baseline_id is None:
        raise ValidationError(
            {"baseline": [_("This survey has no baseline survey to compare with.")]}
        )
    baseline_survey = survey_get(user=user, survey_id=follow_up_survey.baseline_id)
    follow_up = _question_results(follow_up_survey, question_name, dimension)
    if not baseline_survey.questions.filter(name=question_name).exists():
        raise ValidationError(
            {
                "question": [
                    _("The baseline survey has no question named “%(name)s”.")
                    % {"name": question_name}
                ]
            }
        )
    if dimension and dimension not in (baseline_survey.dimension_questions or {}):
        raise ValidationError(
            {
                "dimension": [
                    _("The baseline survey does not map the disaggregation “%(key)s”.")
                    % {"key": dimension}
                ]
            }
        )
    baseline = _question_results(baseline_survey, question_name, dimension)
    overall = _compare_groups(baseline.overall, follow_up.overall)
    baseline_groups = {group.value: group for group in baseline.groups}
    groups = []
    for group in follow_up.groups:
        before = baseline_groups.pop(group.value, None)
        groups.append(_compare_groups(before, group))
    for before in baseline_groups.values():
        groups.append(_compare_groups(before, None))
    return Comparison(baseline=baseline, follow_up=follow_up, overall=overall, groups=groups)


def _compare_groups(before: ResultGroup | None, after: ResultGroup | None) -> ComparisonGroup:
    reference = after or before
    assert reference is not None
    before_rows = {row.key: row for row in before.rows} if before else {}
    after_rows = {row.key: row for row in after.rows} if after else {}
    keys = list(after_rows) + [key for key in before_rows if key not in after_rows]
    hidden = bool((before and before.hidden) or (after and after.hidden))
    rows = []
    for key in keys:
        row_before, row_after = before_rows.get(key), after_rows.get(key)
        estimate_before = row_before.estimate if row_before and not hidden else None
        estimate_after = row_after.estimate if row_after and not hidden else None
        change = (
            difference(estimate_before, estimate_after)
            if estimate_before is not None and estimate_after is not None
            else None
        )
        label = (row_after or row_before).label  # type: ignore[union-attr]
        rows.append(ComparisonRow(key, label, estimate_before, estimate_after, change))
    return ComparisonGroup(
        value=reference.value,
        label=reference.label,
        baseline_n=0 if hidden or before is None else before.n,
        follow_up_n=0 if hidden or after is None else after.n,
        hidden=hidden,
        rows=rows,
    )


def _question_results(survey: Survey, question_name: str, dimension: str | None) -> QuestionResults:
    questions = list(survey.questions.all())
    question = next((q for q in _analysable(survey, questions) if q.name == question_name), None)
    if question is None:
        raise ValidationError(
            {
                "question": [
                    _("This survey has no question named “%(name)s” that can be estimated.")
                    % {"name": question_name}
                ]
            }
        )
    dimension_question: SurveyQuestion | None = None
    if dimension:
        mapped = (survey.dimension_questions or {}).get(dimension)
        if not mapped:
            raise ValidationError(
                {
                    "dimension": [
                        _(
                            "The disaggregation “%(key)s” is not mapped to a question of this "
                            "survey: map it in the survey's design first."
                        )
                        % {"key": dimension}
                    ]
                }
            )
        dimension_question = next((q for q in questions if q.name == mapped), None)
        if dimension_question is None:
            raise ValidationError(
                {
                    "dimension": [
                        _("The disaggregation “%(key)s” names a question the form does not have.")
                        % {"key": dimension}
                    ]
                }
            )

    columns = _read_columns(survey, question.name, dimension_question)
    weights_raw = columns["weight"]
    weight_numbers = [_positive_number(raw) for raw in weights_raw]
    kept = [i for i, weight in enumerate(weight_numbers) if weight is not None]
    excluded = len(weights_raw) - len(kept)
    if not kept:
        raise ValidationError(
            _("No interview can be estimated: none has a valid weight.")
            if survey.weight_question
            else _("This survey has no submissions yet.")
        )

    def pick(values: Sequence[Any]) -> list[Any]:
        return [values[i] for i in kept]

    try:
        design = Design(
            weights=[weight_numbers[i] or 1.0 for i in kept],
            strata=pick(columns["stratum"]) if survey.strata_question else None,
            clusters=(
                # An interview without a cluster is its own PSU.
                [
                    value if value not in (None, "") else f"\0{i}"
                    for i, value in zip(kept, pick(columns["cluster"]), strict=True)
                ]
                if survey.cluster_question
                else None
            ),
        )
    except DesignError as exc:
        raise ValidationError(str(exc)) from exc

    answers_raw = pick(columns["answer"])
    kind: Kind = "mean" if question.type in NUMERIC_TYPES else "proportion"
    estimate_rows, answered = _estimator(question, answers_raw, design)
    threshold = suppression.threshold()

    overall = ResultGroup(None, _("Everyone"), sum(answered), False, estimate_rows(None))
    groups: list[ResultGroup] = []
    if dimension_question is not None:
        dimension_values = [_text(raw) for raw in pick(columns["dimension"])]
        for value, label in _dimension_values(dimension_question, dimension_values):
            domain = [v == value for v in dimension_values]
            n = sum(1 for member, did in zip(domain, answered, strict=True) if member and did)
            if n == 0 and value == NO_ANSWER:
                continue
            groups.append(ResultGroup(value, label, n, False, estimate_rows(domain)))
    overall, groups = _suppress(overall, groups, threshold)

    return QuestionResults(
        survey=survey,
        question=question,
        question_label=label_in_language(question.labels, question.name),
        kind=kind,
        dimension=dimension or None,
        overall=overall,
        groups=groups,
        threshold=threshold,
        interviews=len(weights_raw),
        excluded_without_weight=excluded,
        weighted=bool(survey.weight_question),
        stratified=bool(survey.strata_question),
        clustered=bool(survey.cluster_question),
    )


def _read_columns(
    survey: Survey, question_name: str, dimension_question: SurveyQuestion | None
) -> dict[str, list[Any]]:
    """The few answers the estimate needs from every submission, in one query: each JSON key
    is extracted by the database (KT), so 100,000 submissions do not travel whole."""
    wanted = {
        "answer": question_name,
        "weight": survey.weight_question,
        "stratum": survey.strata_question,
        "cluster": survey.cluster_question,
        "dimension": dimension_question.name if dimension_question else "",
    }
    wanted = {alias: name for alias, name in wanted.items() if name}
    # No ordering: the columns come from the same rows of one query, and sorting costs.
    submissions = Submission.objects.filter(survey=survey).order_by()
    if all("__" not in name for name in wanted.values()):
        rows: Iterable[tuple[Any, ...]] = submissions.annotate(
            **{f"v_{alias}": KT(f"data__{name}") for alias, name in wanted.items()}
        ).values_list(*(f"v_{alias}" for alias in wanted))
    else:
        # A key with "__" cannot be spelt as a lookup: read the answers whole.
        rows = (
            tuple(data.get(name) for name in wanted.values())
            for data in submissions.values_list("data", flat=True)
        )
    columns: dict[str, list[Any]] = {alias: [] for alias in wanted}
    aliases = list(wanted)
    for row in rows:
        for alias, value in zip(aliases, row, strict=True):
            columns[alias].append(value)
    size = len(columns["answer"])
    for alias in ("weight", "stratum", "cluster", "dimension"):
        columns.setdefault(alias, [None] * size)
    if not survey.weight_question:
        columns["weight"] = [1.0] * size
    return columns


def _text(raw: Any) -> str:
    if raw.__class__ is str:
        return raw.strip()  # type: ignore[no-any-return,unused-ignore]
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def _positive_number(raw: Any) -> float | None:
    try:
        number = float(_text(raw)) if not isinstance(raw, int | float) else float(raw)
    except ValueError:
        return None
    return number if math.isfinite(number) and number > 0 else None


def _number(raw: Any) -> float | None:
    try:
        number = float(_text(raw)) if not isinstance(raw, int | float) else float(raw)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _estimator(
    question: SurveyQuestion, answers_raw: list[Any], design: Design
) -> tuple[Callable[[list[bool] | None], list[ResultRow]], list[bool]]:
    """A function estimating the question's rows for a domain (None = everyone), and which
    interviews answered the question."""
    if question.type in NUMERIC_TYPES:
        values = [_number(raw) for raw in answers_raw]
        label = _("Mean")

        def estimate_mean(domain: list[bool] | None) -> list[ResultRow]:
            return [ResultRow("", label, mean(design, values, domain=domain))]

        return estimate_mean, [value is not None for value in values]

    choices = [
        (str(choice.get("name", "")), label_in_language(choice.get("labels") or {}, ""))
        for choice in question.choices or []
    ]
    known = {name for name, _label in choices}
    texts = [_text(raw) for raw in answers_raw]
    if question.type == SELECT_MULTIPLE:
        chosen = [frozenset(text.split()) if text else None for text in texts]
        extra = sorted({option for c in chosen if c for option in c} - known)
    else:
        single = [text or None for text in texts]
        extra = sorted({answer for answer in single if answer} - known)
    # Answers the form's list does not have (a form changed after collection) still count.
    labelled = [(name, label or name) for name, label in choices] + [(e, e) for e in extra]
    names = [name for name, _label in labelled]

    def estimate_shares(domain: list[bool] | None) -> list[ResultRow]:
        if question.type == SELECT_MULTIPLE:
            shares = option_proportions(design, chosen, names, domain=domain)
        else:
            shares = category_proportions(design, single, names, domain=domain)
        return [ResultRow(name, label, shares[name]) for name, label in labelled]

    return estimate_shares, [text != "" for text in texts]


def _dimension_values(question: SurveyQuestion, values: list[str]) -> list[tuple[str, str]]:
    """The groups of a dimension: the question's choices in the form's order, then answers
    not in its list, then those who did not answer it."""
    present = set(values)
    groups: list[tuple[str, str]] = []
    seen: set[str] = set()
    for choice in question.choices or []:
        name = str(choice.get("name", ""))
        if name and name not in seen:
            seen.add(name)
            groups.append((name, label_in_language(choice.get("labels") or {}, name)))
    groups += [(value, value) for value in sorted(present - seen - {NO_ANSWER})]
    groups.append((NO_ANSWER, _("No answer")))
    return groups


def _suppress(
    overall: ResultGroup, groups: list[ResultGroup], threshold: int
) -> tuple[ResultGroup, list[ResultGroup]]:
    """Hide the groups (and the overall figures) with 1 to threshold-1 respondents, plus what
    would give a hidden group away: the groups' n add up to the overall n (senda.insights'
    one suppression rule, on the unweighted n)."""
    total: suppression.Key = (suppression.TOTAL,)
    figures = {total: suppression.Figure(overall.n, overall.n)}
    for group in groups:
        # Prefixed: the "no answer" group's value is "", which the rule reserves for totals.
        figures[(f"group:{group.value}",)] = suppression.Figure(group.n, group.n)
    hidden = suppression.suppress_counts(figures, dimensions=1 if groups else 0, limit=threshold)
    return (
        _hidden(overall) if total in hidden else overall,
        [_hidden(g) if (f"group:{g.value}",) in hidden else g for g in groups],
    )


def _hidden(group: ResultGroup) -> ResultGroup:
    return ResultGroup(
        group.value,
        group.label,
        0,
        True,
        [ResultRow(row.key, row.label, None) for row in group.rows],
    )


def results_csv(results: QuestionResults) -> str:
    """The results table as CSV (suppressed: a hidden cell is empty with ``hidden`` = 1)."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(
        [
            "survey",
            "question",
            "dimension",
            "group",
            "answer",
            "estimate",
            "ci_low",
            "ci_high",
            "standard_error",
            "design_effect",
            "unweighted_n",
            "hidden",
        ]
    )
    for group in [results.overall, *results.groups]:
        for row in group.rows:
            estimate = row.estimate
            writer.writerow(
                [
                    _safe(results.survey.name),
                    _safe(results.question.name),
                    results.dimension or "",
                    _safe("" if group.value is None else (group.value or _("No answer"))),
                    _safe(row.key),
                    _format(estimate.estimate if estimate else None),
                    _format(estimate.ci_low if estimate else None),
                    _format(estimate.ci_high if estimate else None),
                    _format(estimate.se if estimate else None),
                    _format(estimate.deff if estimate else None),
                    "" if group.hidden else group.n,
                    1 if group.hidden else 0,
                ]
            )
    return output.getvalue()


def comparison_csv(found: Comparison) -> str:
    """The comparison table as CSV (suppressed: a hidden cell is empty with ``hidden`` = 1)."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(
        [
            "question",
            "dimension",
            "group",
            "answer",
            "baseline_estimate",
            "baseline_ci_low",
            "baseline_ci_high",
            "baseline_unweighted_n",
            "follow_up_estimate",
            "follow_up_ci_low",
            "follow_up_ci_high",
            "follow_up_unweighted_n",
            "difference",
            "difference_se",
            "difference_ci_low",
            "difference_ci_high",
            "hidden",
        ]
    )
    for group in [found.overall, *found.groups]:
        for row in group.rows:
            before, after, change = row.baseline, row.follow_up, row.change
            writer.writerow(
                [
                    _safe(found.follow_up.question.name),
                    found.follow_up.dimension or "",
                    _safe("" if group.value is None else (group.value or _("No answer"))),
                    _safe(row.key),
                    _format(before.estimate if before else None),
                    _format(before.ci_low if before else None),
                    _format(before.ci_high if before else None),
                    "" if group.hidden else group.baseline_n,
                    _format(after.estimate if after else None),
                    _format(after.ci_low if after else None),
                    _format(after.ci_high if after else None),
                    "" if group.hidden else group.follow_up_n,
                    _format(change.difference if change else None),
                    _format(change.se if change else None),
                    _format(change.ci_low if change else None),
                    _format(change.ci_high if change else None),
                    1 if group.hidden else 0,
                ]
            )
    return output.getvalue()


def _safe(text: str) -> str:
    """Text a spreadsheet would run as a formula is written as text (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _format(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"
