"""Field-work settings: each from Django settings, else the environment, else the default."""

from __future__ import annotations

import os

from django.conf import settings


def _int_setting(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name) or default
    return int(value)


def referral_receive_hours() -> int:
    """A sent referral not marked received within this many hours is overdue."""
    return _int_setting("SENDA_REFERRAL_RECEIVE_HOURS", 72)


def referral_attend_days() -> int:
    """A referral not attended within this many days of being sent is overdue."""
    return _int_setting("SENDA_REFERRAL_ATTEND_DAYS", 14)


def referral_expire_days() -> int:
    """An open referral with no news for this many days expires (``expire_referrals``)."""
    return _int_setting("SENDA_REFERRAL_EXPIRE_DAYS", 60)


def retention_days() -> int:
    """Personal data of people without activity for this many days is erased."""
    return _int_setting("SENDA_RETENTION_DAYS", 730)
