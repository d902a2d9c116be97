"""The time actions record things at. Normally now; a loader of past events (the demo's
months of field work, and later the offline sync replaying what a phone recorded) sets the
moment the event really happened with ``clock.at(...)``. The audit log keeps its own real time.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_moment: ContextVar[datetime.datetime | None] = ContextVar("senda_clock_moment", default=None)


def now() -> datetime.datetime:
    return _moment.get() or timezone.now()


def localdate() -> datetime.date:
    return timezone.localdate(now())


@contextmanager
def at(moment: datetime.datetime) -> Iterator[None]:
    """Within this block, actions record ``moment`` as the time things happened."""
    if timezone.is_naive(moment):
        raise ValueError("clock.at needs an aware datetime")
    token = _moment.set(moment)
    try:
        yield
    finally:
        _moment.reset(token)
