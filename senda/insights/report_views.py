"""Donor report pages: choose a programme and period, read the figures (always suppressed: the
report goes to donors) with the officer's narrative, save the narrative, print it or download
it as XLSX. Thin: the figures come from ``report_queries``, writes from ``report_actions``."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from senda.accounts.models import User
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.core.views import staff_page_with
from senda.insights import report_actions
from senda.insights.export_views import CONTENT_TYPES
from senda.insights.models import Programme
from senda.insights.queries import programme_get, programmes_visible_to
from senda.insights.report_queries import (
    NARRATIVE_FIELDS,
    donor_report_get,
    last_full_quarter,
    narrative_labels,
    report_period,
    report_xlsx,
)

FORBIDDEN_TEMPLATE = "insights/reports/forbidden.html"
staff_page = staff_page_with(FORBIDDEN_TEMPLATE)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _programme(request: HttpRequest, programme_id: int) -> Programme:
    return programme_get(user=_user(request), programme_id=programme_id)


def report_url(name: str, programme: Programme, start: datetime.date, end: datetime.date) -> str:
    query = urlencode({"start": start.isoformat(), "end": end.isoformat()})
    return f"{reverse(f'insights:{name}', args=[programme.pk])}?{query}"


def _links(programme: Programme, start: datetime.date, end: datetime.date) -> dict[str, str]:
    return {
        name: report_url(name, programme, start, end)
        for name in ("report", "report_print", "report_xlsx")
    }


@staff_page
@require_GET
def report_home(request: HttpRequest) -> HttpResponse:
    """The programmes whose report the user may read, with the last full quarter's link."""
    programmes = list(programmes_visible_to(user=_user(request)))
    if not programmes:
        raise PermissionDeniedError(_("Your role sees no programme's figures."))
    start, end = last_full_quarter()
    items = [(programme, report_url("report", programme, start, end)) for programme in programmes]
    return render(
        request, "insights/reports/home.html", {"items": items, "start": start, "end": end}
    )


def _period_or_400(
    request: HttpRequest, programme: Programme, source: Any
) -> tuple[datetime.date, datetime.date] | HttpResponse:
    try:
        return report_period(source.get("start"), source.get("end"))
    except ValidationError as error:
        start, end = last_full_quarter()
        return render(
            request,
            "insights/reports/bad_period.html",
            {
                "programme": programme,
                "errors": error.messages,
                "links": _links(programme, start, end),
            },
            status=400,
        )


def _detail(
    request: HttpRequest,
    programme: Programme,
    start: datetime.date,
    end: datetime.date,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    data = donor_report_get(user=_user(request), programme=programme, start=start, end=end)
    values = typed if typed is not None else data.narrative_values()
    labels = narrative_labels()
    fields = [
        {
            "name": name,
            "label": labels[name],
            "value": values.get(name, ""),
            "errors": (errors or {}).get(name, []),
        }
        for name in NARRATIVE_FIELDS
    ]
    return render(
        request,
        "insights/reports/detail.html",
        {
            "report": data,
            "fields": fields,
            "errors": errors or {},
            "links": _links(programme, start, end),
        },
        status=status,
    )


@staff_page
@require_GET
def report_detail(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = _programme(request, programme_id)
    period = _period_or_400(request, programme, request.GET)
    if isinstance(period, HttpResponse):
        return period
    return _detail(request, programme, *period)


@staff_page
@require_POST
def report_save(request: HttpRequest, programme_id: int) -> HttpResponse:
    """Save the narrative; on a refusal of the input, the page again with what was typed."""
    programme = _programme(request, programme_id)
    period = _period_or_400(request, programme, request.POST)
    if isinstance(period, HttpResponse):
        return period
    start, end = period
    typed = {name: request.POST.get(name, "") for name in NARRATIVE_FIELDS}
    try:
        report_actions.donor_report_save(
            actor=_user(request),
            programme=programme,
            period_start=start,
            period_end=end,
            narrative=typed,
        )
    except ValidationError as error:
        return _detail(request, programme, start, end, typed=typed, errors=error.errors, status=400)
    messages.success(request, _("The report's narrative is saved."))
    return HttpResponseRedirect(report_url("report", programme, start, end))


@staff_page
@require_GET
def report_print(request: HttpRequest, programme_id: int) -> HttpResponse:
    """The report as one printable page (its own print stylesheet, no navigation)."""
    programme = _programme(request, programme_id)
    period = _period_or_400(request, programme, request.GET)
    if isinstance(period, HttpResponse):
        return period
    start, end = period
    data = donor_report_get(user=_user(request), programme=programme, start=start, end=end)
    labels = narrative_labels()
    values = data.narrative_values()
    narrative = [(labels[name], values[name]) for name in NARRATIVE_FIELDS if values[name]]
    return render(
        request,
        "insights/reports/print.html",
        {"report": data, "narrative": narrative, "links": _links(programme, start, end)},
    )


@staff_page
@require_GET
def report_download(request: HttpRequest, programme_id: int) -> HttpResponse:
    """The report as XLSX: about, narrative, one HXL data sheet per section. Audited."""
    user = _user(request)
    programme = _programme(request, programme_id)
    period = _period_or_400(request, programme, request.GET)
    if isinstance(period, HttpResponse):
        return period
    start, end = period
    data = donor_report_get(user=user, programme=programme, start=start, end=end)
    content = report_xlsx(data)
    report_actions.donor_report_exported(
        actor=user, programme=programme, period_start=start, period_end=end, file_format="xlsx"
    )
    response = HttpResponse(content, content_type=CONTENT_TYPES["xlsx"])
    filename = f"{slugify(programme.slug)}-report-{start.isoformat()}-{end.isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
