from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import get_language_from_path
from django.utils.translation import gettext as _

from senda.accounts import two_factor
from senda.accounts.models import User

# Reachable before the second factor is proven: the second-factor pages themselves and logout.
SECOND_FACTOR_VIEWS = frozenset(
    {"accounts:two_factor_setup", "accounts:two_factor_verify", "accounts:logout"}
)
# Pages only signed-in people use: an unverified session is sent to the second factor.
SIGNED_IN_PREFIXES = ("/staff/", "/accounts/", "/admin/")


def _without_language(path: str) -> str:
    language = get_language_from_path(path)
    if language and path.startswith(f"/{language}/"):
        return path[len(language) + 1 :]
    return path


class SecondFactorMiddleware:
    """A user who must use the second factor (or opted in) and has not proven it in this
    session reaches only the second-factor pages, logout and the public site (as anonymous).

    Staff pages redirect to the second-factor step, the API with the session answers 403. An
    API request with a bearer token never uses the session: tokens are created from a verified
    session and checked by the API itself.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if not isinstance(user, User) or not user.is_authenticated:
            return None
        if two_factor.session_is_verified(request.session, user):
            return None
        if not two_factor.needs_second_factor(user):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in SECOND_FACTOR_VIEWS:
            return None
        path = request.path_info
        if path.startswith("/api/"):
            if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer "):
                request.user = AnonymousUser()
                return None
            return JsonResponse(
                {
                    "detail": _("Confirm your second factor (the code from your app) first."),
                    "errors": {},
                },
                status=403,
            )
        if _without_language(path).startswith(SIGNED_IN_PREFIXES):
            next_url = request.get_full_path() if request.method == "GET" else ""
            return redirect(two_factor.second_factor_url(user, next_url))
        # The public site: shown as to anyone who is not signed in.
        request.user = AnonymousUser()
        return None


class ForcePasswordChangeMiddleware:
    """After an admin reset, the user must choose a new password before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
        ):
            allowed = (
                reverse("accounts:password_change"),
                reverse("accounts:logout"),
                # The second factor comes first: SecondFactorMiddleware sends them there.
                reverse("accounts:two_factor_setup"),
                reverse("accounts:two_factor_verify"),
            )
            if request.path not in allowed and not request.path.startswith("/static/"):
                return redirect("accounts:password_change")
        return self.get_response(request)
