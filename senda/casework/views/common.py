"""What every field-work page shares."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

from senda.accounts.models import User
from senda.core.views import staff_page_with

# Log-in required; "not found" is a 404 and a refusal a 403 page that says why.
staff_page = staff_page_with("casework/forbidden.html")

# Rows on a list page: a phone screen or two.
PAGE_SIZE = 25


def acting_user(request: HttpRequest) -> User:
    """The signed-in user (``staff_page`` has made sure there is one)."""
    assert isinstance(request.user, User)
    return request.user


def page_of(request: HttpRequest, items: Any, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The list's filters, for the links to its other pages."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
