"""The database refuses to change or delete audit entries: triggers on SQLite and PostgreSQL.

Installed by a migration. Rebuilding the table (what SQLite migrations do to alter a column)
drops its triggers: a later migration that alters ``AuditEntry`` must call ``install`` again.
TRUNCATE is not refused on PostgreSQL: emptying a whole database (``flush``) is an operator's
deliberate act, not something the application does.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "core_auditentry"
MESSAGE = "senda: the audit log is append-only"

SQLITE_INSTALL = [
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
SQLITE_REMOVE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete",
]
POSTGRES_INSTALL = [
    f"CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$",
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
    f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()",
]
POSTGRES_REMOVE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    f"DROP FUNCTION IF EXISTS {TABLE}_append_only()",
]


def _statements(connection: BaseDatabaseWrapper, *, install: bool) -> list[str]:
    if connection.vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    if connection.vendor == "postgresql":
        return POSTGRES_INSTALL if install else POSTGRES_REMOVE
    return []  # another database: Django admin and the actions still never edit entries


def install(connection: BaseDatabaseWrapper) -> None:
    """Create the triggers that refuse UPDATE and DELETE on the audit table."""
    _execute(connection, _statements(connection, install=True))


def remove(connection: BaseDatabaseWrapper) -> None:
    """Drop them (only the migration's reverse and ``flush`` on SQLite do this)."""
    _execute(connection, _statements(connection, install=False))


def _execute(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    """Run schema statements, each when SQLite lets it (``when_unlocked``)."""
    for statement in statements:

        def run(statement: str = statement) -> None:
            with connection.cursor() as cursor:
                cursor.execute(statement)

        when_unlocked(run)


# How long SQLite work waits for another statement still open on the database.
LOCKED_WAIT = 10.0


def when_unlocked(run: Callable[[], None], *, wait: float = LOCKED_WAIT) -> None:
    """``run()``, tried again for up to ``wait`` seconds while SQLite answers "table is
    locked": it refuses a schema change, or emptying a table, while a statement is still open
    on the shared database (a live test server finishing the browser's last request). ``run``
    must change nothing when it fails (one statement, or one transaction). An error that
    wraps the lock (``flush``'s CommandError) counts as the lock."""
    deadline = time.monotonic() + wait
    while True:
        try:
            run()
            return
        except Exception as error:
            cause = error if isinstance(error, OperationalError) else error.__cause__
            locked = isinstance(cause, OperationalError) and "locked" in str(cause)
            if not locked or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
