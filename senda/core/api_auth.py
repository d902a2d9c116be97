"""Who is calling the API: a signed-in browser (session cookie + CSRF) or a bearer token.

Also the error body every router documents, so that all answer errors in one shape.

Bearer tokens come first: a device or script sends ``Authorization: Bearer <token>`` and needs no
CSRF token (no cookie is involved, so no other site can make the browser send it). A browser
falls through to the session, where Ninja checks the CSRF token on every unsafe method.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from senda.accounts.models import User
from senda.accounts.token_actions import api_token_authenticate


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` against the stored SHA-256 of an unrevoked token."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = api_token_authenticate(token=token.strip())
        if user is None:
            # A wrong or revoked token is an answer of its own: never fall through to the session.
            raise AuthenticationError(401, _("This API token is not valid or has been revoked."))
        return user


# Django's session; unsafe methods must carry the CSRF token (X-CSRFToken header).
session_auth = SessionAuth(csrf=True)
bearer_auth = BearerTokenAuth()

# The order matters: a request with a bearer token never needs the CSRF token.
API_AUTH: list[Any] = [bearer_auth, session_auth]


def request_user(request: HttpRequest) -> User:
    """The user an authenticated API request acts as (set by the auth classes above)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationError()
    return user


class ErrorOut(Schema):
    """The body of every error answer (documented on every operation)."""

    detail: str = Field(description="What went wrong, for a person, in their language.")
    errors: dict[str, list[str]] = Field(
        default_factory=dict,
        description='Messages by input field ("__all__" for the input as a whole).',
    )


def error_responses(*codes: int) -> dict[int, type[ErrorOut]]:
    """OpenAPI responses for the error codes an operation can answer."""
    return dict.fromkeys(codes, ErrorOut)
