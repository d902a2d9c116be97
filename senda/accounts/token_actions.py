"""API tokens: create (the clear token is shown once), revoke, and authenticate a request.

Only the SHA-256 of a token is stored, so a copy of the database gives no usable token.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from senda.accounts.models import ApiToken, Organisation, User
from senda.core.audit import audit, set_api_token
from senda.core.errors import NotFoundError, ValidationError

# A recognisable prefix lets secret scanners and people tell a Senda token from other strings.
TOKEN_PREFIX = "senda_"  # noqa: S105 (a prefix, not a secret)
NAME_MAX_LENGTH = 100
# Longer than any token we issue; anything longer is refused before it is hashed.
TOKEN_MAX_LENGTH = 200
# last_used_at is a hint for people reviewing their tokens, not an access log: writing it at
# most once a minute keeps a busy device from turning every read into a write.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


def hash_token(token: str) -> str:
    """The SHA-256 (hex) of a clear token, as stored in ``ApiToken.token_hash``."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _organisation_of(user: User) -> Organisation | None:
    membership = user.active_membership()
    return membership.organisation if membership is not None else None


@transaction.atomic
def api_token_create(*, actor: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for the actor; returns it with the clear token, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the token a name, e.g. the device it is for.")]})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": [_("Use at most %(count)d characters.") % {"count": NAME_MAX_LENGTH}]}
        )
    if "\x00" in name:
        raise ValidationError({"name": [_("The text contains a character that is not allowed.")]})
    clear_token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=actor, name=name, token_hash=hash_token(clear_token))
    audit(
        actor=actor,
        action="accounts.api_token_create",
        obj=token,
        organisation=_organisation_of(actor),
        details={"name": name},
    )
    return token, clear_token


@transaction.atomic
def api_token_revoke(*, actor: User, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens; revoking a revoked token changes nothing."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
    if token is None:
        raise NotFoundError(str(token_id))
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit(
        actor=actor,
        action="accounts.api_token_revoke",
        obj=token,
        organisation=_organisation_of(actor),
        details={"name": token.name},
    )
    return token


def api_token_mark_used(*, api_token: ApiToken) -> None:
    """Note that ``api_token`` opened a request (to the minute: a hint for the token list, not
    an access log). Not audited: this runs on every API and sync request."""
    now = timezone.now()
    if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USED_PRECISION:
        # A single UPDATE: two requests at once both write "now", neither loses anything.
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        api_token.last_used_at = now


def api_token_authenticate(*, token: str) -> User | None:
    """The active user a clear token belongs to, or None when it is unknown or revoked.

    Not audited: this runs on every API request; the token's creation and revocation are.
    """
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    api_token = (
        ApiToken.objects.select_related("user")
        # A field app phone's token opens only the sync API (senda.sync.auth), never the rest.
        .filter(token_hash=hash_token(token), revoked_at__isnull=True, field_device__isnull=True)
        .first()
    )
    if api_token is None or not api_token.user.is_active:
        return None
    api_token_mark_used(api_token=api_token)
    # Whatever this request writes to the audit log names the token it came with.
    set_api_token(api_token.name)
    return api_token.user
