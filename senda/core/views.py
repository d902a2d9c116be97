"""View plumbing shared by every app's staff pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from senda.core.errors import NotFoundError, PermissionDeniedError

# Any response: pages, and downloads that stream (a StreamingHttpResponse is not an
# HttpResponse); the decorated view keeps its own type.
View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def staff_page_with(forbidden_template: str) -> Callable[[View], View]:
    """A decorator for staff pages: log-in required; a domain "not found" is a 404 and a
    refusal is a 403 page (``forbidden_template``) that says why."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                return view(request, *args, **kwargs)
            except NotFoundError as exc:
                raise Http404 from exc
            except PermissionDeniedError as exc:
                return render(request, forbidden_template, {"message": str(exc)}, status=403)

        return cast(View, wrapper)

    return decorate
