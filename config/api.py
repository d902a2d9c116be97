"""Senda's JSON API: one Ninja instance, one router per app. OpenAPI at /api/openapi.json.

Every error answers with the same shape, in the caller's language (Accept-Language)::

    {"detail": "What went wrong, for a person", "errors": {"field": ["message", ...]}}
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.operation import Operation

from senda.accounts.api import router as accounts_router
from senda.casework.api import router as casework_router
from senda.core.api_auth import API_AUTH
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.directory.api import router as directory_router
from senda.sync.api import router as sync_router

NON_FIELD_ERRORS = "__all__"


class LocalSwagger(Swagger):
    """Swagger UI from the files Ninja ships (served from our static files), never a CDN.

    Ninja falls back to a CDN page when "ninja" is not in INSTALLED_APPS; this class never does:
    without the app the template is missing and the page fails loudly instead.
    """

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "swagger_settings": json.dumps(self.settings, indent=1),
            "api": api,
            "add_csrf": True,  # the session auth checks CSRF; "Try it out" must send the token
        }
        return render(request, self.template, context)


class SendaAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        # Handler names are unique across Senda's routers: short, stable operation ids.
        return operation.view_func.__name__


api = SendaAPI(
    title="Senda API",
    version="1",
    description=(
        "Senda's own JSON API, for staff. Browser clients use the session cookie and send the "
        "CSRF token in the `X-CSRFToken` header on writes; devices and scripts send "
        "`Authorization: Bearer <token>` (create a token with `POST /api/tokens` while signed "
        'in). Errors answer `{"detail": ..., "errors": {field: [messages]}}` in the '
        "language of `Accept-Language`. The read-only HSDS 3.0 API is separate, under /hsds/."
    ),
    urls_namespace="api",
    auth=API_AUTH,
    docs=LocalSwagger(settings={"validatorUrl": None}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _in_callers_language(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer in the language the caller asks for.

    /api/ has no language prefix, so LocaleMiddleware would always pick the default (Spanish);
    an API client says its language with Accept-Language (or the language cookie).
    """

    @wraps(run)
    def run_in_language(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = translation.get_language_from_request(request, check_path=False)
        with translation.override(language):
            response = run(request, *args, **kwargs)
        response.headers["Content-Language"] = language
        return response

    return run_in_language


api.add_decorator(_in_callers_language, mode="view")
api.add_router("", directory_router)
api.add_router("", accounts_router)
api.add_router("", casework_router)
api.add_router("/sync", sync_router)


def error_response(
    request: HttpRequest,
    *,
    status: int,
    detail: str,
    errors: dict[str, list[str]] | None = None,
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or {}}, status=status)


@api.exception_handler(NotFoundError)
def not_found(request: HttpRequest, exc: NotFoundError) -> HttpResponse:
    return error_response(request, status=404, detail=_("Not found."))


@api.exception_handler(Http404)
def http_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, status=404, detail=_("Not found."))


@api.exception_handler(PermissionDeniedError)
def permission_denied(request: HttpRequest, exc: PermissionDeniedError) -> HttpResponse:
    return error_response(
        request, status=403, detail=str(exc) or _("You are not allowed to do this.")
    )


@api.exception_handler(ValidationError)
def domain_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error_response(
        request,
        status=422,
        detail=" ".join(exc.messages) or _("The data sent cannot be saved."),
        errors=exc.errors,
    )


@api.exception_handler(DjangoValidationError)
def django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    # A safety net: actions raise Senda's ValidationError, but a model validator may not.
    errors = (
        {field: list(messages) for field, messages in exc.message_dict.items()}
        if hasattr(exc, "error_dict")
        else {NON_FIELD_ERRORS: list(exc.messages)}
    )
    return error_response(request, status=422, detail=" ".join(exc.messages), errors=errors)


@api.exception_handler(NinjaValidationError)
def input_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field_name(error), []).append(_message(error))
    return error_response(
        request,
        status=422,
        detail=_("The data sent is not valid: see the errors of each field."),
        errors=errors,
    )


@api.exception_handler(RequestDataTooBig)
def body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(request, status=400, detail=_("The request body is too large."))


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    detail = str(exc)
    if isinstance(exc, AuthenticationError) and detail == "Unauthorized":
        detail = _(
            "Sign in first, or send an API token in the header 'Authorization: Bearer <token>'."
        )
    elif exc.status_code == 403 and detail.startswith("CSRF"):
        detail = _(
            "The CSRF check failed: with the session cookie, send the CSRF token in the "
            "X-CSRFToken header, or use an API token instead."
        )
    elif exc.status_code == 400 and detail.startswith("Cannot parse request body"):
        detail = _("The request body is not valid JSON.")
    elif exc.status_code == 429:
        detail = _("Too many requests; try again later.")
    return error_response(request, status=exc.status_code, detail=detail)


def _field_name(error: dict[str, Any]) -> str:
    """``("body", "payload", "translations", "en")`` -> ``"translations.en"``."""
    location = [str(part) for part in error.get("loc", ())]
    if location and location[0] in {"body", "query", "path", "header", "cookie", "form"}:
        location = location[1:]
    if location and location[0] in {"payload", "filters", "ninja_pagination"}:
        location = location[1:]
    return ".".join(location) or NON_FIELD_ERRORS


def _message(error: dict[str, Any]) -> str:
    """A message for a person, in the active language, for one Pydantic error."""
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    if kind == "value_error" and context.get("error"):
        return str(context["error"])  # our own validators raise translated messages
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("This field is not allowed here.")
    if kind == "string_too_long":
        count = int(context.get("max_length", 0))
        return ngettext(
            "Use at most %(count)d character.", "Use at most %(count)d characters.", count
        ) % {"count": count}
    if kind == "string_too_short":
        return _("This field cannot be empty.")
    if kind in {"string_type", "string_unicode"}:
        return _("Enter text.")
    if kind in {"int_type", "int_parsing", "int_from_float", "int_parsing_size"}:
        return _("Enter a whole number.")
    if kind in {"float_type", "float_parsing", "finite_number"}:
        return _("Enter a number.")
    if kind in {"bool_type", "bool_parsing"}:
        return _("Enter true or false.")
    if kind in {"uuid_type", "uuid_parsing", "uuid_version"}:
        return _("Enter a valid id (a UUID).")
    if kind.startswith("date") or kind.startswith("datetime"):
        return _("Enter a valid date (YYYY-MM-DD).")
    if kind in {"greater_than_equal", "greater_than"}:
        limit = context.get("ge", context.get("gt"))
        return _("Enter a value of at least %(limit)s.") % {"limit": limit}
    if kind in {"less_than_equal", "less_than"}:
        limit = context.get("le", context.get("lt"))
        return _("Enter a value of at most %(limit)s.") % {"limit": limit}
    if kind in {"list_type", "tuple_type", "set_type"}:
        return _("Send a list.")
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return _("Send an object.")
    if kind in {"literal_error", "enum"}:
        return _("Choose one of: %(choices)s.") % {"choices": context.get("expected", "")}
    if kind == "string_pattern_mismatch":
        return _("The value does not have the expected format.")
    return str(error.get("msg", _("This value is not valid.")))
