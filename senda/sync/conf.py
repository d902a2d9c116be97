"""Field app and sync settings (config/settings.py reads them from the environment; the
README's configuration table lists them). The defaults here serve settings that leave one out."""

from __future__ import annotations

from django.conf import settings


def _int_setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def lock_minutes() -> int:
    """Idle minutes before the field app asks for the PIN again."""
    return _int_setting("SENDA_FIELD_LOCK_MINUTES", 15)


def wipe_hours() -> int:
    """Hours without an unlock after which the field app wipes its local data."""
    return _int_setting("SENDA_FIELD_WIPE_HOURS", 72)


def max_batch() -> int:
    """Most records one upload may carry (more answers 413 ``batch_too_large``)."""
    return _int_setting("SENDA_SYNC_MAX_BATCH", 200)


def page_size() -> int:
    """Records per download page when the device asks for no limit (and the most it may ask)."""
    return _int_setting("SENDA_SYNC_PAGE_SIZE", 500)


def feed_gap_seconds() -> int:
    """How long a hole in the change feed's ids is watched for a late commit: longer than any
    write transaction lasts (see ``senda.sync.feed``)."""
    return _int_setting("SENDA_SYNC_FEED_GAP_SECONDS", 300)
