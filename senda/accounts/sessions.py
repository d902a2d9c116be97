"""Sessions: Django's database sessions, read with one plain statement.

Every request of a signed-in person reads its session; compiling the ORM query for it cost
several times what the database spent answering it. The row, its expiry and what is done
with it are Django's (``django.contrib.sessions.backends.db``): a session ends for every
process the moment its row is deleted or expires (logout, an admin's reset, expiry), as
before. Nothing about a session is kept in the process between requests.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends import db
from django.db import connections, router
from django.db.models import Field
from django.utils import timezone

# Sessions begun before ``senda.accounts.backends.UserBackend`` name Django's own model
# backend: the same users and passwords, read the same way, so they stay signed in.
_FORMER_BACKEND = "django.contrib.auth.backends.ModelBackend"
_BACKEND = "senda.accounts.backends.UserBackend"


class SessionStore(db.SessionStore):
    def load(self) -> dict[str, Any]:
        data = self._session_data_from_db()
        if data is None:
            return {}
        session = self.decode(data)
        if session.get(BACKEND_SESSION_KEY) == _FORMER_BACKEND:
            session[BACKEND_SESSION_KEY] = _BACKEND
        return session

    def _session_data_from_db(self) -> str | None:
        """The stored data of this session if it exists and has not expired (what
        ``_get_session_from_db`` reads, without the ORM); a missing or expired session is
        forgotten, as there."""
        model = self.model
        connection = connections[router.db_for_read(model)]
        quote = connection.ops.quote_name

        def column(name: str) -> str:
            field = model._meta.get_field(name)
            assert isinstance(field, Field)
            return quote(str(field.column))

        sql = (
            f"SELECT {column('session_data')} FROM {quote(model._meta.db_table)}"  # noqa: S608
            f" WHERE {column('session_key')} = %s AND {column('expire_date')} > %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return str(row[0])
