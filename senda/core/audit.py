"""Writing the audit trail. Called from actions only, inside their transaction.

Every entry says from where: the request context (client address, channel, API token name) is
set once per request by ``AuditContextMiddleware`` (and by the API token check), so actions
never pass it along. Outside a request (management commands, the demo loader) the channel is
"command".
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest

from senda.core.models import AuditEntry

if TYPE_CHECKING:
    from senda.accounts.models import Organisation, User


@dataclass(frozen=True)
class RequestContext:
    """Where the current work comes from."""

    channel: str = AuditEntry.Channel.COMMAND
    ip_address: str | None = None
    via: str = ""


_NO_REQUEST = RequestContext()
_request_context: ContextVar[RequestContext | None] = ContextVar(
    "senda_audit_request_context", default=None
)


def current_context() -> RequestContext:
    return _request_context.get() or _NO_REQUEST


@contextmanager
def request_context(context: RequestContext) -> Iterator[None]:
    """Run the block with ``context`` as the origin of every audit entry it writes."""
    token = _request_context.set(context)
    try:
        yield
    finally:
        _request_context.reset(token)


def set_api_token(name: str) -> None:
    """The request is authenticated with an API token: its entries name the token."""
    context = current_context()
    _request_context.set(replace(context, channel=_api_channel(context.channel), via=name))


def _api_channel(channel: str) -> str:
    return channel if channel == AuditEntry.Channel.SYNC else AuditEntry.Channel.API


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or behind a reverse proxy the address it appended last to the header named
    by SENDA_INQUIRY_CLIENT_IP_HEADER (earlier entries can be forged by the client)."""
    header = str(getattr(settings, "SENDA_INQUIRY_CLIENT_IP_HEADER", ""))
    if header:
        forwarded = [part.strip() for part in str(request.META.get(header, "")).split(",")]
        forwarded = [part for part in forwarded if part]
        if forwarded:
            return forwarded[-1]
    return str(request.META.get("REMOTE_ADDR", ""))


def context_for(request: HttpRequest) -> RequestContext:
    """The origin of a request: its client address and channel (by path)."""
    address: str | None = client_address(request)
    try:
        ipaddress.ip_address(address or "")
    except ValueError:
        address = None  # a test client, a socket path or a malformed header: not an address
    path = request.path_info
    if path.startswith("/api/sync"):
        channel = AuditEntry.Channel.SYNC
    elif path.startswith("/api/"):
        channel = AuditEntry.Channel.API
    else:
        channel = AuditEntry.Channel.WEB
    return RequestContext(channel=channel, ip_address=address)


def audit(
    *,
    actor: User | None,
    action: str,
    obj: Any = None,
    organisation: Organisation | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record that ``actor`` did ``action`` to ``obj``, and from where."""
    context = current_context()
    known_actor = actor if actor is not None and actor.is_authenticated else None
    return AuditEntry.objects.create(
        actor=known_actor,
        actor_username=known_actor.get_username() if known_actor is not None else "",
        organisation=organisation,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        details=details or {},
        ip_address=context.ip_address,
        channel=context.channel,
        via=context.via,
    )


def audit_read(
    *,
    actor: User | None,
    obj: Any,
    organisation: Organisation | None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record that ``actor`` opened a person's record ``obj`` (action "<app>.<thing>_read").

    Call it from the query that returns the record, after the permission check passed."""
    meta = obj._meta
    return audit(
        actor=actor,
        action=f"{meta.app_label}.{meta.model_name}_read",
        obj=obj,
        organisation=organisation,
        details=details,
    )
