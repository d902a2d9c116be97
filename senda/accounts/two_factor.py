"""The second factor: TOTP (RFC 6238: 30-second steps, 6 digits, one step of clock drift either
way, each code accepted once) and one-time recovery codes.

Who must use it: superusers and every member whose role opens people's records
(``role_handles_personal_data``); anyone else may opt in. A session counts as verified once
the user typed a code in it (``mark_session_verified``); the middleware keeps an unverified
session away from everything but the second-factor pages, logout and the public site.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import pyotp
import segno
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from senda.accounts.models import Organisation, RecoveryCode, TotpDevice, User
from senda.accounts.roles import role_handles_personal_data
from senda.core.audit import audit
from senda.core.crypto import decrypt_text, encrypt_text
from senda.core.errors import ValidationError

ISSUER = "Senda"
STEP_SECONDS = 30
DIGITS = 6
VALID_WINDOW = 1  # steps accepted either side of now (clock drift of the phone)
RECOVERY_CODE_COUNT = 10
SESSION_VERIFIED_KEY = "senda_second_factor_verified"


def must_use_totp(user: User) -> bool:
    """Superusers and members whose active role handles personal data."""
    if user.is_superuser:
        return True
    membership = user.active_membership()
    return membership is not None and role_handles_personal_data(membership.role)


def confirmed_device(user: User) -> TotpDevice | None:
    device = getattr(user, "_senda_totp_device", False)
    if device is False:
        device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
        user._senda_totp_device = device  # type: ignore[attr-defined]
    return device  # type: ignore[return-value]


def needs_second_factor(user: User) -> bool:
    """Whether this user's sessions must be verified with a code (required, or opted in)."""
    return must_use_totp(user) or confirmed_device(user) is not None


def session_is_verified(session: SessionBase, user: User) -> bool:
    return bool(session.get(SESSION_VERIFIED_KEY) == str(user.pk))


def mark_session_verified(session: SessionBase, user: User) -> None:
    """Record in the session that ``user`` proved the second factor in it."""
    session[SESSION_VERIFIED_KEY] = str(user.pk)


def second_factor_url(user: User, next_url: str = "") -> str:
    """Where a signed-in user proves (or first sets up) the second factor."""
    name = "accounts:two_factor_verify" if confirmed_device(user) else "accounts:two_factor_setup"
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    return reverse(name) + query


def _organisation_of(user: User) -> Organisation | None:
    membership = user.active_membership()
    return membership.organisation if membership is not None else None


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS, issuer=ISSUER)


def device_secret(device: TotpDevice) -> str:
    return decrypt_text(device.secret_encrypted)


def provisioning_uri(device: TotpDevice) -> str:
    return _totp(device_secret(device)).provisioning_uri(name=device.user.get_username())


def qr_code_svg(uri: str) -> str:
    """The otpauth:// link as an inline SVG (no image request, nothing external)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(
        buffer, kind="svg", scale=5, border=2, light="#fff", xmldecl=False, svgns=True, nl=False
    )
    return buffer.getvalue().decode()


def current_code(device: TotpDevice, *, at: float | None = None) -> str:
    """The code the user's app shows now (the demo's ``totp_code`` command prints it)."""
    return _totp(device_secret(device)).at(time.time() if at is None else at)


def _matching_step(secret: str, code: str, now: float) -> int | None:
    totp = _totp(secret)
    current = int(now // STEP_SECONDS)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _hash_recovery_code(code: str) -> str:
    # Codes carry 80 random bits: a plain SHA-256 cannot be reversed by guessing.
    return hashlib.sha256(_normalise_code(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = secrets.token_hex(10)  # 80 bits
    return "-".join(raw[i : i + 5] for i in range(0, 20, 5))


@transaction.atomic
def totp_enrol_start(*, user: User) -> TotpDevice:
    """Give the user a new, unconfirmed secret to scan (refused while one is confirmed)."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is not None and device.is_confirmed:
        raise ValidationError({"__all__": [_("A second factor is already set up.")]})
    if device is None:
        device = TotpDevice.objects.create(
            user=user, secret_encrypted=encrypt_text(pyotp.random_base32())
        )
        audit(
            actor=user,
            action="accounts.totp_enrol_start",
            obj=user,
            organisation=_organisation_of(user),
        )
    return device


@transaction.atomic
def totp_enrol_confirm(*, user: User, code: str, now: float | None = None) -> list[str]:
    """Confirm the scanned secret with a code; returns the 10 recovery codes (shown once)."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is None or device.is_confirmed:
        raise ValidationError({"code": [_("Start the set-up again.")]})
    step = _matching_step(device_secret(device), _normalise_code(code), now or time.time())
    if step is None:
        raise ValidationError(
            {"code": [_("This code is not right. Type the code your app shows now.")]}
        )
    device.confirmed_at = timezone.now()
    device.last_used_step = step
    device.save(update_fields=["confirmed_at", "last_used_step"])
    codes = [_new_recovery_code() for _i in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=_hash_recovery_code(c)) for c in codes]
    )
    audit(
        actor=user,
        action="accounts.totp_enrol_confirm",
        obj=user,
        organisation=_organisation_of(user),
    )
    return codes


@transaction.atomic
def second_factor_verify(*, user: User, code: str, now: float | None = None) -> str | None:
    """Check a TOTP code (each accepted once) or an unused recovery code.

    Returns "totp" or "recovery_code" when it is right (audited), None when it is not (the
    caller counts the failure)."""
    normalised = _normalise_code(code)
    method: str | None = None
    details: dict[str, Any] = {}
    if normalised.isdigit() and len(normalised) == DIGITS:
        device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
        if device is not None:
            step = _matching_step(device_secret(device), normalised, now or time.time())
            # A conditional UPDATE: two requests with the same code cannot both win.
            if (
                step is not None
                and TotpDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(
                    last_used_step=step
                )
                == 1
            ):
                method = "totp"
    elif normalised:
        used = RecoveryCode.objects.filter(
            user=user, code_hash=_hash_recovery_code(normalised), used_at__isnull=True
        ).update(used_at=timezone.now())
        if used == 1:
            method = "recovery_code"
            details["recovery_codes_left"] = RecoveryCode.objects.filter(
                user=user, used_at__isnull=True
            ).count()
    if method is None:
        return None
    audit(
        actor=user,
        action="accounts.second_factor_verified",
        obj=user,
        organisation=_organisation_of(user),
        details={"method": method, **details},
    )
    return method


@transaction.atomic
def totp_preenrol(*, user: User) -> TotpDevice:
    """Give a user a confirmed authenticator without scanning (demo users only: the code comes
    from ``manage.py totp_code``). The secret is new for every install, never a constant."""
    device = TotpDevice.objects.filter(user=user).first()
    if device is not None and device.is_confirmed:
        return device
    if device is None:
        device = TotpDevice(user=user)
    device.secret_encrypted = encrypt_text(pyotp.random_base32())
    device.confirmed_at = timezone.now()
    device.save()
    audit(
        actor=None, action="accounts.totp_preenrol", obj=user, organisation=_organisation_of(user)
    )
    return device


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@transaction.atomic
def second_factor_remove(*, user: User, actor: User, organisation: Organisation | None) -> bool:
    """Delete the user's authenticator and recovery codes (they enrol again). Audited."""
    removed, _detail = TotpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    audit(
        actor=actor,
        action="accounts.second_factor_reset",
        obj=user,
        organisation=organisation,
        details={"user": user.get_username(), "had_device": bool(removed)},
    )
    return bool(removed)
