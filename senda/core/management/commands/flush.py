"""Django's ``flush``, able to empty the append-only audit table on SQLite.

On SQLite ``flush`` empties tables with DELETE, which the audit triggers refuse; PostgreSQL
uses TRUNCATE, which they let through. Emptying the whole database is an operator's deliberate
act (and what test runs do between browser tests), so the triggers step aside for it only.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as FlushCommand
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

from senda.core import audit_guard

# How long a flush waits for another thread's open statement (SQLite answers "database table
# is locked" meanwhile, e.g. a live test server finishing a request the browser sent last).
LOCKED_WAIT = 10.0


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if connection.vendor != "sqlite":
            super().handle(**options)
            return
        audit_guard.remove(connection)
        try:
            self._flush_when_unlocked(options)
        finally:
            audit_guard.install(connection)

    def _flush_when_unlocked(self, options: dict[str, Any]) -> None:
        # Django flushes in one transaction: a locked table rolls all of it back, so trying
        # again starts from the same state.
        deadline = time.monotonic() + LOCKED_WAIT
        while True:
            try:
                super().handle(**options)
                return
            except CommandError as error:
                cause = error.__cause__
                locked = isinstance(cause, OperationalError) and "locked" in str(cause)
                if not locked or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
