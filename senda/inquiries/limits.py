"""Flood control without storing IP addresses, and the signed form timestamp.

A source is the HMAC (keyed with SECRET_KEY) of the client address: the cache holds only
that digest and a counter, for the length of the window. One source past its limit is
refused; the whole site past the global ceiling keeps accepting requests but holds them in
a queue (answered after the others), so a flood never drops a genuine request.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest

STARTED_SALT = "senda.inquiries.form-started"


def per_source_limit() -> int:
    return int(getattr(settings, "SENDA_INQUIRY_RATE_PER_SOURCE", 5))


def window_seconds() -> int:
    return int(getattr(settings, "SENDA_INQUIRY_RATE_WINDOW_SECONDS", 600))


def global_ceiling() -> int:
    return int(getattr(settings, "SENDA_INQUIRY_RATE_GLOBAL", 200))


def minimum_fill_seconds() -> float:
    return float(getattr(settings, "SENDA_INQUIRY_MIN_FILL_SECONDS", 3))


def maximum_form_age_seconds() -> int:
    return int(getattr(settings, "SENDA_INQUIRY_MAX_FORM_AGE_SECONDS", 24 * 3600))


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or behind a reverse proxy the address it appended last to the header named
    by SENDA_INQUIRY_CLIENT_IP_HEADER (e.g. "HTTP_X_FORWARDED_FOR"); earlier entries can be
    forged by the client, the last one is the proxy's own."""
    header = str(getattr(settings, "SENDA_INQUIRY_CLIENT_IP_HEADER", ""))
    if header:
        forwarded = [part.strip() for part in str(request.META.get(header, "")).split(",")]
        forwarded = [part for part in forwarded if part]
        if forwarded:
            return forwarded[-1]
    return str(request.META.get("REMOTE_ADDR", ""))


def source_key(request: HttpRequest) -> str:
    """A keyed digest of the client address: the address itself is never kept."""
    address = client_address(request)
    digest = hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def _bucket(now: float) -> int:
    return int(now // window_seconds())


def _count(key: str) -> int:
    # add() is a no-op when the key exists; incr() is atomic in the shared cache backends.
    cache.add(key, 0, timeout=window_seconds() * 2)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds() * 2)
        return 1


def source_allowed(source: str, *, now: float | None = None) -> bool:
    """Count one request from ``source`` in the current window; False once past the limit."""
    bucket = _bucket(time.time() if now is None else now)
    return _count(f"senda-inquiry:src:{source}:{bucket}") <= per_source_limit()


def over_global_ceiling(*, now: float | None = None) -> bool:
    """Count one accepted request site-wide; True once the window is past the ceiling."""
    bucket = _bucket(time.time() if now is None else now)
    return _count(f"senda-inquiry:all:{bucket}") > global_ceiling()


def form_token(*, now: float | None = None) -> str:
    """A signed record of when the form was shown."""
    return signing.dumps({"t": time.time() if now is None else now}, salt=STARTED_SALT)


def form_age_seconds(token: str, *, now: float | None = None) -> float | None:
    """Seconds since the form was shown, or None for a missing, forged or stale token."""
    try:
        payload = signing.loads(token, salt=STARTED_SALT, max_age=maximum_form_age_seconds())
        started = float(payload["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return (time.time() if now is None else now) - started
