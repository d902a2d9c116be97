"""How a signed-in request finds its user: Django's model backend, with the user's active
memberships (and their organisations) read in the same query.

Every staff page asks what the user may do (the menu, the footer, each query's scope), so the
memberships are read on every request. As two ORM queries (the user, then the memberships)
compiling them cost more than the database spent answering them; this is one plain
statement, its values converted by the models' own fields, the instances built as the ORM
builds them (``Model.from_db``). Who may log in and how is unchanged: authentication,
permissions and ``user_can_authenticate`` are ``ModelBackend``'s.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

from senda.accounts.models import Membership, Organisation, User

# What reads a model's row: its concrete fields' attribute names and, per field, the
# converters that turn a raw value into what the ORM gives (per database connection).
_Plan = tuple[list[str], list[tuple[Any, list[Any]]]]
_PLANS: weakref.WeakKeyDictionary[BaseDatabaseWrapper, dict[type[Model], _Plan]] = (
    weakref.WeakKeyDictionary()
)


def _fields(model: type[Model]) -> list[Field[Any, Any]]:
    return [field for field in model._meta.concrete_fields if isinstance(field, Field)]


def _plan(connection: BaseDatabaseWrapper, model: type[Model]) -> _Plan:
    plans = _PLANS.setdefault(connection, {})
    plan = plans.get(model)
    if plan is None:
        converters = []
        for field in _fields(model):
            expression = field.get_col(model._meta.db_table)
            functions = connection.ops.get_db_converters(expression)
            converters.append((expression, functions + expression.get_db_converters(connection)))
        plan = ([field.attname for field in _fields(model)], converters)
        plans[model] = plan
    return plan


def _instance(connection: BaseDatabaseWrapper, model: type[Model], values: Sequence[Any]) -> Any:
    attnames, converters = _plan(connection, model)
    converted = list(values)
    for index, (expression, functions) in enumerate(converters):
        value = converted[index]
        for function in functions:
            value = function(value, expression, connection)
        converted[index] = value
    return model.from_db(connection.alias, attnames, converted)


def user_with_memberships(user_id: Any) -> User | None:
    """The user ``user_id`` with ``active_memberships()`` already read (active memberships in
    active organisations, oldest first, each with its organisation): one query."""
    connection = connections[router.db_for_read(User)]
    quote = connection.ops.quote_name

    def columns(model: type[Model], alias: str) -> list[str]:
        return [f"{alias}.{quote(str(field.column))}" for field in _fields(model)]

    def column(model: type[Model], alias: str, name: str) -> str:
        field = model._meta.get_field(name)
        assert isinstance(field, Field)
        return f"{alias}.{quote(str(field.column))}"

    user_columns, membership_columns = columns(User, "u"), columns(Membership, "m")
    # A membership that does not count (inactive, or its organisation is) leaves the
    # organisation's columns NULL; a user without any still comes back, once.
    sql = (
        f"SELECT {', '.join([*user_columns, *membership_columns, *columns(Organisation, 'o')])}"  # noqa: S608
        f" FROM {quote(User._meta.db_table)} u"
        f" LEFT OUTER JOIN {quote(Membership._meta.db_table)} m"
        f" ON {column(Membership, 'm', 'user')} = {column(User, 'u', 'id')}"
        f" AND {column(Membership, 'm', 'is_active')} = %s"
        f" LEFT OUTER JOIN {quote(Organisation._meta.db_table)} o"
        f" ON {column(Organisation, 'o', 'id')} = {column(Membership, 'm', 'organisation')}"
        f" AND {column(Organisation, 'o', 'is_active')} = %s"
        f" WHERE {column(User, 'u', 'id')} = %s"
        f" ORDER BY {column(Membership, 'm', 'created_at')}, {column(Membership, 'm', 'id')}"
    )
    primary_key = User._meta.get_field("id")
    assert isinstance(primary_key, Field)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [True, True, primary_key.get_db_prep_value(primary_key.to_python(user_id), connection)],
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    user: User = _instance(connection, User, rows[0][: len(user_columns)])
    starts = len(user_columns), len(user_columns) + len(membership_columns)
    memberships: list[Membership] = []
    for row in rows:
        if row[starts[1]] is None:
            continue  # no membership, or one that does not count
        membership: Membership = _instance(connection, Membership, row[starts[0] : starts[1]])
        organisation = _instance(connection, Organisation, row[starts[1] :])
        # As ``user.memberships.select_related("organisation")`` leaves them: neither side is
        # read again.
        Membership._meta.get_field("organisation").set_cached_value(membership, organisation)
        Membership._meta.get_field("user").set_cached_value(membership, user)
        memberships.append(membership)
    user._active_memberships = memberships
    return user


class UserBackend(ModelBackend):
    """``ModelBackend`` whose per-request user read also reads the user's memberships."""

    def get_user(self, user_id: Any) -> User | None:
        user = user_with_memberships(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
