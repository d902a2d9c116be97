"""Every write to surveys: creating one from its XLSForm, naming its design, connecting it to
KoboToolbox and importing its submissions."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from senda.core.audit import audit
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.surveys import kobo
from senda.surveys.importers import (
    FormIndex,
    ImportResult,
    NewSubmission,
    ParsedSubmissions,
    Table,
    parse_submissions,
    read_file,
    records_table,
)
from senda.surveys.models import (
    SURVEY_DIMENSIONS,
    Submission,
    Survey,
    SurveyQuestion,
    SurveyRound,
)
from senda.surveys.queries import may_manage_survey, programmes_managed_by
from senda.surveys.xlsform import ParsedForm, parse_xlsform

if TYPE_CHECKING:
    from senda.accounts.models import User
    from senda.insights.models import Programme

# Which questions the design may name: weights are numbers; strata, clusters and dimensions
# are codes or categories (a text question is allowed for a cluster code typed by the
# interviewer; naming it keeps its answers, which the page says).
WEIGHT_TYPES = frozenset({"integer", "decimal", "range", "calculate"})
GROUPING_TYPES = frozenset({"select_one", "integer", "calculate", "text"})
_ASSET_UID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


def _check_manager(actor: User, survey: Survey) -> None:
    if not may_manage_survey(user=actor, survey=survey):
        raise PermissionDeniedError(
            _(
                "Only the programme officers of the programme's lead organisation manage its "
                "surveys."
            )
        )


def _question_rows(survey: Survey, form: ParsedForm) -> list[SurveyQuestion]:
    return [
        SurveyQuestion(
            survey=survey,
            name=spec.name,
            path=spec.path,
            type=spec.type,
            list_name=spec.list_name,
            labels=spec.labels,
            choices=spec.choices,
            position=spec.position,
        )
        for spec in form.questions
    ]


def _check_baseline(
    *, programme: Programme, round: str, baseline: Survey | None, survey: Survey | None = None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if round not in SurveyRound.values:
        errors["round"] = [_("Choose baseline or follow-up.")]
    if baseline is not None:
        if round != SurveyRound.FOLLOW_UP:
            errors["baseline"] = [_("Only a follow-up survey is compared with a baseline.")]
        elif baseline.programme_id != programme.pk or baseline.round != SurveyRound.BASELINE:
            errors["baseline"] = [_("Choose a baseline survey of the same programme.")]
        elif survey is not None and baseline.pk == survey.pk:
            errors["baseline"] = [_("A survey cannot be its own baseline.")]
    return errors


@transaction.atomic
def survey_create(
    *,
    actor: User,
    programme: Programme,
    name: str,
    round: str,
    xlsform: bytes,
    filename: str,
    baseline: Survey | None = None,
) -> Survey:
    """A new survey of ``programme`` from its XLSForm (validated by pyxform: a broken form is
    a ValidationError on ``xlsform`` naming the sheet, row and column)."""
    if not programmes_managed_by(user=actor).filter(pk=programme.pk).exists():
        raise PermissionDeniedError(
            _("Only the programme officers of the programme's lead organisation add surveys.")
        )
    errors = _check_baseline(programme=programme, round=round, baseline=baseline)
    name = name.strip()
    if not name:
        errors["name"] = [_("Give the survey a name.")]
    try:
        form = parse_xlsform(xlsform, filename)
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    survey = Survey.objects.create(
        programme=programme,
        name=name[:200],
        round=round,
        baseline=baseline,
        form_id=form.form_id,
        form_version=form.form_version,
        form_title=form.form_title,
        xlsform=xlsform,
        xlsform_filename=filename[-255:],
        form_json=form.form_json,
        created_by=actor,
    )
    SurveyQuestion.objects.bulk_create(_question_rows(survey, form))
    audit(
        actor=actor,
        action="surveys.survey_create",
        obj=survey,
        organisation=programme.lead,
        details={
            "programme": programme.slug,
            "form_id": form.form_id,
            "form_version": form.form_version,
            "questions": len(form.questions),
        },
    )
    return survey


@transaction.atomic
def survey_update(
    *, actor: User, survey: Survey, name: str, round: str, baseline: Survey | None = None
) -> Survey:
    """Rename ``survey`` or change its round and baseline."""
    _check_manager(actor, survey)
    errors = _check_baseline(
        programme=survey.programme, round=round, baseline=baseline, survey=survey
    )
    name = name.strip()
    if not name:
        errors["name"] = [_("Give the survey a name.")]
    if errors:
        raise ValidationError(errors)
    survey.name, survey.round, survey.baseline = name[:200], round, baseline
    survey.save(update_fields=["name", "round", "baseline", "updated_at"])
    audit(
        actor=actor,
        action="surveys.survey_update",
        obj=survey,
        organisation=survey.programme.lead,
        details={"round": round, "baseline": str(baseline.pk) if baseline else ""},
    )
    return survey


@transaction.atomic
def survey_replace_form(*, actor: User, survey: Survey, xlsform: bytes, filename: str) -> Survey:
    """A new version of the survey's form: its questions are replaced; submissions stay, and
    design choices naming a question the new form lacks are cleared."""
    _check_manager(actor, survey)
    form = parse_xlsform(xlsform, filename)
    names = {spec.name for spec in form.questions}
    survey.form_id, survey.form_version = form.form_id, form.form_version
    survey.form_title, survey.form_json = form.form_title, form.form_json
    survey.xlsform, survey.xlsform_filename = xlsform, filename[-255:]
    for attribute in ("weight_question", "strata_question", "cluster_question"):
        if getattr(survey, attribute) not in names:
            setattr(survey, attribute, "")
    survey.dimension_questions = {
        key: question for key, question in survey.dimension_questions.items() if question in names
    }
    survey.save()
    SurveyQuestion.objects.filter(survey=survey).delete()
    SurveyQuestion.objects.bulk_create(_question_rows(survey, form))
    audit(
        actor=actor,
        action="surveys.survey_replace_form",
        obj=survey,
        organisation=survey.programme.lead,
        details={"form_version": form.form_version, "questions": len(form.questions)},
    )
    return survey


@transaction.atomic
def survey_set_design(
    *,
    actor: User,
    survey: Survey,
    weight_question: str,
    strata_question: str,
    cluster_question: str,
    dimension_questions: dict[str, str],
) -> Survey:
    """Name the questions holding the weights, strata and clusters (primary sampling units),
    and the question behind each dimension results are broken down by ("" = none)."""
    _check_manager(actor, survey)
    types = dict(SurveyQuestion.objects.filter(survey=survey).values_list("name", "type"))
    errors: dict[str, list[str]] = {}

    def check(field: str, question: str, allowed: frozenset[str]) -> None:
        if question and types.get(question) not in allowed:
            errors[field] = [
                _("'%(question)s' is not a question of the form that can be used here.")
                % {"question": question}
            ]

    check("weight_question", weight_question, WEIGHT_TYPES)
    check("strata_question", strata_question, GROUPING_TYPES)
    check("cluster_question", cluster_question, GROUPING_TYPES)
    dimensions: dict[str, str] = {}
    for key, question in dimension_questions.items():
        if not question:
            continue
        if key not in SURVEY_DIMENSIONS:
            errors.setdefault("dimension_questions", []).append(
                _("'%(key)s' is not a dimension.") % {"key": key}
            )
            continue
        check(f"dimension_{key}", question, GROUPING_TYPES)
        dimensions[key] = question
    if errors:
        raise ValidationError(errors)
    survey.weight_question = weight_question
    survey.strata_question = strata_question
    survey.cluster_question = cluster_question
    survey.dimension_questions = dimensions
    survey.save(
        update_fields=[
            "weight_question",
            "strata_question",
            "cluster_question",
            "dimension_questions",
            "updated_at",
        ]
    )
    audit(
        actor=actor,
        action="surveys.survey_set_design",
        obj=survey,
        organisation=survey.programme.lead,
        details={
            "weight": weight_question,
            "strata": strata_question,
            "cluster": cluster_question,
            "dimensions": dimensions,
        },
    )
    return survey


@transaction.atomic
def survey_set_kobo(
    *, actor: User, survey: Survey, kobo_url: str, kobo_asset_uid: str, kobo_token: str = ""
) -> Survey:
    """Where to pull the survey's submissions from: a KoboToolbox server, the form's asset
    uid and an API token (kept encrypted; blank keeps the one stored). A different server or
    form starts the next pull from the beginning."""
    _check_manager(actor, survey)
    kobo_url, kobo_asset_uid = kobo_url.strip().rstrip("/"), kobo_asset_uid.strip()
    errors: dict[str, list[str]] = {}
    if problem := kobo.server_url_problem(kobo_url):
        errors["kobo_url"] = [problem]
    if not _ASSET_UID.match(kobo_asset_uid):
        errors["kobo_asset_uid"] = [
            _("Enter the form's id as KoboToolbox shows it in its address (such as aBcD123).")
        ]
    if not kobo_token.strip() and not survey.kobo_token:
        errors["kobo_token"] = [_("Enter the API token of a KoboToolbox account.")]
    if errors:
        raise ValidationError(errors)
    if (kobo_url, kobo_asset_uid) != (survey.kobo_url, survey.kobo_asset_uid):
        survey.kobo_last_submission_time = None
    survey.kobo_url, survey.kobo_asset_uid = kobo_url, kobo_asset_uid
    if kobo_token.strip():
        survey.kobo_token = kobo_token.strip()
    survey.save(
        update_fields=[
            "kobo_url",
            "kobo_asset_uid",
            "kobo_token",
            "kobo_last_submission_time",
            "updated_at",
        ]
    )
    audit(
        actor=actor,
        action="surveys.survey_set_kobo",
        obj=survey,
        organisation=survey.programme.lead,
        details={
            "server": kobo_url,
            "asset_uid": kobo_asset_uid,
            "token_changed": bool(kobo_token.strip()),
        },
    )
    return survey


def _insert_submissions(survey: Survey, items: list[NewSubmission], imported_at: datetime) -> None:
    """Insert the new submissions: PostgreSQL's COPY, elsewhere one prepared statement run
    for every row. Written below the ORM on purpose: a model instance per row cost two thirds of a
    100,000-interview import, and PostgreSQL takes COPY many times faster than INSERTs (see
    bench/survey_import_bench.py). The rows are those ``bulk_create`` would write."""
    meta = Submission._meta
    by_name = {field.name: field for field in meta.concrete_fields}
    fields = [
        by_name[name] for name in ("survey", "instance_id", "submitted_at", "data", "imported_at")
    ]
    quote = connection.ops.quote_name
    # Table and column names come from the model, never from input.
    table = quote(meta.db_table)
    columns = ", ".join(quote(str(field.column)) for field in fields)
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for item in items:
                copy.write_row(
                    (
                        survey.pk,
                        item.instance_id,
                        item.submitted_at,
                        json.dumps(item.data),
                        imported_at,
                    )
                )
        return
    statement = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s)"  # noqa: S608
    survey_value = fields[0].get_db_prep_save(survey.pk, connection)
    imported_value = fields[4].get_db_prep_save(imported_at, connection)
    operations = connection.ops
    with connection.cursor() as cursor:
        # The backend's own conversions, as the fields would call them (a datetime in UTC, the
        # answers as JSON), without the field's per-value checks.
        cursor.executemany(
            statement,
            [
                (
                    survey_value,
                    item.instance_id,
                    operations.adapt_datetimefield_value(item.submitted_at),
                    operations.adapt_json_value(item.data, None),
                    imported_value,
                )
                for item in items
            ],
        )


def _read_and_store(survey: Survey, table: Table, imported_at: datetime) -> ParsedSubmissions:
    index = FormIndex(survey, SurveyQuestion.objects.filter(survey=survey).order_by("position"))
    existing = set(Submission.objects.filter(survey=survey).values_list("instance_id", flat=True))
    if connection.vendor != "sqlite":
        return parse_submissions(
            table=table,
            index=index,
            existing_ids=existing,
            store=lambda batch: _insert_submissions(survey, batch, imported_at),
        )
    # SQLite has one writer at a time, from its first write to the commit: the interviews are
    # all checked before the first is written, so other staff wait seconds, not the whole read.
    checked: list[NewSubmission] = []
    parsed = parse_submissions(
        table=table, index=index, existing_ids=existing, store=checked.extend
    )
    _insert_submissions(survey, checked, imported_at)
    return parsed


def _finish(
    *,
    actor: User,
    survey: Survey,
    parsed: ParsedSubmissions,
    source: str,
    action: str,
    now: datetime,
) -> ImportResult:
    """Record on the survey and in the audit trail what an import did."""
    result = ImportResult(added=parsed.added, skipped=parsed.skipped, total=parsed.total)
    survey.last_import_at = now
    survey.last_import_source = source[-255:]
    survey.last_import_added, survey.last_import_skipped = result.added, result.skipped
    fields = [
        "last_import_at",
        "last_import_source",
        "last_import_added",
        "last_import_skipped",
        "updated_at",
    ]
    if action == "surveys.submissions_pull_kobo" and parsed.latest_submitted_at is not None:
        previous = survey.kobo_last_submission_time
        if previous is None or parsed.latest_submitted_at > previous:
            survey.kobo_last_submission_time = parsed.latest_submitted_at
        fields.append("kobo_last_submission_time")
    survey.save(update_fields=fields)
    audit(
        actor=actor,
        action=action,
        obj=survey,
        organisation=survey.programme.lead,
        details={
            "source": source[-255:],
            "added": result.added,
            "skipped": result.skipped,
            "rows": result.total,
        },
    )
    return result


def _lock(survey: Survey) -> None:
    # One import of a survey at a time: the ids read as "already there" must stay true until
    # the new rows are written. The caller's object is brought up to date (and then updated)
    # so that it tells what the import did.
    Survey.objects.select_for_update().filter(pk=survey.pk).values_list("pk").first()
    survey.refresh_from_db()


@transaction.atomic
def submissions_import(
    *, actor: User, survey: Survey, content: bytes, filename: str
) -> ImportResult:
    """Add the interviews of a KoboToolbox or ODK export (CSV or XLSX) not imported yet.
    Every answer is checked against the form first: a wrong one refuses the file (a
    ValidationError on ``file`` with its row and column) and nothing is saved."""
    _check_manager(actor, survey)
    _lock(survey)
    table = read_file(content, filename)
    now = timezone.now()
    # On PostgreSQL rows are stored as they are read; a wrong answer further down raises, and
    # this action's transaction takes them all back.
    parsed = _read_and_store(survey, table, now)
    return _finish(
        actor=actor,
        survey=survey,
        parsed=parsed,
        source=filename,
        action="surveys.submissions_import",
        now=now,
    )


def submissions_pull_kobo(*, actor: User, survey: Survey) -> ImportResult:
    """Pull from KoboToolbox the interviews submitted since the last pull and add those not
    imported yet. Every page is read before the transaction opens (no lock is held while the
    server answers); a failure is a ValidationError on ``kobo`` and nothing is saved."""
    _check_manager(actor, survey)
    survey.refresh_from_db()  # the connection and last time as stored, not as first read
    if not survey.kobo_configured:
        raise ValidationError(
            {"kobo": [_("Connect the survey to KoboToolbox first (server, form id and token).")]}
        )
    try:
        records = kobo.fetch_submissions(
            server=survey.kobo_url,
            asset_uid=survey.kobo_asset_uid,
            token=survey.kobo_token,
            since=survey.kobo_last_submission_time,
        )
    except kobo.KoboError as exc:
        raise ValidationError({"kobo": [str(exc)]}) from exc
    with transaction.atomic():
        _lock(survey)
        now = timezone.now()
        if not records:
            parsed = ParsedSubmissions(added=0, skipped=0, total=0)
        else:
            try:
                parsed = _read_and_store(survey, records_table(records), now)
            except ValidationError as exc:
                raise ValidationError({"kobo": exc.messages}) from exc
        return _finish(
            actor=actor,
            survey=survey,
            parsed=parsed,
            source=f"{survey.kobo_url} ({survey.kobo_asset_uid})",
            action="surveys.submissions_pull_kobo",
            now=now,
        )
