"""The exports page and its downloads: indicator data and "who does what where" (aggregates,
always suppressed) and pseudonymised record-level data of the user's organisation.

Thin views: the query string or form is checked here, the files are built (and audited) by
``senda.insights.exports``. Bad input answers 400 with the page and its messages, never 500."""

from __future__ import annotations

from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from senda.accounts.models import User
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.views import staff_page_with
from senda.insights import exports
from senda.insights.dashboard_forms import DashboardFilterForm
from senda.insights.engine import Filters, allowed_dimensions, indicators_for
from senda.insights.hxl import HxlTable, csv_chunks, to_csv, to_xlsx
from senda.insights.models import Indicator, Programme
from senda.insights.queries import indicator_get, programme_get, programmes_visible_to
from senda.insights.sources import ALL_DIMENSIONS, DIMENSION_LABELS
from senda.insights.suppression import threshold

FORBIDDEN_TEMPLATE = "insights/exports/forbidden.html"
HOME_TEMPLATE = "insights/exports/home.html"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ALL_INDICATORS = "all"
MAX_DIMENSIONS = 2
WHO_WHAT_WHERE_PARTS = ("activities", "services")

staff_page = staff_page_with(FORBIDDEN_TEMPLATE)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def file_response(
    tables: list[HxlTable], *, file_format: str, filename: str, title: str
) -> HttpResponse | StreamingHttpResponse:
    """One CSV (the tables must share their columns; a single streamed table is sent as it is
    read) or one XLSX with a sheet per table."""
    response: HttpResponse | StreamingHttpResponse
    if file_format == "xlsx":
        content = to_xlsx(tables, notes_title=_("About this file"))
        response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    elif len(tables) == 1:
        response = StreamingHttpResponse(
            csv_chunks(tables[0]), content_type=CONTENT_TYPES[file_format]
        )
    else:
        content = to_csv(exports.combined(tables, title))
        response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_format}"'
    # Exports are personal to who asked (audited, maybe record-level): never cached.
    response["Cache-Control"] = "private, no-store"
    return response


def _programme_from(request: HttpRequest, errors: dict[str, list[str]]) -> Programme | None:
    """The programme named by the query (a 404 outside the user's programmes)."""
    programme_id = request.GET.get("programme", "").strip()
    if not programme_id:
        errors["programme"] = [_("Choose a programme.")]
        return None
    return programme_get(user=_user(request), programme_id=programme_id)  # type: ignore[arg-type]


def _home_context(
    request: HttpRequest,
    *,
    programme: Programme | None = None,
    errors: dict[str, list[str]] | None = None,
    record_errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    user = _user(request)
    programmes = list(programmes_visible_to(user=user))
    can_export_records = exports.may_export_records(user)
    if not programmes and not can_export_records:
        raise PermissionDeniedError(
            _("Your role sees no programme's figures and cannot export records.")
        )
    if programme is None and request.GET.get("programme"):
        try:
            programme = programme_get(
                user=user,
                programme_id=request.GET["programme"],  # type: ignore[arg-type]
            )
        except NotFoundError:
            programme = None
    if programme is None and len(programmes) == 1:
        programme = programmes[0]
    context: dict[str, Any] = {
        "programmes": programmes,
        "programme": programme,
        "errors": errors or {},
        "record_errors": record_errors or {},
        "can_export_records": can_export_records,
        "record_kinds": exports.record_kind_labels().items(),
        "dimensions": [(key, DIMENSION_LABELS[key]) for key in ALL_DIMENSIONS],
        "chosen": request.GET if request.method == "GET" else request.POST,
        "chosen_by": [*request.GET.getlist("by"), "", ""][:MAX_DIMENSIONS],
        "threshold": threshold(),
    }
    if can_export_records:
        context["record_organisation"] = exports.record_export_organisation(user=user)
    if programme is not None:
        default = Filters.default(programme)
        query = request.GET if request.method == "GET" else QueryDict()
        # The dashboard's form renders the engine's filter choices (and keeps what was chosen).
        filter_form = DashboardFilterForm(query, filters=default, granularity="month")
        context.update(
            {
                "indicators": indicators_for(user=user, programme=programme, dashboard_only=False),
                "default_start": default.start,
                "default_end": default.end,
                "choice_filters": filter_form.choice_filters({}),
            }
        )
    return context


def _home(request: HttpRequest, status: int = 200, **kwargs: Any) -> HttpResponse:
    return render(request, HOME_TEMPLATE, _home_context(request, **kwargs), status=status)


@staff_page
@require_GET
def export_home(request: HttpRequest) -> HttpResponse:
    return _home(request)


def _indicators(
    request: HttpRequest, programme: Programme, by: list[str], errors: dict[str, list[str]]
) -> list[Indicator]:
    user = _user(request)
    code = request.GET.get("indicator", "").strip()
    if not code:
        errors["indicator"] = [_("Choose an indicator.")]
        return []
    if code == ALL_INDICATORS:
        chosen = indicators_for(user=user, programme=programme)
        fitting = [
            indicator
            for indicator in chosen
            if all(dimension in allowed_dimensions(indicator) for dimension in by)
        ]
        if chosen and not fitting:
            errors["by"] = [_("No dashboard indicator can be broken down that way.")]
        return fitting
    try:
        return [indicator_get(user=user, programme=programme, code=code)]
    except NotFoundError:
        errors["indicator"] = [
            _("There is no indicator %(code)s in this programme.") % {"code": code}
        ]
        return []


@staff_page
@require_GET
def indicator_export(request: HttpRequest, file_format: str) -> HttpResponseBase:
    """An indicator (or every dashboard indicator) by up to two dimensions, with the HXL row."""
    if file_format not in CONTENT_TYPES:
        raise NotFoundError(file_format)
    errors: dict[str, list[str]] = {}
    programme = _programme_from(request, errors)
    if programme is None:
        return _home(request, status=400, errors=errors)
    filters, filter_errors = Filters.from_query(programme, request.GET)
    errors.update(filter_errors)
    by = [dimension for dimension in request.GET.getlist("by") if dimension.strip()]
    unknown = [dimension for dimension in by if dimension not in DIMENSION_LABELS]
    if unknown:
        errors["by"] = [
            _("Unknown breakdown: %(dimensions)s.") % {"dimensions": ", ".join(unknown)}
        ]
    elif len(by) > MAX_DIMENSIONS or len(set(by)) != len(by):
        errors["by"] = [_("Choose at most two different breakdowns.")]
    indicators = _indicators(request, programme, by, errors) if "by" not in errors else []
    if errors:
        return _home(request, status=400, programme=programme, errors=errors)
    try:
        tables = exports.indicator_export(
            actor=_user(request),
            programme=programme,
            indicators=indicators,
            filters=filters,
            by=by,
            file_format=file_format,
        )
    except ValidationError as error:
        return _home(request, status=400, programme=programme, errors=error.errors)
    code = indicators[0].code if len(indicators) == 1 else ALL_INDICATORS
    filename = "-".join(
        [slugify(programme.slug), code, *by, filters.start.isoformat(), filters.end.isoformat()]
    )
    return file_response(tables, file_format=file_format, filename=filename, title=_("Indicators"))


@staff_page
@require_GET
def who_what_where_export(request: HttpRequest, file_format: str) -> HttpResponseBase:
    """The programme's partners: services by sector and place, activities by area and month.
    An XLSX holds both; a CSV one of them (``part``: activities or services)."""
    if file_format not in CONTENT_TYPES:
        raise NotFoundError(file_format)
    errors: dict[str, list[str]] = {}
    programme = _programme_from(request, errors)
    if programme is None:
        return _home(request, status=400, errors=errors)
    filters, filter_errors = Filters.from_query(programme, request.GET)
    errors.update({key: value for key, value in filter_errors.items() if key in ("start", "end")})
    part = request.GET.get("part", WHO_WHAT_WHERE_PARTS[0])
    if file_format == "csv" and part not in WHO_WHAT_WHERE_PARTS:
        errors["part"] = [_("Choose the activities or the services.")]
    if errors:
        return _home(request, status=400, programme=programme, errors=errors)
    services, activities = exports.who_does_what_where(
        actor=_user(request),
        programme=programme,
        start=filters.start,
        end=filters.end,
        file_format=file_format,
    )
    tables = [services, activities]
    if file_format == "csv":
        tables = [activities] if part == "activities" else [services]
    suffix = "" if file_format == "xlsx" else f"-{part}"
    filename = f"{slugify(programme.slug)}-3w{suffix}-{filters.start}-{filters.end}"
    return file_response(tables, file_format=file_format, filename=filename, title="3W")


@staff_page
@require_POST
def records_export(request: HttpRequest) -> HttpResponseBase:
    """Pseudonymised records of the user's organisation (a POST: it is audited)."""
    user = _user(request)
    # Refused before anything is read: no file, no audit entry.
    organisation = exports.record_export_organisation(user=user)
    file_format = request.POST.get("format", "csv")
    if file_format not in CONTENT_TYPES:
        return _home(request, status=400, record_errors={"format": [_("Choose CSV or XLSX.")]})
    try:
        table = exports.records_export(
            actor=user,
            kind=request.POST.get("kind", ""),
            precision=request.POST.get("precision", exports.DatePrecision.MONTH),
            file_format=file_format,
        )
    except ValidationError as error:
        return _home(request, status=400, record_errors=error.errors)
    filename = "-".join(
        [
            slugify(organisation.slug),
            request.POST.get("kind", "").replace("_", "-"),
            "pseudonymised",
            timezone.localdate().isoformat(),
        ]
    )
    return file_response([table], file_format=file_format, filename=filename, title=table.title)
