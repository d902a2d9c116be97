"""The audit search page for organisation admins (their organisation) and superusers (all)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from senda.accounts.models import User
from senda.core.audit_queries import audit_entries_visible_to
from senda.core.views import staff_page_with

staff_page = staff_page_with("core/forbidden.html")


class AuditSearchForm(forms.Form):
    actor = forms.CharField(label=_("Who (user name)"), required=False, max_length=150)
    action = forms.CharField(
        label=_("What (action)"),
        required=False,
        max_length=80,
        help_text=_('For example "accounts.login" or "accounts."'),
    )
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=80)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


@staff_page
def audit_search(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = AuditSearchForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "actor_username": data["actor"],
            "action": data["action"],
            "object_type": data["object_type"],
            "object_id": data["object_id"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
    entries = audit_entries_visible_to(user=user, **filters)
    if form.is_bound and not form.is_valid():
        entries = entries.none()
    page = Paginator(entries, settings.SENDA_AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit_search.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )
