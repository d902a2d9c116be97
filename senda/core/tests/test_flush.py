"""``flush`` on SQLite waits for another connection's open transaction instead of failing with
"database table is locked" (the in-memory test database is shared: a browser test's live
server may still be answering the browser's last request when the test ends and flushes)."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from senda.core import audit_guard
from senda.geo.models import Country


@pytest.mark.django_db(transaction=True)
def test_flush_waits_for_another_connections_open_read(monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL empties tables with TRUNCATE, which waits by itself")
    name = str(connection.settings_dict["NAME"])
    if not name.startswith("file:"):
        pytest.skip("only a shared in-memory database has table locks between connections")
    assert Country.objects.exists()
    other = sqlite3.connect(name, uri=True, isolation_level=None, check_same_thread=False)
    finished = threading.Event()
    remove_guard = audit_guard.remove

    def guard_removed_then_a_read_begins(target: Any) -> None:
        # The read begins between the audit guard's removal (which waits for locks itself)
        # and the DELETEs, as the browser's last request did.
        remove_guard(target)
        other.execute("BEGIN")
        assert other.execute("SELECT code FROM geo_country LIMIT 1").fetchone()
        threading.Timer(0.5, finish_the_read).start()

    def finish_the_read() -> None:
        other.execute("COMMIT")
        other.close()
        finished.set()

    monkeypatch.setattr(audit_guard, "remove", guard_removed_then_a_read_begins)

    call_command("flush", interactive=False, verbosity=0)

    assert finished.is_set()  # the flush ended only after the other connection let go
    assert not Country.objects.exists()
