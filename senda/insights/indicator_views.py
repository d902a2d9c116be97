"""Staff pages to manage indicators (list, add, edit with a preview of the figures, archive)
and programmes (list, add, edit: partners, viewers, campaigns, countries, period), for
programme officers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from senda.accounts.models import User
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.views import staff_page_with
from senda.insights import actions, queries
from senda.insights.engine import Filters, Table, allowed_dimensions, indicator_table
from senda.insights.indicator_forms import IndicatorForm, ProgrammeForm
from senda.insights.models import Indicator, Programme
from senda.insights.sources import DIMENSION_LABELS, SOURCES

View = Callable[..., HttpResponse]
FORBIDDEN = "insights/indicators/forbidden.html"


def manager_page(view: View) -> View:
    """Log-in and the insights capability required; "not found" is a 404, a refusal a 403."""

    @staff_page_with(FORBIDDEN)
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not queries.may_manage_insights(_user(request)):
            raise PermissionDeniedError(
                _("Your role does not include managing programmes and indicators.")
            )
        return view(request, *args, **kwargs)

    return wrapper


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _sources_help() -> list[dict[str, Any]]:
    """What each source offers, for the help beside the form."""
    # Several sources share the same choices (the countries of the person filters): read once.
    read: dict[Callable[[], list[tuple[str, str]]], list[str]] = {}

    def values(choices: Callable[[], list[tuple[str, str]]]) -> list[str]:
        if choices not in read:
            read[choices] = [value for value, _label in choices()][:12]
        return read[choices]

    return [
        {
            "key": source.key,
            "label": source.label,
            "measures": source.measures,
            "dimensions": [DIMENSION_LABELS[key] for key in source.dimensions],
            "filters": [
                {
                    "name": name,
                    "label": definition.label,
                    "values": values(definition.choices),
                }
                for name, definition in source.filters.items()
            ],
            "durations": list(source.durations),
        }
        for source in SOURCES.values()
    ]


@manager_page
def indicator_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    indicators = list(queries.indicators_managed_by(user=user))
    return render(
        request,
        "insights/indicators/list.html",
        {
            "active": [i for i in indicators if i.is_active],
            "archived": [i for i in indicators if not i.is_active],
            "may_manage_shared": queries.may_manage_shared_indicators(user),
        },
    )


def _form(request: HttpRequest, user: User, indicator: Indicator | None = None) -> IndicatorForm:
    return IndicatorForm(
        request.POST or None,
        programmes=queries.programmes_managed_by(user=user),
        shared_allowed=queries.may_manage_shared_indicators(user),
        indicator=indicator,
    )


@manager_page
def indicator_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = _form(request, user)
    if request.method == "POST" and form.is_valid():
        try:
            indicator = actions.indicator_create(actor=user, fields=form.to_input())
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Indicator created."))
            return HttpResponseRedirect(reverse("insights:indicator_edit", args=[indicator.pk]))
    return render(
        request,
        "insights/indicators/edit.html",
        {"form": form, "indicator": None, "sources": _sources_help()},
    )


def _preview(user: User, indicator: Indicator) -> tuple[Programme | None, Table | None, str]:
    """The indicator's table over a programme the user sees, by its default breakdown."""
    programme = indicator.programme
    if programme is None:
        programme = queries.programmes_visible_to(user=user).first()
    if programme is None or not indicator.is_active:
        return None, None, ""
    dimension = indicator.default_dimension
    by = [dimension] if dimension and dimension in allowed_dimensions(indicator) else []
    try:
        table = indicator_table(
            user=user, indicator=indicator, filters=Filters.default(programme), by=by
        )
    except (PermissionDeniedError, ValidationError, NotFoundError) as error:
        return programme, None, str(error)
    return programme, table, ""


def figure_text(table: Table, value: float | None, suppressed: bool) -> str:
    """A figure as shown: hidden ones as "<5" (the threshold), shares with a percent sign."""
    if suppressed:
        return _("<%(threshold)d") % {"threshold": table.threshold}
    if value is None:
        return "—"
    number = f"{value:,.1f}".rstrip("0").rstrip(".") if value % 1 else f"{int(value):,}"
    return f"{number} %" if table.indicator.unit == "percent" else number


def preview_rows(table: Table) -> list[tuple[str, str]]:
    """(label, figure) rows of a 0- or 1-D table, the total last."""
    rows = []
    if table.dimensions:
        labels = table.labels.get(table.dimensions[0], {})
        for cell in table.cells:
            rows.append(
                (
                    labels.get(cell.key[0], cell.key[0]),
                    figure_text(table, cell.value, cell.suppressed),
                )
            )
    rows.append((_("Total"), figure_text(table, table.total.value, table.total.suppressed)))
    return rows


@manager_page
def indicator_edit(request: HttpRequest, indicator_id: int) -> HttpResponse:
    user = _user(request)
    indicator = queries.indicator_manage_get(user=user, indicator_id=indicator_id)
    form = _form(request, user, indicator)
    if request.method == "POST" and form.is_valid():
        try:
            indicator = actions.indicator_update(
                actor=user, indicator=indicator, fields=form.to_input()
            )
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Indicator saved."))
            return HttpResponseRedirect(reverse("insights:indicator_edit", args=[indicator.pk]))
    programme, preview, preview_error = _preview(user, indicator)
    return render(
        request,
        "insights/indicators/edit.html",
        {
            "form": form,
            "indicator": indicator,
            "sources": _sources_help(),
            "preview": preview,
            "preview_rows": preview_rows(preview) if preview is not None else [],
            "preview_programme": programme,
            "preview_error": preview_error,
        },
    )


@manager_page
@require_POST
def indicator_archive(request: HttpRequest, indicator_id: int) -> HttpResponse:
    user = _user(request)
    indicator = queries.indicator_manage_get(user=user, indicator_id=indicator_id)
    actions.indicator_archive(actor=user, indicator=indicator)
    messages.success(request, _("Indicator archived: dashboards and reports no longer show it."))
    return HttpResponseRedirect(reverse("insights:indicator_list"))


@manager_page
@require_POST
def indicator_restore(request: HttpRequest, indicator_id: int) -> HttpResponse:
    user = _user(request)
    indicator = queries.indicator_manage_get(user=user, indicator_id=indicator_id)
    actions.indicator_set_active(actor=user, indicator=indicator, active=True)
    messages.success(request, _("Indicator restored."))
    return HttpResponseRedirect(reverse("insights:indicator_list"))


# ---------------------------------------------------------------------------------------------
# Programmes


@manager_page
def programme_list(request: HttpRequest) -> HttpResponse:
    programmes = list(
        queries.programmes_managed_by(user=_user(request)).prefetch_related(
            "organisations", "viewer_organisations"
        )
    )
    return render(request, "insights/indicators/programmes.html", {"programmes": programmes})


@manager_page
def programme_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ProgrammeForm(request.POST or None, leads=queries.managing_organisations(user))
    if request.method == "POST" and form.is_valid():
        try:
            actions.programme_create(actor=user, fields=form.to_input())
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Programme created."))
            return HttpResponseRedirect(reverse("insights:programme_manage_list"))
    return render(
        request, "insights/indicators/programme_edit.html", {"form": form, "programme": None}
    )


@manager_page
def programme_edit(request: HttpRequest, programme_id: int) -> HttpResponse:
    user = _user(request)
    programme = queries.programme_manage_get(user=user, programme_id=programme_id)
    form = ProgrammeForm(
        request.POST or None, leads=queries.managing_organisations(user), programme=programme
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.programme_update(actor=user, programme=programme, fields=form.to_input())
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Programme saved."))
            return HttpResponseRedirect(reverse("insights:programme_manage_list"))
    return render(
        request,
        "insights/indicators/programme_edit.html",
        {"form": form, "programme": programme},
    )
