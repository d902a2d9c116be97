"""Django's ``flush``, able to empty the append-only audit table on SQLite.

On SQLite ``flush`` empties tables with DELETE, which the audit triggers refuse; PostgreSQL
uses TRUNCATE, which they let through. Emptying the whole database is an operator's deliberate
act (and what test runs do between browser tests), so the triggers step aside for it only.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand
from django.db import DEFAULT_DB_ALIAS, connections

from senda.core import audit_guard


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if connection.vendor != "sqlite":
            super().handle(**options)
            return
        audit_guard.remove(connection)
        try:
            # Django flushes in one transaction: a locked table rolls all of it back, so
            # trying again starts from the same state.
            audit_guard.when_unlocked(lambda: super(Command, self).handle(**options))
        finally:
            audit_guard.install(connection)
