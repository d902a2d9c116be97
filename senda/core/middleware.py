"""Security headers, the audit's request context and session expiry, for every request."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _

from senda.core.audit import context_for, request_context

# Strict on every page, /api/docs included: no inline script or style anywhere (scripts and
# styles are static files; data for a script travels in <script type="application/json">).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # A view may send a stricter policy of its own (an uploaded SVG is sandboxed).
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
        return response


class AuditContextMiddleware:
    """Every audit entry written while handling a request says where it came from."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_context(context_for(request)):
            return self.get_response(request)


SESSION_STARTED_KEY = "senda_session_started"
SESSION_SEEN_KEY = "senda_session_seen"
# The last-seen time is written at most this often: not one session write per request.
SEEN_PRECISION_SECONDS = 60


def idle_seconds() -> int:
    return int(settings.SENDA_SESSION_IDLE_MINUTES) * 60


def max_age_seconds() -> int:
    return int(settings.SENDA_SESSION_MAX_HOURS) * 3600


def start_session_clock(session: SessionBase, now: float | None = None) -> None:
    """A signed-in session starts now (at login)."""
    moment = time.time() if now is None else now
    session[SESSION_STARTED_KEY] = moment
    session[SESSION_SEEN_KEY] = moment


class SessionExpiryMiddleware:
    """Signed-in sessions end after SENDA_SESSION_IDLE_MINUTES without a request, and after
    SENDA_SESSION_MAX_HOURS whatever happens; the next request goes to the login page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        session = request.session
        now = time.time()
        started = session.get(SESSION_STARTED_KEY)
        seen = session.get(SESSION_SEEN_KEY)
        if not isinstance(started, int | float) or not isinstance(seen, int | float):
            start_session_clock(session, now)
        elif now - seen > idle_seconds() or now - started > max_age_seconds():
            return self._expired(request)
        elif now - seen >= SEEN_PRECISION_SECONDS:
            session[SESSION_SEEN_KEY] = now
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> HttpResponse:
        logout(request)
        message = _("Your session has expired. Please log in again.")
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message, "errors": {}}, status=401)
        messages.info(request, message)
        login_url = reverse(settings.LOGIN_URL)
        if request.method == "GET":
            login_url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(login_url)


class CachingHeadersMiddleware:
    """Cache headers so that a cache in front of Senda (or the browser) can serve repeat visits.

    Public pages seen by an anonymous person, without a cookie or a form token, may be cached
    by any cache for ``SENDA_PUBLIC_CACHE_SECONDS``; with ``Vary: Cookie`` a signed-in person
    never gets them. Everything a signed-in person sees is ``private, no-store``: staff pages
    hold personal data. Views that set their own Cache-Control keep it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        # A bearer token (the API, the field app's phones) is someone as much as a session is:
        # without this, a phone's download was cached as a public page and served to others.
        if (user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META:
            patch_cache_control(response, private=True, no_store=True)
        elif (
            request.method in ("GET", "HEAD")
            # A visit through a campaign placement is counted by the view: never from a cache.
            and "via" not in request.GET
            and response.status_code in (200, 301, 404)
            and not response.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            and not request.META.get("CSRF_COOKIE_USED")
        ):
            patch_cache_control(
                response,
                public=True,
                max_age=settings.SENDA_PUBLIC_CACHE_SECONDS,
            )
        else:
            patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ("Cookie",))
        return response
