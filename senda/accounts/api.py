"""Who am I, and my API tokens.

A token is created from a signed-in browser session (never with another token, so a leaked
token cannot mint its successors); it is shown once, in the answer to its creation.
"""

# No "from __future__ import annotations": Ninja reads these annotations at run time.

import datetime
import uuid
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema, Status
from pydantic import ConfigDict

from senda.accounts import token_actions
from senda.accounts.models import ApiToken, Membership
from senda.accounts.roles import CAPABILITIES
from senda.core.api_auth import error_responses, request_user, session_auth
from senda.directory.queries import is_network_editor

router = Router(tags=["accounts"])


class MembershipOut(Schema):
    organisation_id: uuid.UUID
    organisation_name: str
    role: str
    role_label: str
    capabilities: list[str]

    @staticmethod
    def resolve_organisation_name(obj: Membership) -> str:
        return obj.organisation.name

    @staticmethod
    def resolve_role_label(obj: Membership) -> str:
        return str(obj.get_role_display())

    @staticmethod
    def resolve_capabilities(obj: Membership) -> list[str]:
        return sorted(str(capability) for capability in CAPABILITIES.get(obj.role, ()))


class MeOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    is_network_editor: bool = Field(description="Reviews every organisation's services.")
    memberships: list[MembershipOut]


class ApiTokenOut(Schema):
    id: int
    name: str
    created_at: datetime.datetime
    last_used_at: datetime.datetime | None = Field(description="To the minute.")
    revoked_at: datetime.datetime | None
    is_active: bool

    @staticmethod
    def resolve_is_active(obj: ApiToken) -> bool:
        return obj.revoked_at is None


class ApiTokenCreatedOut(ApiTokenOut):
    token: str = Field(
        description="The token itself. Shown only now: Senda keeps only its SHA-256."
    )


class ApiTokenIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=token_actions.NAME_MAX_LENGTH)] = Field(
        description="What the token is for, e.g. the device."
    )


@router.get(
    "/me",
    response={200: MeOut, **error_responses(401)},
    summary="Who you are: your organisations, roles and what they allow",
)
def me(request: HttpRequest) -> MeOut:
    user = request_user(request)
    memberships = (
        user.memberships.select_related("organisation")
        .filter(is_active=True, organisation__is_active=True)
        .order_by("created_at")
    )
    return MeOut(
        id=user.pk,
        username=user.username,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        is_network_editor=is_network_editor(user),
        memberships=list(memberships),  # type: ignore[arg-type]  # resolved by MembershipOut
    )


@router.get(
    "/tokens",
    response={200: list[ApiTokenOut], **error_responses(401)},
    summary="List your API tokens",
)
def token_list(request: HttpRequest) -> list[ApiToken]:
    # The user's own tokens only, newest first; the clear tokens are not stored.
    return list(request_user(request).api_tokens.order_by("-created_at", "-id"))


@router.post(
    "/tokens",
    response={201: ApiTokenCreatedOut, **error_responses(400, 401, 403, 422)},
    auth=[session_auth],
    summary="Create an API token (signed-in browser session only)",
    description="The answer holds the token; it cannot be shown again. Send it as "
    "`Authorization: Bearer <token>`.",
)
def token_create(request: HttpRequest, payload: ApiTokenIn) -> Status:
    token, clear_token = token_actions.api_token_create(
        actor=request_user(request), name=payload.name
    )
    # The clear token rides on the instance for this one answer; it is never saved.
    token.token = clear_token  # type: ignore[attr-defined]
    return Status(201, token)


@router.post(
    "/tokens/{token_id}/revoke",
    response={200: ApiTokenOut, **error_responses(401, 403, 404)},
    summary="Revoke one of your API tokens",
)
def token_revoke(
    request: HttpRequest, token_id: Annotated[int, Path(ge=1, le=2**63 - 1)]
) -> ApiToken:
    return token_actions.api_token_revoke(actor=request_user(request), token_id=token_id)
