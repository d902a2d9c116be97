"""Throttling of failed logins, per user name and per client address.

Failures are counted in the default cache (the database cache, shared by every worker) over a
sliding window; past the limit the user name (or the address) is locked for a while. Both the
password and the second-factor steps count. Only keyed digests of names and addresses are used
as cache keys. Two workers counting the same failure at the same instant may lose one count:
the limit is a brake, not an exact quota.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


def username_limit() -> int:
    return int(getattr(settings, "SENDA_LOGIN_FAILURES_PER_USERNAME", 5))


def address_limit() -> int:
    return int(getattr(settings, "SENDA_LOGIN_FAILURES_PER_ADDRESS", 20))


def window_seconds() -> int:
    return int(getattr(settings, "SENDA_LOGIN_FAILURE_WINDOW_MINUTES", 15)) * 60


def lockout_seconds() -> int:
    return int(getattr(settings, "SENDA_LOGIN_LOCKOUT_MINUTES", 15)) * 60


def _digest(kind: str, value: str) -> str:
    mac = hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{value}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def _keys(kind: str, value: str) -> tuple[str, str]:
    digest = _digest(kind, value)
    return f"senda-login:{kind}:{digest}:failures", f"senda-login:{kind}:{digest}:locked"


def _normal_username(username: str) -> str:
    return username.strip().lower()


@dataclass(frozen=True)
class FailureResult:
    username_locked: bool  # this failure locked the user name
    address_locked: bool  # this failure locked the address


def is_locked(*, username: str, address: str) -> bool:
    """Whether logins for this user name, or from this address, are refused for now."""
    keys = [_keys("user", _normal_username(username))[1]] if username.strip() else []
    if address:
        keys.append(_keys("addr", address)[1])
    return bool(keys) and any(cache.get_many(keys).values())


def _count_failure(kind: str, value: str, limit: int, now: float) -> bool:
    failures_key, locked_key = _keys(kind, value)
    window = window_seconds()
    recent = [t for t in cache.get(failures_key, []) if now - t < window]
    recent.append(now)
    if len(recent) >= limit:
        cache.set(locked_key, True, timeout=lockout_seconds())
        cache.delete(failures_key)  # after the lockout, a fresh count
        return True
    cache.set(failures_key, recent, timeout=window)
    return False


def record_failure(*, username: str, address: str, now: float | None = None) -> FailureResult:
    """Count one failed attempt; says whether it locked the user name or the address."""
    moment = time.time() if now is None else now
    username_locked = bool(username.strip()) and _count_failure(
        "user", _normal_username(username), username_limit(), moment
    )
    address_locked = bool(address) and _count_failure("addr", address, address_limit(), moment)
    return FailureResult(username_locked=username_locked, address_locked=address_locked)


def clear_username(username: str) -> None:
    """A successful login forgets the user name's earlier failures (not the address's)."""
    cache.delete(_keys("user", _normal_username(username))[0])
